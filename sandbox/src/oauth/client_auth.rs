//! Client authentication at the form-encoded token endpoint (`/oidc/token`, `/connect/token`).
//!
//! The providers differ exactly here: Aritma sends `client_id` + `client_secret` in the form
//! (`client_secret_post`), Apiture and Aiia send `Authorization: Basic` (`client_secret_basic`),
//! and a public PKCE client sends only its `client_id` (`none`). A client library that picks the
//! wrong one works against a lenient server and fails in production, so the sandbox accepts each
//! only where it belongs and reports which one every token request used (recorded as a
//! [`crate::model::token_request::TokenRequestRecord`], see [`crate::Sandbox::token_requests`])
//! so tests can assert it.
//!
//! Rules (RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request"):
//! both a Basic header and a `client_secret` → `401 invalid_client`; neither a header nor a
//! `client_id` → `401 invalid_client`; a form `client_id` that disagrees with the Basic one →
//! `401`; the public client presenting any secret → `401`; the confidential client without a
//! secret → `401`.

use crate::config::SandboxConfig;
use crate::crypto::constant_time_eq;
use crate::http::authorization::AuthorizationHeader;
use crate::http::oauth_error::OAuthError;
use crate::http::params::Params;
use crate::model::token_request::ClientAuthMethod;

/// Which registered client a request authenticated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientKind {
    /// `config.client_id` with `config.client_secret`.
    Confidential,
    /// `config.public_client_id`, no secret.
    Public,
}

/// The outcome of client authentication at a form-based token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct ClientAuth {
    pub method: ClientAuthMethod,
    pub client_id: Option<String>,
    pub result: Result<ClientKind, OAuthError>,
}

impl ClientAuth {
    /// The verdict for a request that used `method`: authenticated as `kind`, or refused (`None`)
    /// with `401 invalid_client`, challenging for Basic when the request tried a Basic header.
    fn verdict(
        method: ClientAuthMethod,
        client_id: Option<String>,
        kind: Option<ClientKind>,
    ) -> ClientAuth {
        let tried_basic = matches!(
            method,
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::Conflicting
        );
        ClientAuth {
            method,
            client_id,
            result: kind.ok_or_else(|| OAuthError::invalid_client(tried_basic)),
        }
    }
}

/// Authenticates the client of a form-encoded token request (see the module docs for the rules).
pub(crate) fn authenticate(
    config: &SandboxConfig,
    header: &AuthorizationHeader,
    form: &Params,
) -> ClientAuth {
    use ClientAuthMethod::{
        ClientSecretBasic, ClientSecretPost, Conflicting, Missing, PublicClient,
    };
    let form_id = form.get("client_id").map(str::to_owned);
    match (header, form.get("client_secret")) {
        (AuthorizationHeader::Basic(_) | AuthorizationHeader::Invalid, Some(_)) => {
            ClientAuth::verdict(Conflicting, form_id, None)
        }
        (AuthorizationHeader::Invalid, None) => {
            ClientAuth::verdict(ClientSecretBasic, form_id, None)
        }
        (AuthorizationHeader::Basic(creds), None) => {
            let id = creds.client_id();
            let consistent = form_id.as_deref().is_none_or(|f| f == id);
            let ok = consistent && creds.matches(&config.client_id, &config.client_secret);
            ClientAuth::verdict(
                ClientSecretBasic,
                Some(id),
                ok.then_some(ClientKind::Confidential),
            )
        }
        (AuthorizationHeader::Absent, Some(secret)) => {
            let ok = form_id.as_deref() == Some(config.client_id.as_str())
                && constant_time_eq(secret.as_bytes(), config.client_secret.as_bytes());
            ClientAuth::verdict(
                ClientSecretPost,
                form_id,
                ok.then_some(ClientKind::Confidential),
            )
        }
        (AuthorizationHeader::Absent, None) => match form_id {
            Some(id) => {
                let kind = (id == config.public_client_id).then_some(ClientKind::Public);
                ClientAuth::verdict(PublicClient, Some(id), kind)
            }
            None => ClientAuth::verdict(Missing, None, None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::authorization::parse_value;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    fn basic(id: &str, secret: &str) -> AuthorizationHeader {
        AuthorizationHeader::Basic(
            parse_value(&format!(
                "Basic {}",
                STANDARD.encode(format!("{id}:{secret}"))
            ))
            .unwrap(),
        )
    }

    fn run(header: &AuthorizationHeader, form: &str) -> (ClientAuthMethod, Result<ClientKind, ()>) {
        let auth = authenticate(
            &SandboxConfig::default(),
            header,
            &Params::parse(form.as_bytes()),
        );
        (
            auth.method,
            auth.result
                .map_err(|e| assert_eq!(e.error, "invalid_client")),
        )
    }

    #[test]
    fn each_method_where_it_belongs() {
        use ClientAuthMethod::*;
        let good = basic("sandbox-client-id", "sandbox-client-secret");
        let none = AuthorizationHeader::Absent;
        assert_eq!(
            run(&good, ""),
            (ClientSecretBasic, Ok(ClientKind::Confidential))
        );
        assert_eq!(
            run(&good, "client_id=sandbox-client-id"),
            (ClientSecretBasic, Ok(ClientKind::Confidential))
        );
        assert_eq!(run(&good, "client_id=other"), (ClientSecretBasic, Err(())));
        assert_eq!(
            run(&basic("sandbox-client-id", "nope"), ""),
            (ClientSecretBasic, Err(()))
        );
        assert_eq!(
            run(
                &none,
                "client_id=sandbox-client-id&client_secret=sandbox-client-secret"
            ),
            (ClientSecretPost, Ok(ClientKind::Confidential))
        );
        assert_eq!(
            run(&none, "client_id=sandbox-client-id&client_secret=x"),
            (ClientSecretPost, Err(()))
        );
        assert_eq!(
            run(&none, "client_secret=sandbox-client-secret"),
            (ClientSecretPost, Err(()))
        );
        assert_eq!(
            run(
                &good,
                "client_id=sandbox-client-id&client_secret=sandbox-client-secret"
            ),
            (Conflicting, Err(()))
        );
        assert_eq!(run(&none, ""), (Missing, Err(())));
        assert_eq!(
            run(&none, "client_id=sandbox-public-client"),
            (PublicClient, Ok(ClientKind::Public))
        );
        assert_eq!(
            run(&none, "client_id=sandbox-client-id"),
            (PublicClient, Err(()))
        );
        assert_eq!(
            run(&basic("sandbox-public-client", ""), ""),
            (ClientSecretBasic, Err(()))
        );
        assert_eq!(
            run(&AuthorizationHeader::Invalid, ""),
            (ClientSecretBasic, Err(()))
        );
    }
}
