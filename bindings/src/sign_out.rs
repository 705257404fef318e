//! Revocation (RFC 7009) and sign-out for Kotlin and Swift: `OidcClient.revoke`,
//! `OidcClient.signOut` and `OidcClient.endSessionUrl` over the core's
//! [`obauth::OidcClient::sign_out`] (its module docs say why the order is refresh token, then
//! access token, then forgetting the tokens whatever happened).
//!
//! The logout URL carries the ID token as `id_token_hint`, so it crosses as a [`Secret`]
//! (redacted in `toString()` / `description`; the host reads it with `expose()` to open it).

use std::sync::Arc;

use obauth::oauth::TokenTypeHint;
use obauth::{Error, ErrorInfo, PkceConfig, Secret};
pub use obauth::{RevocationOutcome, SignOutParams};

use crate::oidc::OidcClient;
use crate::tokens::TokenManager;
use crate::{ObAuthError, run};

/// What became of one token at sign-out.
#[uniffi::remote(Enum)]
pub enum RevocationOutcome {
    /// The provider revoked it (or did not know it: RFC 7009 §2.2).
    Revoked,
    /// There was no such token.
    NoToken,
    /// The provider has no `revocation_endpoint`: the token stays valid until it expires.
    NotSupported,
    /// The revocation failed (network, 5xx, refused): the token may still be valid; retry with
    /// `revoke` if you kept it.
    Failed(
        /// Why.
        #[uniffi(name = "error")]
        Error,
    ),
}

/// What `signOut` did. The tokens are forgotten in every case.
#[derive(Clone, Debug, uniffi::Record)]
pub struct SignOutOutcome {
    /// The refresh token's revocation (sent first).
    pub refresh_token: RevocationOutcome,
    /// The access token's revocation.
    pub access_token: RevocationOutcome,
    /// `null`/`nil` when the stored tokens were removed; the storage's error otherwise (the
    /// tokens are forgotten in memory regardless).
    pub storage_error: Option<ErrorInfo>,
    /// The RP-initiated logout URL to open (when asked for and the provider has an
    /// `end_session_endpoint`). Contains the ID token: `expose()` it only to open it.
    pub end_session_url: Option<Secret>,
}

impl From<obauth::SignOutOutcome> for SignOutOutcome {
    fn from(o: obauth::SignOutOutcome) -> Self {
        SignOutOutcome {
            refresh_token: o.refresh_token,
            access_token: o.access_token,
            storage_error: o.cleared.err().map(ErrorInfo::from),
            end_session_url: o.end_session_url.map(Secret::new),
        }
    }
}

/// The optional logout redirect of a sign-out.
#[uniffi::remote(Record)]
pub struct SignOutParams {
    /// Also build the RP-initiated logout URL (needs `end_session_endpoint` in discovery).
    #[uniffi(default = false)]
    pub end_session: bool,
    /// Where the provider sends the user after logout (registered with the provider).
    #[uniffi(default = None)]
    pub post_logout_redirect_uri: Option<String>,
    /// Echoed to `post_logout_redirect_uri`.
    #[uniffi(default = None)]
    pub state: Option<String>,
}

#[uniffi::export]
impl OidcClient {
    /// Revokes one token of a public client at the issuer's `revocation_endpoint` (RFC 7009).
    /// An empty token is `ObAuthError.InvalidInput` (nothing sent); no revocation endpoint is
    /// `ObAuthError.Fatal` (`not_applicable`).
    pub async fn revoke(
        &self,
        config: PkceConfig,
        token: Secret,
        hint: TokenTypeHint,
    ) -> Result<(), ObAuthError> {
        run(self.inner(), |c| async move {
            c.revoke(&config, &token, hint).await
        })
        .await
    }

    /// Signs the user of `tokens` out: revokes the refresh token, then the access token, then
    /// forgets the tokens (and removes them from the manager's storage) even if a revocation
    /// failed. Only invalid arguments throw (before anything is sent or forgotten).
    #[uniffi::method(default(params = None))]
    pub async fn sign_out(
        &self,
        config: PkceConfig,
        tokens: Arc<TokenManager>,
        params: Option<SignOutParams>,
    ) -> Result<SignOutOutcome, ObAuthError> {
        let manager = tokens.inner().clone();
        let params = params.unwrap_or_default();
        run(self.inner(), |c| async move {
            c.sign_out(&config, &manager, params).await
        })
        .await
    }

    /// The RP-initiated logout URL, or `null`/`nil` when the provider has no
    /// `end_session_endpoint`.
    #[uniffi::method(default(id_token_hint = None, post_logout_redirect_uri = None, state = None))]
    pub async fn end_session_url(
        &self,
        config: PkceConfig,
        id_token_hint: Option<Secret>,
        post_logout_redirect_uri: Option<String>,
        state: Option<String>,
    ) -> Result<Option<Secret>, ObAuthError> {
        run(self.inner(), |c| async move {
            c.end_session_url(
                &config,
                id_token_hint.as_ref(),
                post_logout_redirect_uri.as_deref(),
                state.as_deref(),
            )
            .await
            .map(|url| url.map(Secret::new))
        })
        .await
    }
}
