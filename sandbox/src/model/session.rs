//! A supervised-login session as the outside sees it: its [`SessionState`] (the provider's wire
//! names) and the [`SessionInfo`] snapshot tests assert on.

use std::fmt;
use std::time::Instant;

/// The provider's session states, as reported by the status endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// The user has not finished yet.
    InProgress,
    /// The user approved; a code is available.
    Succeeded,
    /// The login failed.
    Failed,
    /// No session was needed (payments).
    NotApplicable,
    /// The user cancelled.
    Cancelled,
}

impl SessionState {
    /// The wire name (`"InProgress"`, `"Succeeded"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::InProgress => "InProgress",
            SessionState::Succeeded => "Succeeded",
            SessionState::Failed => "Failed",
            SessionState::NotApplicable => "NotApplicable",
            SessionState::Cancelled => "Cancelled",
        }
    }

    /// Whether the session has reached a final state.
    pub fn is_final(self) -> bool {
        self != SessionState::InProgress
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A snapshot of one session, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The `sessionId` returned by initialize.
    pub session_id: String,
    /// The `userHash` the session was initialized for.
    pub user_hash: String,
    /// The current state.
    pub state: SessionState,
    /// When the session was initialized.
    pub created_at: Instant,
    /// When the session became `Succeeded` (for timed scripts: the scripted instant).
    pub succeeded_at: Option<Instant>,
    /// Successful code exchanges for this session (a correct client makes exactly one).
    pub exchanges: u32,
}
