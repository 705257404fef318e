//! Signing a user out of an OpenID Connect provider: token revocation (RFC 7009) and the
//! RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0).
//!
//! Why both, and in this order: deleting tokens on the device does not end them at the
//! provider, and a refresh token copied before (a backup, a compromised device) would keep
//! working for months. [`OidcClient::sign_out`] therefore revokes the refresh token first (at
//! most providers that ends the whole grant, access tokens included), then the access token,
//! at the `revocation_endpoint` discovery names; then it forgets the tokens on the device
//! **whatever the revocation did** (a sign-out the user asked for must never leave them
//! signed in because the network was down), and says for each token what happened
//! ([`SignOutOutcome`]) so the app can retry a revocation later or tell the user. If discovery
//! has an `end_session_endpoint`, the outcome also carries the URL that ends the provider's
//! browser session (the host opens it; the provider sends the user back to
//! `post_logout_redirect_uri` with `state`).

use url::Url;

use crate::client::{OidcClient, PkceConfig};
use crate::error::Error;
use crate::http::{RequestKind, classify};
use crate::oauth::discovery::{self, ProviderMetadata};
use crate::oauth::oauth_failure;
use crate::oauth::{ClientAuth, TokenEndpoint, TokenTypeHint, TokenWire};
use crate::secret::Secret;
use crate::tokens::TokenManager;
use crate::validate;

/// What became of one token at sign-out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevocationOutcome {
    /// The provider answered 200: the token is no longer valid (RFC 7009 §2.2).
    Revoked,
    /// There was no such token to revoke.
    NoToken,
    /// The provider has no `revocation_endpoint`: the token stays valid until it expires.
    NotSupported,
    /// The revocation failed (network, 5xx, refused): the token may still be valid.
    Failed(Error),
}

/// What a sign-out did. `Debug` shows the logout URL without its query values (the ID token).
#[derive(Clone, PartialEq, Eq)]
pub struct SignOutOutcome {
    /// The refresh token's revocation (sent first).
    pub refresh_token: RevocationOutcome,
    /// The access token's revocation.
    pub access_token: RevocationOutcome,
    /// `Ok` when the tokens were forgotten on the device and removed from storage; an error
    /// only if the storage could not remove them (they are forgotten in memory regardless).
    pub cleared: Result<(), Error>,
    /// The RP-initiated logout URL, when the provider has an `end_session_endpoint` and
    /// [`SignOutParams`] asked for one. Contains the ID token as `id_token_hint`: do not log it.
    pub end_session_url: Option<String>,
}

impl std::fmt::Debug for SignOutOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignOutOutcome")
            .field("refresh_token", &self.refresh_token)
            .field("access_token", &self.access_token)
            .field("cleared", &self.cleared)
            .field(
                "end_session_url",
                &self
                    .end_session_url
                    .as_deref()
                    .map(obauth_protocol::redact::url_for_log),
            )
            .finish()
    }
}

impl SignOutOutcome {
    /// Whether every token that existed was revoked at the provider.
    pub fn fully_revoked(&self) -> bool {
        [&self.refresh_token, &self.access_token]
            .iter()
            .all(|o| matches!(o, RevocationOutcome::Revoked | RevocationOutcome::NoToken))
    }
}

/// The optional logout redirect of a sign-out.
#[derive(Clone, Debug, Default)]
pub struct SignOutParams {
    /// Ask for the RP-initiated logout URL (needs `end_session_endpoint` in discovery).
    pub end_session: bool,
    /// Where the provider sends the user after logout (registered with the provider).
    pub post_logout_redirect_uri: Option<String>,
    /// Echoed to `post_logout_redirect_uri`.
    pub state: Option<String>,
}

impl OidcClient {
    fn public_endpoint(
        &self,
        config: &PkceConfig,
        metadata: &ProviderMetadata,
    ) -> Result<TokenEndpoint, Error> {
        let creds = self.public_creds(config)?;
        Ok(TokenEndpoint {
            url: validate::service_url("token_endpoint", &metadata.token_endpoint, false)?,
            wire: TokenWire::Form(ClientAuth::None),
            client_id: creds.client_id,
            client_secret: None,
            timeout: self.request_timeout,
        })
    }

    /// Revokes one token of a public client at the issuer's `revocation_endpoint` (RFC 7009).
    /// A token the provider does not know counts as revoked (§2.2). Fails with
    /// [`Error::NotApplicable`] when the provider advertises no revocation endpoint.
    pub async fn revoke(
        &self,
        config: &PkceConfig,
        token: &Secret,
        hint: TokenTypeHint,
    ) -> Result<(), Error> {
        if token.is_empty() {
            return Err(Error::invalid("token", "must not be empty"));
        }
        self.public_creds(config)?;
        let metadata = self.discover(&config.issuer).await?;
        let revocation = revocation_url(&metadata)?.ok_or(Error::NotApplicable)?;
        let endpoint = self.public_endpoint(config, &metadata)?;
        self.send_revocation(&endpoint, &revocation, token, hint)
            .await
    }

    async fn send_revocation(
        &self,
        endpoint: &TokenEndpoint,
        revocation: &Url,
        token: &Secret,
        hint: TokenTypeHint,
    ) -> Result<(), Error> {
        let request = endpoint.revoke(revocation, token, hint);
        let result = self.transport.execute(request).await;
        classify(RequestKind::Revocation, result, crate::live::now())
            .map(|_| ())
            .map_err(|f| oauth_failure(f).error)
    }

    /// The RP-initiated logout URL for `id_token_hint`, if the provider has an
    /// `end_session_endpoint` (else `None`).
    pub async fn end_session_url(
        &self,
        config: &PkceConfig,
        id_token_hint: Option<&Secret>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let creds = self.public_creds(config)?;
        if let Some(uri) = post_logout_redirect_uri {
            crate::redirect::RedirectPattern::parse("postLogoutRedirectUri", uri, false)?;
        }
        let metadata = self.discover(&config.issuer).await?;
        let Some(end) = &metadata.end_session_endpoint else {
            return Ok(None);
        };
        discovery::end_session_url(
            end,
            &creds.client_id,
            id_token_hint,
            post_logout_redirect_uri,
            state,
        )
        .map(|url| Some(url.to_string()))
    }

    /// Signs the user of `tokens` out: revokes the refresh token, then the access token, then
    /// forgets the tokens (memory and storage) even if a revocation failed; with
    /// `params.end_session`, also builds the RP-initiated logout URL. Invalid arguments are
    /// refused before anything is sent or forgotten; after that it never fails as a whole:
    /// the outcome says what happened to each token.
    pub async fn sign_out(
        &self,
        config: &PkceConfig,
        tokens: &TokenManager,
        params: SignOutParams,
    ) -> Result<SignOutOutcome, Error> {
        self.public_creds(config)?;
        if let Some(uri) = &params.post_logout_redirect_uri {
            crate::redirect::RedirectPattern::parse("postLogoutRedirectUri", uri, false)?;
        }
        let current = tokens.current();
        let metadata = self.discover(&config.issuer).await;
        let revocation = metadata
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|m| Ok((revocation_url(m)?, self.public_endpoint(config, m)?)));
        let revoke = |token: Option<Secret>, hint: TokenTypeHint| {
            let revocation = &revocation;
            async move {
                let Some(token) = token.filter(|t| !t.is_empty()) else {
                    return RevocationOutcome::NoToken;
                };
                match revocation {
                    Err(e) => RevocationOutcome::Failed(e.clone()),
                    Ok((None, _)) => RevocationOutcome::NotSupported,
                    Ok((Some(url), endpoint)) => {
                        match self.send_revocation(endpoint, url, &token, hint).await {
                            Ok(()) => RevocationOutcome::Revoked,
                            Err(e) => {
                                log::warn!("sign-out: revoking the {} failed: {e}", hint.as_str());
                                RevocationOutcome::Failed(e)
                            }
                        }
                    }
                }
            }
        };
        let refresh_token = revoke(
            current.as_ref().and_then(|t| t.refresh_token.clone()),
            TokenTypeHint::RefreshToken,
        )
        .await;
        let access_token = revoke(
            current.as_ref().map(|t| t.access_token.clone()),
            TokenTypeHint::AccessToken,
        )
        .await;
        let cleared = tokens.clear();
        let end_session_url = match (&metadata, params.end_session) {
            (Ok(m), true) => m.end_session_endpoint.as_deref().and_then(|end| {
                discovery::end_session_url(
                    end,
                    config.client_id.trim(),
                    current.as_ref().and_then(|t| t.id_token.as_ref()),
                    params.post_logout_redirect_uri.as_deref(),
                    params.state.as_deref(),
                )
                .ok()
                .map(|u| u.to_string())
            }),
            _ => None,
        };
        Ok(SignOutOutcome {
            refresh_token,
            access_token,
            cleared,
            end_session_url,
        })
    }
}

fn revocation_url(metadata: &ProviderMetadata) -> Result<Option<Url>, Error> {
    metadata
        .revocation_endpoint
        .as_deref()
        .map(|u| validate::service_url("revocation_endpoint", u, false))
        .transpose()
}
