//! The contract between a sans-IO flow and the driver that runs it.
//!
//! A flow is a state machine: an [`Input`] (or a redirect URL) plus a [`Ctx`] (the current
//! wall-clock and monotonic times and a random number) goes in, a list of [`Effect`]s comes out. The flow never reads a clock,
//! draws a random number or touches a socket, so every transition is a plain function call in
//! tests, and random interleavings of inputs can be checked exhaustively. The driver
//! (`obauth::driver`, in the driver crate) turns effects into HTTP requests, timers and state notifications, and feeds
//! the results back as inputs.

use std::time::Duration;

use url::Url;

use crate::error::Error;
use crate::http::{HttpRequest, HttpResult, RequestKind};
use crate::timestamp::{Monotonic, Timestamp};

/// What the flow is handed with every input: it reads no clock and draws no randomness itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctx {
    /// The current wall-clock time: for what is persisted (the overall deadline, when a code
    /// arrived) and what the provider dates (expiries, `Retry-After`).
    pub now: Timestamp,
    /// The current monotonic time: for spacing and deadlines within this process (the
    /// long-poll window, a live code's lifetime), immune to wall-clock changes.
    pub mono: Monotonic,
    /// A fresh random number (for retry jitter).
    pub entropy: u64,
}

/// Timers a flow can arm. At most one of each kind is armed at a time; re-arming replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TimerKind {
    /// Retry a request of this kind after a transient failure.
    Retry(RequestKind),
    /// Send the next status long-poll (the previous window ended early).
    NextPoll,
    /// The flow's overall deadline.
    Deadline,
}

/// Something that happened to the flow.
#[derive(Clone, Debug)]
pub enum Input {
    /// Begin (send the first request).
    Start,
    /// A request sent for an [`Effect::Send`] finished.
    Response {
        /// Which request.
        kind: RequestKind,
        /// Its outcome.
        result: HttpResult,
    },
    /// A timer armed by [`Effect::ArmTimer`] fired.
    Timer(TimerKind),
    /// The host cancelled the flow.
    Cancel,
    /// The flow was restored from a snapshot (the app was killed and relaunched): re-arm the
    /// deadline and pick up what was in progress.
    Resume,
}

/// Something the flow wants done.
#[derive(Clone, Debug)]
pub enum Effect<S> {
    /// Send this request and feed back an [`Input::Response`] of the same kind. Replaces (aborts)
    /// any request of the same kind still in flight.
    Send(HttpRequest),
    /// Abandon the in-flight request of this kind; its response must not be fed back.
    Abort(RequestKind),
    /// Fire [`Input::Timer`] after `after`; replaces an armed timer of the same kind.
    ArmTimer {
        /// Which timer.
        timer: TimerKind,
        /// When, from now.
        after: Duration,
    },
    /// Disarm a timer.
    CancelTimer(TimerKind),
    /// The flow ended: abandon every request and timer.
    Stop,
    /// The flow entered a new state; tell the host. States come in order, none skipped.
    State(S),
}

/// What the core did with a URL the host handed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectOutcome {
    /// Not this flow's redirect: the host should handle the URL as it normally would.
    NotForThisFlow,
    /// The redirect carried a code and the flow took it: an authorization-code flow (its
    /// `state` checked) exchanges it now; a supervised login, whose redirect carries no `state`,
    /// first asks the provider's status and exchanges only a code the status reports.
    CodeAccepted,
    /// The redirect reported an error from the provider: an authorization-code flow has ended
    /// with it; a supervised login ends with it once the provider's status agrees.
    ProviderError(Error),
    /// The redirect belongs to this flow but changes nothing.
    Ignored(IgnoredReason),
    /// The redirect matched but was refused (malformed, forged or missing state, no code); the
    /// flow goes on waiting for a valid one.
    Rejected(Error),
}

/// Why a matching redirect changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoredReason {
    /// A code was already received (by an earlier redirect or by polling) and is being or has
    /// been exchanged: duplicates are never exchanged again.
    CodeAlreadyReceived,
    /// The flow has already finished (authenticated, failed, cancelled or timed out).
    FlowFinished,
    /// The flow has not reached the point where it waits for the user (a stale redirect).
    NotWaitingForRedirect,
}

/// A sans-IO flow the driver can run.
pub trait Flow: Send + 'static {
    /// The renderable state the host observes.
    type State: Clone + std::fmt::Debug + Send + Sync + 'static;
    /// What the flow produces when it succeeds.
    type Output: Clone + Send + Sync + 'static;

    /// Feeds one input.
    fn handle(&mut self, input: Input, ctx: Ctx) -> Vec<Effect<Self::State>>;

    /// Offers a URL the host met (WebView navigation, Universal Link, App Link, loopback).
    fn redirect(&mut self, url: &Url, ctx: Ctx) -> (RedirectOutcome, Vec<Effect<Self::State>>);

    /// The current state.
    fn state(&self) -> Self::State;

    /// The redirect this flow waits for (used by the WebView navigation policy).
    fn redirect_pattern(&self) -> &crate::redirect::RedirectPattern;

    /// The hosts of the provider pages this flow was given (a supervised login's `authUrl`, an
    /// authorization flow's authorize endpoint): the WebView may show them without the app
    /// listing them ([`crate::navigation`]).
    fn web_hosts(&self) -> Vec<String> {
        Vec::new()
    }

    /// `Some` once the flow has finished: its result.
    fn outcome(&self) -> Option<Result<Self::Output, Error>>;

    /// The flow's correlation id (sent as `X-Correlation-Id` on each of its requests; not a
    /// secret, quote it in a support ticket); `None` before the flow's first input.
    fn correlation_id(&self) -> Option<crate::correlation::CorrelationId> {
        None
    }

    /// The flow as a versioned snapshot (see [`crate::snapshot`]); contains secrets, so it
    /// belongs in secure storage only. A snapshot that cannot be written is an error, never an
    /// empty string.
    fn snapshot(&self) -> Result<String, Error>;
}
