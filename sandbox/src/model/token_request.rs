//! The record of one token request: how its client authenticated ([`ClientAuthMethod`]) and
//! what it got ([`TokenRequestRecord`], see [`crate::Sandbox::token_requests`]).
//!
//! Plain data, no HTTP: the token endpoints fill it in, the OAuth store keeps the log, and tests
//! and the control API read it back.

use std::fmt;

use crate::model::endpoint::Endpoint;

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
