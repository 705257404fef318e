//! Unattended login on [`ObAuthClient`]: the one call for stored tokens, as the core has it
//! (`obauth::Client::resume_session`), translated.

use std::sync::Arc;
use std::time::Duration;

use obauth::{Secret, SupervisedLoginReason};

use crate::login::ObAuthClient;
use crate::storage::{HostStorage, SecureStorage};
use crate::types::SupervisedTokens;
use crate::{ObAuthError, run};

/// What `resumeSession` found.
#[derive(Clone, Debug, uniffi::Enum)]
pub enum SessionAccess {
    /// The stored session is valid for longer than the margin: use these tokens.
    Current {
        /// The stored tokens.
        tokens: SupervisedTokens,
    },
    /// The session had expired; an unattended login started a new one and replaced the login
    /// token. Store these tokens in place of the old ones (`resumeStoredSession` has).
    Renewed {
        /// The new tokens (`completedVia` is `UNATTENDED`).
        tokens: SupervisedTokens,
    },
    /// Run a supervised login.
    SupervisedLoginRequired {
        /// Why: the bank does not support unattended logins, the login token expired or was
        /// refused, or nothing is stored.
        reason: SupervisedLoginReason,
    },
}

impl From<obauth::SessionAccess> for SessionAccess {
    fn from(access: obauth::SessionAccess) -> Self {
        use obauth::SessionAccess as A;
        match access {
            A::Current(t) => SessionAccess::Current { tokens: t.into() },
            A::Renewed(t) => SessionAccess::Renewed { tokens: t.into() },
            A::SupervisedLoginRequired(reason) => SessionAccess::SupervisedLoginRequired { reason },
        }
    }
}

#[uniffi::export]
impl ObAuthClient {
    /// A new session from a stored login token, without the user
    /// (`POST /v1/authentication/unattended`); `user_hash` empty in relay mode. The answer's
    /// login token replaces the old one. A refused login token throws
    /// `ObAuthError.Reauthenticate` with code `login_token_rejected`: start a supervised login.
    pub async fn unattended_login(
        &self,
        user_hash: String,
        login_token: Secret,
    ) -> Result<SupervisedTokens, ObAuthError> {
        run(&self.inner, |c| async move {
            c.unattended_login(&user_hash, &login_token).await
        })
        .await
    }

    /// The one call for stored tokens: the session while it is valid for longer than
    /// `margin_ms`, else an unattended login where the login token allows it, else the reason
    /// a supervised login is needed. Throws only for errors that say nothing about the login
    /// token (network, provider trouble, bad client credentials).
    #[uniffi::method(default(margin_ms = 60000))]
    pub async fn resume_session(
        &self,
        user_hash: String,
        tokens: SupervisedTokens,
        margin_ms: u64,
    ) -> Result<SessionAccess, ObAuthError> {
        let tokens: obauth::SupervisedTokens = tokens.into();
        let margin = Duration::from_millis(margin_ms);
        run(&self.inner, |c| async move {
            c.resume_session(&user_hash, &tokens, margin).await
        })
        .await
    }

    /// `resumeSession` for tokens the core keeps in `storage` under `key` (written by
    /// `supervisedTokensToJson`); renewed tokens replace the stored ones before this returns.
    /// Nothing stored: `SupervisedLoginRequired(NO_STORED_LOGIN)`.
    #[uniffi::method(default(margin_ms = 60000))]
    pub async fn resume_stored_session(
        &self,
        storage: Arc<dyn SecureStorage>,
        key: String,
        user_hash: String,
        margin_ms: u64,
    ) -> Result<SessionAccess, ObAuthError> {
        let margin = Duration::from_millis(margin_ms);
        run(&self.inner, |c| async move {
            let storage = HostStorage(storage);
            c.resume_stored_session(&storage, &key, &user_hash, margin)
                .await
        })
        .await
    }
}

/// The JSON `resumeStoredSession` reads (secrets included: secure storage only): store it
/// after a supervised login. Throws `InvalidInput` (`invalid_snapshot`) rather than return an
/// empty string.
#[uniffi::export]
pub fn supervised_tokens_to_json(tokens: SupervisedTokens) -> Result<String, ObAuthError> {
    Ok(obauth::SupervisedTokens::from(tokens).to_json()?)
}

/// Reads `supervisedTokensToJson` output; `ObAuthError.InvalidInput` (`invalid_snapshot`)
/// otherwise.
#[uniffi::export]
pub fn supervised_tokens_from_json(json: String) -> Result<SupervisedTokens, ObAuthError> {
    Ok(obauth::SupervisedTokens::from_json(&json)?.into())
}
