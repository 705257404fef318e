//! Human progress on stderr: each state transition with the time since the start.

use std::time::Instant;

use obauth::LoginState;

/// Prints timed progress lines.
#[derive(Clone, Copy)]
pub struct Progress {
    started: Instant,
}

impl Progress {
    /// Starts the clock.
    pub fn start() -> Self {
        Progress {
            started: Instant::now(),
        }
    }

    /// Prints one line with the elapsed time.
    pub fn line(&self, text: &str) {
        eprintln!("  +{:>8.3}s  {text}", self.started.elapsed().as_secs_f64());
    }

    /// Prints a state; for `AwaitingUser` also the machine-readable `auth_url:` line.
    pub fn state(&self, state: &LoginState) {
        self.line(&describe(state));
        if let LoginState::AwaitingUser { auth_url, .. } = state {
            eprintln!("auth_url: {auth_url}");
        }
    }
}

/// One line describing a state; never contains a secret.
pub fn describe(state: &LoginState) -> String {
    match state {
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
        } => format!("authenticated       at {provider_id}; session valid until {session_expires}"),
        LoginState::Failed { error } => format!("failed              {error}"),
        LoginState::Cancelled { by } => format!("cancelled           by {by}"),
        other => other.name().to_owned(),
    }
}
