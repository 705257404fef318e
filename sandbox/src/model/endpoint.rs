//! The provider endpoints the sandbox serves, by name: what faults target, what [`Stats`] counts
//! and what the control API and [`crate::Sandbox::inject_fault`] accept.
//!
//! One enum, with one wire name per variant and a forgiving parser for hand-written names, so
//! every place that names an endpoint (counters, fault queues, the token-request log, the
//! `/_sandbox/faults` API, the CLI) agrees on the list.
//!
//! [`Stats`]: crate::model::stats::Stats

use std::fmt;
use std::str::FromStr;

/// A provider endpoint that can be fault-injected and is counted in [`crate::Stats`].
///
/// Non-exhaustive: later flows add variants.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /v1/authentication/initialize`
    Initialize,
    /// `GET /v1/authentication/{sessionId}/status`
    Status,
    /// `POST /v1/authentication/tokens`
    Tokens,
    /// `GET /v1/authentication/start` (the hosted login page)
    AuthPage,
    /// `POST /v1/authentication/start/decision` (the page's Approve/Cancel/Reject forms)
    AuthDecision,
    /// `GET /v1/accounts`
    Accounts,
    /// `GET /v1/oauth/connect` (Aiia Data connect flow: the `302` to the consent page)
    OAuthConnect,
    /// `GET /v1/oauth/connect/consent` (the hosted Aiia consent page)
    OAuthConsent,
    /// `POST /v1/oauth/connect/decision` (the consent page's Approve/Cancel forms)
    OAuthDecision,
    /// `POST /v1/oauth/token` (Aiia: code and refresh-token grants, Basic auth, JSON body)
    OAuthToken,
    /// `GET /oidc/.well-known/openid-configuration`
    Discovery,
    /// `GET /oidc/jwks` (the `jwks_uri`)
    Jwks,
    /// `GET /oidc/authorize` (the hosted OIDC login/consent page)
    OidcAuthorize,
    /// `POST /oidc/authorize/decision` (that page's Approve/Cancel forms)
    OidcDecision,
    /// `POST /oidc/token` and its alias `POST /connect/token` (form-encoded grants)
    OidcToken,
    /// `GET /oidc/userinfo`
    Userinfo,
    /// `POST /v1/authentication/unattended` (a new session from a stored login token)
    Unattended,
    /// `POST /oidc/revoke` (token revocation, RFC 7009)
    Revocation,
    /// `GET /oidc/logout` (RP-initiated logout, the `end_session_endpoint`)
    EndSession,
}

impl Endpoint {
    /// Every endpoint, for listings and parsing.
    pub const ALL: &'static [Endpoint] = &[
        Endpoint::Initialize,
        Endpoint::Status,
        Endpoint::Tokens,
        Endpoint::AuthPage,
        Endpoint::AuthDecision,
        Endpoint::Accounts,
        Endpoint::OAuthConnect,
        Endpoint::OAuthConsent,
        Endpoint::OAuthDecision,
        Endpoint::OAuthToken,
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::OidcAuthorize,
        Endpoint::OidcDecision,
        Endpoint::OidcToken,
        Endpoint::Userinfo,
        Endpoint::Unattended,
        Endpoint::Revocation,
        Endpoint::EndSession,
    ];

    /// The name used by the `/_sandbox/faults` control API (`"status"`, `"auth_page"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Initialize => "initialize",
            Endpoint::Status => "status",
            Endpoint::Tokens => "tokens",
            Endpoint::AuthPage => "auth_page",
            Endpoint::AuthDecision => "auth_decision",
            Endpoint::Accounts => "accounts",
            Endpoint::OAuthConnect => "oauth_connect",
            Endpoint::OAuthConsent => "oauth_consent",
            Endpoint::OAuthDecision => "oauth_decision",
            Endpoint::OAuthToken => "oauth_token",
            Endpoint::Discovery => "discovery",
            Endpoint::Jwks => "jwks",
            Endpoint::OidcAuthorize => "oidc_authorize",
            Endpoint::OidcDecision => "oidc_decision",
            Endpoint::OidcToken => "oidc_token",
            Endpoint::Userinfo => "userinfo",
            Endpoint::Unattended => "unattended",
            Endpoint::Revocation => "revocation",
            Endpoint::EndSession => "end_session",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown endpoint name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEndpoint(pub String);

impl fmt::Display for UnknownEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Endpoint::ALL.iter().map(|e| e.as_str()).collect();
        write!(
            f,
            "unknown endpoint '{}' (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownEndpoint {}

impl FromStr for Endpoint {
    type Err = UnknownEndpoint;

    /// Accepts the snake_case names of [`Endpoint::as_str`], camelCase, kebab-case, and the short
    /// aliases `page`/`decision`/`token` (supervised login), `connect`, `consent`,
    /// `openid_configuration`, `authorize`, `connect_token` (the Aritma path) and `oidc_userinfo`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match normalized.as_str() {
            "initialize" => Endpoint::Initialize,
            "status" => Endpoint::Status,
            "tokens" | "token" => Endpoint::Tokens,
            "authpage" | "page" | "start" => Endpoint::AuthPage,
            "authdecision" | "decision" => Endpoint::AuthDecision,
            "accounts" => Endpoint::Accounts,
            "oauthconnect" | "connect" => Endpoint::OAuthConnect,
            "oauthconsent" | "consent" => Endpoint::OAuthConsent,
            "oauthdecision" => Endpoint::OAuthDecision,
            "oauthtoken" => Endpoint::OAuthToken,
            "discovery" | "openidconfiguration" => Endpoint::Discovery,
            "jwks" => Endpoint::Jwks,
            "oidcauthorize" | "authorize" => Endpoint::OidcAuthorize,
            "oidcdecision" => Endpoint::OidcDecision,
            "oidctoken" | "connecttoken" => Endpoint::OidcToken,
            "userinfo" | "oidcuserinfo" => Endpoint::Userinfo,
            "unattended" => Endpoint::Unattended,
            "revocation" | "revoke" => Endpoint::Revocation,
            "endsession" | "logout" => Endpoint::EndSession,
            _ => return Err(UnknownEndpoint(s.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_round_trip() {
        for e in Endpoint::ALL {
            assert_eq!(e.as_str().parse::<Endpoint>().unwrap(), *e);
        }
        assert_eq!("authPage".parse::<Endpoint>().unwrap(), Endpoint::AuthPage);
        assert_eq!(
            "oauthToken".parse::<Endpoint>().unwrap(),
            Endpoint::OAuthToken
        );
        assert_eq!(
            "connect-token".parse::<Endpoint>().unwrap(),
            Endpoint::OidcToken
        );
        assert_eq!("token".parse::<Endpoint>().unwrap(), Endpoint::Tokens);
        assert!("nope".parse::<Endpoint>().is_err());
    }
}
