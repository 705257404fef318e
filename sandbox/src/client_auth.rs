//! Client authentication at the token endpoints, and the per-request record of how it was done.
//!
//! The providers differ exactly here: Aritma sends `client_id` + `client_secret` in the form
//! (`client_secret_post`), Apiture and Aiia send `Authorization: Basic` (`client_secret_basic`),
//! and a public PKCE client sends only its `client_id` (`none`). A client library that picks the
//! wrong one works against a lenient server and fails in production, so the sandbox accepts each
//! only where it belongs and records which one every token request used ([`TokenRequestRecord`],
//! [`crate::Sandbox::token_requests`]) so tests can assert it.
//!
//! Rules (RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request"):
//! both a Basic header and a `client_secret` → `401 invalid_client`; neither a header nor a
//! `client_id` → `401 invalid_client`; a form `client_id` that disagrees with the Basic one →
//! `401`; the public client presenting any secret → `401`; the confidential client without a
//! secret → `401`.

use std::fmt;

use crate::app::constant_time_eq;
use crate::basic_auth::AuthorizationHeader;
use crate::oauth_error::OAuthError;
use crate::params::Params;
use crate::{Endpoint, SandboxConfig};

/// How a token request authenticated its client (the names of RFC 7591 §2 / OIDC discovery).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientAuthMethod {
    /// `Authorization: Basic base64(client_id:client_secret)` (Apiture, Aiia).
    ClientSecretBasic,
    /// `client_id` and `client_secret` as form fields (Aritma).
    ClientSecretPost,
    /// Only a `client_id`, no secret: a public client (PKCE). Discovery calls this `none`.
    PublicClient,
    /// Both a Basic header and a `client_secret` field; always refused.
    Conflicting,
    /// Nothing that identifies a client; always refused.
    Missing,
}

impl ClientAuthMethod {
    /// `client_secret_basic`, `client_secret_post`, `none`, `conflicting` or `missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::PublicClient => "none",
            ClientAuthMethod::Conflicting => "conflicting",
            ClientAuthMethod::Missing => "missing",
        }
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request to a token endpoint that reached the handler (faulted requests never do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequestRecord {
    /// [`Endpoint::OAuthToken`] (Aiia) or [`Endpoint::OidcToken`].
    pub endpoint: Endpoint,
    /// The path called: `/v1/oauth/token`, `/oidc/token` or `/connect/token`.
    pub path: String,
    /// The `grant_type` sent, if any.
    pub grant_type: Option<String>,
    /// The client id the request named (Basic header or form), if any.
    pub client_id: Option<String>,
    /// How the client authenticated, or tried to.
    pub auth_method: ClientAuthMethod,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The OAuth `error` of the answer, if it was one.
    pub error: Option<String>,
}

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

/// Authenticates the client of a form-encoded token request (see the module docs for the rules).
pub(crate) fn authenticate(
    config: &SandboxConfig,
    header: &AuthorizationHeader,
    form: &Params,
) -> ClientAuth {
    let form_id = form.get("client_id").map(str::to_owned);
    let form_secret = form.get("client_secret");
    let confidential_secret_ok =
        |secret: &str| constant_time_eq(secret.as_bytes(), config.client_secret.as_bytes());
    match (header, form_secret) {
        (AuthorizationHeader::Basic(_) | AuthorizationHeader::Invalid, Some(_)) => ClientAuth {
            method: ClientAuthMethod::Conflicting,
            client_id: form_id,
            result: Err(OAuthError::invalid_client(true)),
        },
        (AuthorizationHeader::Invalid, None) => ClientAuth {
            method: ClientAuthMethod::ClientSecretBasic,
            client_id: form_id,
            result: Err(OAuthError::invalid_client(true)),
        },
        (AuthorizationHeader::Basic(creds), None) => {
            let id = creds.client_id();
            let consistent = form_id.as_deref().is_none_or(|f| f == id);
            let ok = consistent && creds.matches(&config.client_id, &config.client_secret);
            ClientAuth {
                method: ClientAuthMethod::ClientSecretBasic,
                client_id: Some(id),
                result: if ok {
                    Ok(ClientKind::Confidential)
                } else {
                    Err(OAuthError::invalid_client(true))
                },
            }
        }
        (AuthorizationHeader::Absent, Some(secret)) => {
            let ok = form_id.as_deref() == Some(config.client_id.as_str())
                && confidential_secret_ok(secret);
            ClientAuth {
                method: ClientAuthMethod::ClientSecretPost,
                client_id: form_id,
                result: if ok {
                    Ok(ClientKind::Confidential)
                } else {
                    Err(OAuthError::invalid_client(false))
                },
            }
        }
        (AuthorizationHeader::Absent, None) => match form_id {
            Some(id) => {
                let ok = id == config.public_client_id;
                ClientAuth {
                    method: ClientAuthMethod::PublicClient,
                    client_id: Some(id),
                    result: if ok {
                        Ok(ClientKind::Public)
                    } else {
                        Err(OAuthError::invalid_client(false))
                    },
                }
            }
            None => ClientAuth {
                method: ClientAuthMethod::Missing,
                client_id: None,
                result: Err(OAuthError::invalid_client(false)),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basic_auth::parse_value;
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
