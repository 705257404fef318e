//! Extra parameters of an authorization request (OpenID Connect Core §3.1.2.1 and whatever a
//! provider adds), checked once and turned into the query pairs the authorize URL carries.
//!
//! Why this is its own piece: the flow's own parameters (`client_id`, `redirect_uri`, `scope`,
//! `response_type`, `state`, `nonce`, the PKCE challenge) are what the flow's security rests on,
//! so a caller's extras must never be able to replace or repeat them — a provider that reads the
//! first or the last of two `state`s would otherwise check a value the caller chose. Every name
//! is checked here, before the flow exists and so before any request is sent, and the same check
//! runs again on a restored snapshot (outside input like any other).
//!
//! OIDC Core §11: a provider honours `offline_access` only when the request carries
//! `prompt=consent` (it silently drops the scope otherwise, and no refresh token comes back).
//! So when the scope asks for `offline_access` and the caller chose no `prompt`, the OIDC
//! request sends `prompt=consent` ([`AuthorizeExtras::query_pairs`]).

use std::collections::BTreeMap;

use crate::error::Error;

/// Parameters the flow itself sends (or that would replace the whole request, `request` and
/// `request_uri` of RFC 9101, or change how the answer comes back, `response_mode`): never
/// accepted as extras. Compared without regard to case.
pub const RESERVED_AUTHORIZE_PARAMETERS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "request",
    "request_uri",
    "accountsgroupname",
    "accountsgroupid",
];

/// Optional parameters of the authorization request (OpenID Connect Core §3.1.2.1), each sent
/// only when set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizeExtras {
    /// `prompt`: space-delimited `none`, `login`, `consent`, `select_account`. With `None`, an
    /// OIDC request whose scope has `offline_access` sends `consent` (OIDC Core §11).
    pub prompt: Option<String>,
    /// `login_hint`: the user's e-mail address or name, to pre-fill the sign-in page.
    pub login_hint: Option<String>,
    /// `ui_locales`: space-delimited BCP 47 language tags, most preferred first.
    pub ui_locales: Option<String>,
    /// `max_age` in seconds: the longest time since the user last signed in at the provider;
    /// older sign-ins are asked again.
    pub max_age_seconds: Option<u64>,
    /// `acr_values`: space-delimited authentication context classes, most preferred first.
    pub acr_values: Option<String>,
    /// Any other parameter the provider documents. Names of the flow's own parameters
    /// ([`RESERVED_AUTHORIZE_PARAMETERS`]) and of the fields above are refused.
    pub params: BTreeMap<String, String>,
}

/// The field named in errors about extras.
const FIELD: &str = "authorizeParams";

impl AuthorizeExtras {
    /// The named fields as `(name, value)`, in the order OIDC Core lists them.
    fn named(&self) -> [(&'static str, Option<String>); 5] {
        [
            ("prompt", self.prompt.clone()),
            ("max_age", self.max_age_seconds.map(|s| s.to_string())),
            ("ui_locales", self.ui_locales.clone()),
            ("login_hint", self.login_hint.clone()),
            ("acr_values", self.acr_values.clone()),
        ]
    }

    /// Checks every name and value: `Err(InvalidInput)` names the first parameter at fault
    /// (never its value, which may be a hint about the user).
    pub fn validate(&self) -> Result<(), Error> {
        for (name, value) in self.named() {
            if let Some(value) = value {
                check_value(name, &value)?;
            }
        }
        for (name, value) in &self.params {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !matches!(c, '&' | '=' | '#' | '?'))
            {
                return Err(Error::invalid(
                    FIELD,
                    "a parameter name must be printable ASCII without spaces, '&', '=', '#' or '?'",
                ));
            }
            let lower = name.to_ascii_lowercase();
            if RESERVED_AUTHORIZE_PARAMETERS.contains(&lower.as_str()) {
                return Err(Error::invalid(
                    FIELD,
                    format!("'{lower}' is set by the flow itself and cannot be overridden"),
                ));
            }
            if self.named().iter().any(|(named, _)| *named == lower) {
                return Err(Error::invalid(
                    FIELD,
                    format!("'{lower}' has its own field; set it there"),
                ));
            }
            check_value(FIELD, value)?;
        }
        Ok(())
    }

    /// The checked query pairs to append to the authorize URL: the named fields, then the
    /// others by name. `oidc` is true for an OpenID Connect request (PKCE), where a `scope`
    /// with `offline_access` and no `prompt` adds `prompt=consent` (OIDC Core §11).
    pub fn query_pairs(&self, scope: &str, oidc: bool) -> Result<Vec<(String, String)>, Error> {
        self.validate()?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in self.named() {
            let value = match (name, value) {
                ("prompt", None) if oidc && scope_has(scope, "offline_access") => {
                    Some("consent".to_owned())
                }
                (_, value) => value,
            };
            if let Some(value) = value {
                pairs.push((name.to_owned(), value));
            }
        }
        pairs.extend(self.params.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(pairs)
    }
}

/// Checks pairs read back from a snapshot: the same name rules as [`AuthorizeExtras::validate`].
pub(crate) fn check_stored_pairs(pairs: &[(String, String)]) -> Result<(), Error> {
    let mut seen = std::collections::BTreeSet::new();
    for (name, _) in pairs {
        let lower = name.to_ascii_lowercase();
        if name.is_empty()
            || RESERVED_AUTHORIZE_PARAMETERS.contains(&lower.as_str())
            || !seen.insert(lower)
        {
            return Err(Error::InvalidSnapshot(
                "an authorize parameter repeats or overrides one of the flow's own".into(),
            ));
        }
    }
    Ok(())
}

/// A value must not be empty (a provider reads `prompt=` as a malformed request) nor carry
/// control characters.
fn check_value(name: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::invalid(name, "must not be empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(name, "must not contain control characters"));
    }
    Ok(())
}

fn scope_has(scope: &str, wanted: &str) -> bool {
    scope.split_whitespace().any(|s| s == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(extras: &AuthorizeExtras, scope: &str, oidc: bool) -> Vec<(String, String)> {
        extras.query_pairs(scope, oidc).unwrap()
    }

    fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn offline_access_without_prompt_asks_for_consent_in_oidc_only() {
        let none = AuthorizeExtras::default();
        assert_eq!(
            pairs(&none, "openid offline_access", true),
            p(&[("prompt", "consent")])
        );
        assert!(pairs(&none, "openid", true).is_empty());
        // A word that merely contains it is not the scope.
        assert!(pairs(&none, "openid offline_access_x", true).is_empty());
        // Aiia's connect flow is not OpenID Connect: its default scope has offline_access.
        assert!(pairs(&none, "accounts offline_access", false).is_empty());
    }

    #[test]
    fn a_chosen_prompt_is_kept() {
        let extras = AuthorizeExtras {
            prompt: Some("login".into()),
            ..Default::default()
        };
        assert_eq!(
            pairs(&extras, "openid offline_access", true),
            p(&[("prompt", "login")])
        );
    }

    #[test]
    fn every_field_and_the_map_in_a_fixed_order() {
        let extras = AuthorizeExtras {
            prompt: Some("select_account".into()),
            login_hint: Some("jane@example.com".into()),
            ui_locales: Some("da-DK en".into()),
            max_age_seconds: Some(300),
            acr_values: Some("urn:mace:incommon:iap:silver".into()),
            params: BTreeMap::from([
                ("z_param".to_owned(), "z".to_owned()),
                ("audience".to_owned(), "api".to_owned()),
            ]),
        };
        assert_eq!(
            pairs(&extras, "openid", true),
            p(&[
                ("prompt", "select_account"),
                ("max_age", "300"),
                ("ui_locales", "da-DK en"),
                ("login_hint", "jane@example.com"),
                ("acr_values", "urn:mace:incommon:iap:silver"),
                ("audience", "api"),
                ("z_param", "z"),
            ])
        );
    }

    #[test]
    fn the_flows_own_parameters_cannot_be_overridden() {
        for name in RESERVED_AUTHORIZE_PARAMETERS.iter().copied().chain([
            "State",
            "CODE_CHALLENGE",
            "Redirect_Uri",
        ]) {
            let extras = AuthorizeExtras {
                params: BTreeMap::from([(name.to_owned(), "attacker".to_owned())]),
                ..Default::default()
            };
            let err = extras.query_pairs("openid", true).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput { field: "authorizeParams", reason }
                    if reason.contains("cannot be overridden") && !reason.contains("attacker")),
                "{name}: {err:?}"
            );
        }
    }

    #[test]
    fn named_fields_go_through_their_own_field() {
        let extras = AuthorizeExtras {
            params: BTreeMap::from([("prompt".to_owned(), "none".to_owned())]),
            ..Default::default()
        };
        let err = extras.validate().unwrap_err();
        assert!(matches!(&err, Error::InvalidInput { reason, .. } if reason.contains("own field")));
    }

    #[test]
    fn bad_names_and_values_are_refused_without_echoing_the_value() {
        let bad_names = ["", "a b", "a&b", "a=b", "ä"];
        for name in bad_names {
            let extras = AuthorizeExtras {
                params: BTreeMap::from([(name.to_owned(), "v".to_owned())]),
                ..Default::default()
            };
            assert!(extras.validate().is_err(), "{name:?}");
        }
        let extras = AuthorizeExtras {
            login_hint: Some("jane\n@example.com".into()),
            ..Default::default()
        };
        let err = extras.validate().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field: "login_hint", reason } if !reason.contains("jane"))
        );
        let extras = AuthorizeExtras {
            prompt: Some(" ".into()),
            ..Default::default()
        };
        assert!(matches!(
            extras.validate(),
            Err(Error::InvalidInput {
                field: "prompt",
                ..
            })
        ));
    }

    #[test]
    fn stored_pairs_are_checked_again() {
        assert!(check_stored_pairs(&p(&[("prompt", "consent"), ("audience", "x")])).is_ok());
        assert!(check_stored_pairs(&p(&[("state", "x")])).is_err());
        assert!(check_stored_pairs(&p(&[("prompt", "a"), ("PROMPT", "b")])).is_err());
    }
}
