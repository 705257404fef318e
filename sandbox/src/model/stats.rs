//! Request counters: one per provider endpoint plus the success counters of the flows.
//!
//! Counting is part of the contract (tests ask "how many times did the client try"), so the
//! mapping from [`Endpoint`] to its counter is written once, here, next to the counters.

use crate::model::endpoint::Endpoint;

/// Request counters. Per-endpoint counts include faulted and unauthorized requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// `POST /v1/authentication/initialize`
    pub initialize_requests: u64,
    /// `GET /v1/authentication/{sessionId}/status`
    pub status_requests: u64,
    /// `POST /v1/authentication/tokens`
    pub token_requests: u64,
    /// Codes exchanged for tokens, over all sessions.
    pub successful_exchanges: u64,
    /// `GET /v1/authentication/start` (the hosted page)
    pub page_views: u64,
    /// `GET /v1/accounts`
    pub accounts_requests: u64,
    /// `POST /v1/authentication/start/decision` (the page's forms)
    pub decision_requests: u64,
    /// `GET /v1/oauth/connect` (Aiia connect flow start)
    pub oauth_connect_requests: u64,
    /// `GET /v1/oauth/connect/consent` (the hosted Aiia consent page)
    pub oauth_consent_page_views: u64,
    /// `POST /v1/oauth/connect/decision` (the consent page's forms)
    pub oauth_decision_requests: u64,
    /// `POST /v1/oauth/token` (Aiia)
    pub oauth_token_requests: u64,
    /// `GET /oidc/.well-known/openid-configuration`
    pub discovery_requests: u64,
    /// `GET /oidc/jwks`
    pub jwks_requests: u64,
    /// `GET /oidc/authorize`
    pub oidc_authorize_requests: u64,
    /// `POST /oidc/authorize/decision`
    pub oidc_decision_requests: u64,
    /// `POST /oidc/token` plus `POST /connect/token`
    pub oidc_token_requests: u64,
    /// `GET /oidc/userinfo`
    pub userinfo_requests: u64,
    /// `POST /oidc/revoke`
    pub revocation_requests: u64,
    /// `GET /oidc/logout`
    pub end_session_requests: u64,
    /// OAuth authorization codes redeemed (Aiia connect and PKCE), over all clients.
    pub oauth_code_exchanges: u64,
    /// Successful refresh-token grants (both token endpoints).
    pub refresh_grants: u64,
    /// Successful client-credentials grants.
    pub client_credentials_grants: u64,
    /// Token requests whose client authenticated successfully with `client_secret_basic`.
    pub client_secret_basic_requests: u64,
    /// Token requests whose client authenticated successfully with `client_secret_post`.
    pub client_secret_post_requests: u64,
    /// `POST /v1/authentication/unattended`
    pub unattended_requests: u64,
    /// Unattended logins that issued a session (and replaced the login token).
    pub unattended_logins: u64,
}

impl Stats {
    /// Counts one request to a provider endpoint (faulted or not).
    pub(crate) fn count(&mut self, endpoint: Endpoint) {
        match endpoint {
            Endpoint::Initialize => self.initialize_requests += 1,
            Endpoint::Status => self.status_requests += 1,
            Endpoint::Tokens => self.token_requests += 1,
            Endpoint::AuthPage => self.page_views += 1,
            Endpoint::AuthDecision => self.decision_requests += 1,
            Endpoint::Accounts => self.accounts_requests += 1,
            Endpoint::OAuthConnect => self.oauth_connect_requests += 1,
            Endpoint::OAuthConsent => self.oauth_consent_page_views += 1,
            Endpoint::OAuthDecision => self.oauth_decision_requests += 1,
            Endpoint::OAuthToken => self.oauth_token_requests += 1,
            Endpoint::Discovery => self.discovery_requests += 1,
            Endpoint::Jwks => self.jwks_requests += 1,
            Endpoint::OidcAuthorize => self.oidc_authorize_requests += 1,
            Endpoint::OidcDecision => self.oidc_decision_requests += 1,
            Endpoint::OidcToken => self.oidc_token_requests += 1,
            Endpoint::Userinfo => self.userinfo_requests += 1,
            Endpoint::Revocation => self.revocation_requests += 1,
            Endpoint::EndSession => self.end_session_requests += 1,
            Endpoint::Unattended => self.unattended_requests += 1,
        }
    }
}
