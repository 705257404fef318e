//! The simulated end user: what they do on the hosted pages ([`UserScript`] for supervised login,
//! [`ConsentScript`] for the OAuth consent pages) and the ways a session can end ([`Outcome`]).
//!
//! Tests script the user instead of clicking; these are the vocabulary of that script, shared by
//! the configuration, the store, the control API and the public handle.

use std::time::Duration;

/// What the (simulated) user does on the hosted OAuth consent pages: the Aiia consent page and
/// the OIDC authorize page. There is one end user; the script applies to every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConsentScript {
    /// The page is shown; the user (a browser test) clicks `#approve` or `#cancel`.
    #[default]
    Page,
    /// Showing the page approves at once: the page request answers with the `302` to the
    /// app's `redirect_uri` carrying the code, as if the user had clicked Approve.
    Approve,
    /// Showing the page cancels at once: `302` with `error=access_denied`.
    Cancel,
    /// The user cancels or the bank fails, and the Aiia Data connect flow comes back as the
    /// provider documents it: `302` to the `redirect_uri` with `state` only — no `code`, no
    /// `consentId`, no `error`. (The OIDC page answers `error=access_denied`, as [`Self::Cancel`].)
    ReturnWithoutCode,
}

/// What the (simulated) user of a session does. Timers start when the session is initialized.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UserScript {
    /// Nothing automatic: the user acts on the hosted HTML page (or a test calls
    /// [`crate::Sandbox::complete_session`]).
    #[default]
    WaitForPage,
    /// The session becomes `Succeeded` (with a code) after the delay; no browser involved.
    ApproveAfter(Duration),
    /// The session becomes `Failed` after the delay.
    FailAfter(Duration),
    /// The session becomes `Cancelled` after the delay.
    CancelAfter(Duration),
    /// The session becomes `NotApplicable` after the delay.
    NotApplicableAfter(Duration),
    /// The session stays `InProgress` forever: page decisions and
    /// [`crate::Sandbox::complete_session`] are refused (the page says it is still waiting).
    NeverFinish,
}

/// A way to end a session, as the hosted page (or a test) would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The user approved: `Succeeded`, with a fresh code.
    Approve,
    /// The login failed at the bank: `Failed`.
    Fail,
    /// The user cancelled: `Cancelled`.
    Cancel,
    /// No session was needed: `NotApplicable`.
    NotApplicable,
}
