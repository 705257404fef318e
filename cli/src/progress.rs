//! Human progress on stderr: each state transition with the time since the start.

use std::time::Instant;

use obauth::{AuthorizationState, LoginState};

/// A flow state the CLI can print.
pub trait Render {
    /// One line describing the state; never contains a secret.
    fn describe(&self) -> String;
    /// The URL the user must open, when the state carries it.
    fn auth_url(&self) -> Option<&str>;
}

/// Prints timed progress lines.
#[derive(Clone, Copy)]
pub struct Progress {
    started: Instant,
    qr: bool,
}

impl Progress {
    /// Starts the clock.
    pub fn start() -> Self {
        Progress {
            started: Instant::now(),
            qr: false,
        }
    }

    /// Also shows the auth URL as a QR code (`--qr`; only when stderr is a terminal).
    pub fn with_qr(self, qr: bool) -> Self {
        Progress { qr, ..self }
    }

    /// Prints one line with the elapsed time.
    pub fn line(&self, text: &str) {
        eprintln!("  +{:>8.3}s  {text}", self.started.elapsed().as_secs_f64());
    }

    /// Prints a state; when it carries the URL to open, also the machine-readable
    /// `auth_url: <URL>` line (and, with `--qr` on a terminal, its QR code).
    pub fn state(&self, state: &impl Render) {
        self.line(&state.describe());
        if let Some(url) = state.auth_url() {
            eprintln!("auth_url: {url}");
            crate::qr::show(url, self.qr);
        }
    }
}

impl Render for LoginState {
    fn describe(&self) -> String {
        match self {
            LoginState::AwaitingUser { session_id, .. } => {
                format!(
                    "awaiting_user       session {session_id}: open the auth URL and sign in at the bank"
                )
            }
            LoginState::CodeReceived { via } => format!("code_received       via {}", via.as_str()),
            LoginState::Exchanging { .. } => "exchanging          code for tokens".to_owned(),
            LoginState::Authenticated {
                provider_id,
                session_expires,
                ..
            } => format!(
                "authenticated       at {provider_id}; session valid until {session_expires}"
            ),
            LoginState::Failed { error } => format!("failed              {error}"),
            LoginState::Cancelled { by } => format!("cancelled           by {by}"),
            other => other.name().to_owned(),
        }
    }

    fn auth_url(&self) -> Option<&str> {
        match self {
            LoginState::AwaitingUser { auth_url, .. } => Some(auth_url),
            _ => None,
        }
    }
}

impl Render for AuthorizationState {
    fn describe(&self) -> String {
        match self {
            AuthorizationState::AwaitingUser { .. } => {
                "awaiting_user       open the auth URL and approve the consent".to_owned()
            }
            AuthorizationState::CodeReceived => {
                "code_received       via redirect (state verified)".to_owned()
            }
            AuthorizationState::Exchanging => "exchanging          code for tokens".to_owned(),
            AuthorizationState::Authenticated {
                expires_at,
                consent_id,
                refreshable,
                ..
            } => format!(
                "authenticated       access token valid until {}; refresh token: {}; consent {}",
                expires_at.map_or("?".to_owned(), |t| t.to_string()),
                if *refreshable { "yes" } else { "no" },
                consent_id.as_deref().unwrap_or("-")
            ),
            AuthorizationState::Failed { error } => format!("failed              {error}"),
            AuthorizationState::Cancelled { by } => format!("cancelled           by {by}"),
            other => other.name().to_owned(),
        }
    }

    fn auth_url(&self) -> Option<&str> {
        match self {
            AuthorizationState::AwaitingUser { authorize_url } => Some(authorize_url),
            _ => None,
        }
    }
}
