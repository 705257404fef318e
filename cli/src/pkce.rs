//! `obauth pkce`: OpenID Connect authorization code + PKCE for a public client, from the
//! terminal.
//!
//! Discovers the issuer's endpoints, prints `auth_url: <URL>` on stderr (and, with `--qr` on a
//! terminal, its QR code), takes the redirect on a loopback listener (for a
//! `http://127.0.0.1:PORT/…` or `localhost` redirect URI) or as one line on stdin, and prints
//! `{"access_token", "refresh_token", "id_token", "token_type", "expires_in", "scope"}` on
//! stdout. The default scope is `openid`; with `offline_access` and no `--prompt`, the request
//! says `prompt=consent` (OIDC Core §11). `--param NAME=VALUE` adds authorize parameters; the
//! flow's own (`state`, `code_challenge`, `redirect_uri`, …) are refused before any request.
//! Exit codes as for `obauth connect`: a forged `state` 8, the user denying consent 3.

use std::collections::BTreeSet;

use obauth::{AuthorizationParams, AuthorizeExtras, OidcClient, PkceConfig};

use crate::args::{self, PkceArgs, UsageError};
use crate::drive::run_authorization;
use crate::exit;
use crate::tokens_out::Field;

fn options(a: &PkceArgs) -> Result<(PkceConfig, AuthorizationParams), UsageError> {
    let config = PkceConfig {
        issuer: args::required(&a.issuer, "issuer", None)?,
        client_id: args::required(&a.client_id, "client-id", Some("OBAUTH_CLIENT_ID"))?,
    };
    let mut params =
        AuthorizationParams::new(args::required(&a.redirect_uri, "redirect-uri", None)?);
    params.scope = a.scope.clone();
    if let Some(t) = args::seconds(&a.timeout, "timeout")? {
        params.timeout = t;
    }
    params.extras = extras(a.prompt.clone(), &a.param)?;
    Ok((config, params))
}

/// `--prompt` and the `--param NAME=VALUE` list as the core's extras: the OpenID Connect names
/// go to their own fields (so the core checks them as such), the rest to the map.
fn extras(prompt: Option<String>, params: &[String]) -> Result<AuthorizeExtras, UsageError> {
    let mut extras = AuthorizeExtras {
        prompt,
        ..AuthorizeExtras::default()
    };
    let mut seen = BTreeSet::new();
    for param in params {
        let Some((name, value)) = param.split_once('=') else {
            return Err(UsageError(format!(
                "--param must be NAME=VALUE, not {:?}",
                param.chars().take(40).collect::<String>()
            )));
        };
        if !seen.insert(name.to_owned()) {
            return Err(UsageError(format!("--param {name} given twice")));
        }
        let value = value.to_owned();
        let slot = match name {
            "prompt" => &mut extras.prompt,
            "login_hint" => &mut extras.login_hint,
            "ui_locales" => &mut extras.ui_locales,
            "acr_values" => &mut extras.acr_values,
            "max_age" => {
                let seconds = value.parse::<u64>().map_err(|_| {
                    UsageError("--param max_age must be a whole number of seconds".into())
                })?;
                extras.max_age_seconds = Some(seconds);
                continue;
            }
            _ => {
                extras.params.insert(name.to_owned(), value);
                continue;
            }
        };
        if slot.is_some() {
            return Err(UsageError(format!(
                "{name} given twice (--prompt and --param)"
            )));
        }
        *slot = Some(value);
    }
    Ok(extras)
}

/// Runs the command; returns the exit code.
pub async fn run(a: PkceArgs) -> i32 {
    let (config, params) = match options(&a) {
        Ok(p) => p,
        Err(e) => return args::usage_error("pkce", e),
    };
    let timeout = params.timeout;
    let flow = match OidcClient::new() {
        Ok(client) => client.pkce_flow(&config, params).await,
        Err(e) => Err(e),
    };
    let flow = match flow {
        Ok(f) => f,
        Err(e) => return exit::report(&e),
    };
    run_authorization(
        &flow,
        timeout,
        a.qr.qr,
        &[
            Field::AccessToken,
            Field::RefreshToken,
            Field::IdToken,
            Field::TokenType,
            Field::ExpiresIn,
            Field::Scope,
        ],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn params_go_to_their_fields_and_the_map() {
        let e = extras(
            Some("login".into()),
            &list(&[
                "login_hint=jane@example.com",
                "max_age=60",
                "audience=a=b",
                "ui_locales=da",
            ]),
        )
        .unwrap();
        assert_eq!(e.prompt.as_deref(), Some("login"));
        assert_eq!(e.login_hint.as_deref(), Some("jane@example.com"));
        assert_eq!(e.max_age_seconds, Some(60));
        assert_eq!(e.ui_locales.as_deref(), Some("da"));
        assert_eq!(e.params["audience"], "a=b");
    }

    #[test]
    fn malformed_or_repeated_params_are_usage_errors() {
        assert!(extras(None, &list(&["novalue"])).is_err());
        assert!(extras(None, &list(&["a=1", "a=2"])).is_err());
        assert!(extras(Some("login".into()), &list(&["prompt=consent"])).is_err());
        assert!(extras(None, &list(&["max_age=soon"])).is_err());
    }
}
