//! What every flow machine does, written once.
//!
//! The supervised login ([`crate::supervised`]) and the authorization-code flows
//! ([`crate::authorization`]) differ in their requests and their phases, and share everything
//! else: how a flow ends ([`Ending`]: the one definition of "terminal"), failing and finishing
//! ([`Machine::finish`], [`Machine::fail`]), the overall deadline ([`Machine::arm_deadline`],
//! [`Machine::resume`]), resending a received code while it lives
//! ([`Machine::resend_exchange`], [`Machine::retry_exchange`]), reading a token endpoint's
//! failure ([`exchange_failure`]) and reading a redirect, including the one rule for
//! recognising that the user cancelled at the provider ([`is_user_cancel`]).
//!
//! The edges every machine shares are taken here, before the machine's table
//! ([`Machine::handle_input`], [`Machine::handle_redirect`]): the start (once, arming the
//! deadline), anything before it or after the end, a cancel and the deadline from any phase, and
//! while a code is being exchanged everything but the exchange's answer (a resume or a retry
//! timer sends it again while it lives, a redirect is a duplicate). Each machine writes the rest
//! of its protocol as one `match (phase, event)` in its `step` ([`Machine::step`]) whose arms
//! call small named actions: the events ([`Event`]) are the inputs and the redirect, with every
//! response and redirect already read into what it says ([`Reply`], [`RedirectReply`]), so the
//! arms are the machine's own edges of its diagram (its `README.md`). The accessors, `Flow`
//! methods and snapshot ending records every machine writes alike come from
//! [`phase_accessors!`], [`flow_through_kit!`] and [`ending_records!`].

use std::time::Duration;

use url::Url;

use crate::backoff::{Retrier, RetryPolicy};
use crate::correlation::{self, CorrelationId};
use crate::error::{CancelOrigin, Error, ErrorInfo, PersistedError, sanitize_provider_code};
use crate::flow::{Ctx, Effect, Flow, IgnoredReason, Input, RedirectOutcome, TimerKind};
use crate::http::{Failure, HttpRequest, HttpResult, RequestKind};
use crate::secret::Secret;
use crate::timestamp::{Monotonic, Timestamp};

/// How a flow ended. A machine is terminal exactly when its phase holds an `Ending`: nothing
/// moves it afterwards, and its [`Flow::outcome`] is `Some`.
#[derive(Clone, Debug)]
pub(crate) enum Ending<T> {
    /// Tokens were issued.
    Authenticated(T),
    /// An error ended the flow (kept as category and message across a restore).
    Failed(PersistedError),
    /// The user (at the provider) or the app cancelled.
    Cancelled(CancelOrigin),
    /// The provider says there is nothing to sign in to (supervised logins only).
    NotApplicable,
    /// The overall deadline passed.
    TimedOut,
}

impl<T: Clone> Ending<T> {
    /// The flow's result: the tokens, or the error it ended with.
    pub(crate) fn outcome(&self, timeout: Duration) -> Result<T, Error> {
        match self {
            Ending::Authenticated(tokens) => Ok(tokens.clone()),
            Ending::Failed(error) => Err(error.error()),
            Ending::Cancelled(by) => Err(Error::Cancelled { by: *by }),
            Ending::NotApplicable => Err(Error::NotApplicable),
            Ending::TimedOut => Err(Error::TimedOut(timeout)),
        }
    }

    /// The phase's name in the machines' diagrams.
    #[cfg(test)]
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Ending::Authenticated(_) => "Authenticated",
            Ending::Failed(_) => "Failed",
            Ending::Cancelled(_) => "Cancelled",
            Ending::NotApplicable => "NotApplicable",
            Ending::TimedOut => "TimedOut",
        }
    }
}

/// The bookkeeping every flow keeps besides its phase.
#[derive(Clone, Debug)]
pub(crate) struct Lifecycle {
    /// From the start to tokens.
    pub timeout: Duration,
    /// How long a received code can be exchanged.
    pub code_lifetime: Duration,
    /// The overall deadline, set at the first start. Wall-clock, because it is persisted and
    /// must survive a restart; in the process the deadline is a timer (monotonic).
    pub deadline_at: Option<Timestamp>,
    /// Retries of the current request.
    pub retrier: Retrier,
    /// The flow's `X-Correlation-Id`, made from its first input's entropy and kept in its
    /// snapshot (`None` only before the first input, or restored from a snapshot written
    /// before correlation ids existed, which gets one at its next input).
    pub correlation: Option<CorrelationId>,
}

impl Lifecycle {
    /// A new flow's, before its start. Durations are kept in whole milliseconds (as snapshots
    /// write them).
    pub(crate) fn new(timeout: Duration, code_lifetime: Duration, retry: RetryPolicy) -> Self {
        let whole_millis = |d: Duration| Duration::from_millis(crate::timestamp::whole_millis(d));
        Lifecycle {
            timeout: whole_millis(timeout),
            code_lifetime: whole_millis(code_lifetime),
            deadline_at: None,
            retrier: Retrier::new(retry),
            correlation: None,
        }
    }

    /// A restored flow's, as its snapshot wrote it.
    pub(crate) fn restored(
        timeout_ms: u64,
        code_lifetime_ms: u64,
        deadline_at: Option<Timestamp>,
        retry: RetryPolicy,
        correlation: Option<CorrelationId>,
    ) -> Self {
        Lifecycle {
            timeout: Duration::from_millis(timeout_ms),
            code_lifetime: Duration::from_millis(code_lifetime_ms),
            deadline_at,
            retrier: Retrier::new(retry),
            correlation,
        }
    }

    /// The correlation id, made now from `entropy` if the flow has none yet.
    pub(crate) fn correlate(&mut self, entropy: u64) -> &CorrelationId {
        self.correlation
            .get_or_insert_with(|| CorrelationId::from_entropy(entropy))
    }

    /// `error` as the host sees it in a `Failed` state: quoting the flow's correlation id.
    pub(crate) fn error_info(&self, error: &PersistedError) -> ErrorInfo {
        error.info().with_correlation_id(self.correlation.as_ref())
    }

    /// `[<id>] ` for log lines, or nothing before the id exists.
    pub(crate) fn log_tag(&self) -> String {
        self.correlation
            .as_ref()
            .map(|id| format!("[{id}] "))
            .unwrap_or_default()
    }
}

/// A code received from the provider and not yet exchanged.
#[derive(Clone, Debug)]
pub(crate) struct ReceivedCode {
    /// The code.
    pub code: Secret,
    /// When it arrived, wall-clock: persisted, so a restored flow knows whether it still lives.
    pub received_at: Timestamp,
    /// When it arrived, on the monotonic clock of this process (`None` after a restore). While
    /// the process lives, the code's lifetime is measured with it, immune to clock changes.
    pub received_mono: Option<Monotonic>,
}

impl ReceivedCode {
    /// A code arriving now.
    pub(crate) fn new(code: Secret, ctx: Ctx) -> Self {
        ReceivedCode {
            code,
            received_at: ctx.now,
            received_mono: Some(ctx.mono),
        }
    }

    /// A code read back from a snapshot.
    pub(crate) fn restored(code: Secret, received_at: Timestamp) -> Self {
        ReceivedCode {
            code,
            received_at,
            received_mono: None,
        }
    }

    /// Whether the code can still be exchanged `after` from now.
    pub(crate) fn lives(&self, lifetime: Duration, ctx: Ctx, after: Duration) -> bool {
        match self.received_mono {
            Some(at) => ctx.mono.plus(after) < at.plus(lifetime),
            None => ctx.now.plus(after) < self.received_at.plus(lifetime),
        }
    }
}

/// What a response says, as far as a flow cares.
#[derive(Debug)]
pub(crate) enum Reply<T> {
    /// The answer the flow asked for.
    Ok(T),
    /// Network trouble, 5xx, 429: worth sending again.
    Transient(Failure),
    /// A definitive failure.
    Fatal(Error),
}

impl<T> Reply<T> {
    /// The same reply, its answer changed by `f`.
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        match self {
            Reply::Ok(answer) => Reply::Ok(f(answer)),
            Reply::Transient(failure) => Reply::Transient(failure),
            Reply::Fatal(error) => Reply::Fatal(error),
        }
    }
}

/// What a machine's table matches on besides its phase: an input or a redirect, each response
/// and redirect already read into what it says (`R`, `D`: the machine's own types). What every
/// machine does alike never gets here ([`Machine::handle_input`], [`Machine::handle_redirect`]):
/// the start, anything before it or after the end, a cancel, the deadline, and, while a code is
/// being exchanged, everything but the exchange's answer.
#[derive(Debug)]
pub(crate) enum Event<R, D> {
    Resume,
    Timer(TimerKind),
    /// A response to a request the flow sends ([`Machine::read_response`]).
    Response(R),
    /// A redirect of this flow ([`Machine::read_redirect`]).
    Redirect(D),
    /// A response of a kind this flow never sends.
    Stray,
}

/// The host of a provider page the flow shows (lower case), if `url` is one.
pub(crate) fn page_host(url: &str) -> Vec<String> {
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .into_iter()
        .collect()
}

/// A token endpoint's failure to exchange a code: transient, a refused code (4xx), or another
/// error. A relay refusing the flow's redirect ([`Error::RedirectUrlNotAllowed`], read as such
/// by [`crate::http::provider_error`]) is not a refused code: the app's set-up is wrong and
/// signing in again cannot help, so it stays what it is (category `Fatal`).
pub(crate) fn exchange_failure<T>(failure: Failure) -> Reply<T> {
    if failure.is_transient() {
        return Reply::Transient(failure);
    }
    Reply::Fatal(match failure.error {
        Error::UnexpectedStatus { status, code, .. } if (400..500).contains(&status) => {
            Error::CodeRejected { status, code }
        }
        error => error,
    })
}

/// The provider's `error` values that mean the user cancelled (compared ignoring case, after
/// [`sanitize_provider_code`]).
pub(crate) const USER_CANCEL_ERRORS: [&str; 6] = [
    "cancelled",
    "canceled",
    "cancel",
    "access_denied",
    "user_cancelled",
    "usercancelled",
];

/// The one rule, for every flow, for a redirect's `error` meaning that the user cancelled (or
/// declined) at the provider: the flow then ends as `Cancelled { by: User }`.
pub(crate) fn is_user_cancel(error: &str) -> bool {
    sanitize_provider_code(error).is_some_and(|code| {
        USER_CANCEL_ERRORS
            .iter()
            .any(|cancel| code.eq_ignore_ascii_case(cancel))
    })
}

/// What a redirect of this flow says.
#[derive(Debug)]
pub(crate) enum RedirectReply {
    /// An authorization code.
    Code(Secret),
    /// The user cancelled at the provider ([`is_user_cancel`]).
    UserCancelled,
    /// Another provider error.
    Error {
        /// The `error` value, as sent.
        error: String,
        /// The `error_description`, as sent.
        description: Option<String>,
    },
    /// Malformed, forged or incomplete: refused, the flow goes on waiting.
    Rejected(Error),
}

/// Reads a redirect's `code`, `error` and `error_description`: exactly one of a code and an
/// error must be there.
pub(crate) fn read_redirect(
    code: Option<String>,
    error: Option<String>,
    description: Option<String>,
) -> RedirectReply {
    match (code, error) {
        (Some(code), None) if !code.is_empty() => RedirectReply::Code(Secret::new(code)),
        (None, Some(error)) if is_user_cancel(&error) => RedirectReply::UserCancelled,
        (None, Some(error)) => RedirectReply::Error { error, description },
        (Some(_), Some(_)) => RedirectReply::Rejected(Error::InvalidRedirect(
            "the redirect carries both a code and an error".into(),
        )),
        _ => RedirectReply::Rejected(Error::InvalidRedirect(
            "the redirect carries neither a code nor an error".into(),
        )),
    }
}

/// What one step of a machine produced: effects and, for a redirect, what became of it.
pub(crate) struct Step<S> {
    /// What became of the redirect (`None` for every other event).
    pub redirect: Option<RedirectOutcome>,
    /// What the driver should do.
    pub effects: Vec<Effect<S>>,
}

impl<S> Step<S> {
    /// Nothing happens.
    pub(crate) fn nothing() -> Self {
        Vec::new().into()
    }

    /// A redirect's outcome and the effects it caused.
    pub(crate) fn redirect(outcome: RedirectOutcome, effects: Vec<Effect<S>>) -> Self {
        Step {
            redirect: Some(outcome),
            effects,
        }
    }

    /// A redirect that changes nothing.
    pub(crate) fn ignored(reason: IgnoredReason) -> Self {
        Step::redirect(RedirectOutcome::Ignored(reason), Vec::new())
    }

    /// A redirect that is refused; the flow goes on waiting.
    pub(crate) fn rejected(error: Error) -> Self {
        Step::redirect(RedirectOutcome::Rejected(error), Vec::new())
    }

    /// The outcome of a redirect step (every redirect arm sets one).
    pub(crate) fn into_redirect(self) -> (RedirectOutcome, Vec<Effect<S>>) {
        debug_assert!(
            self.redirect.is_some(),
            "a redirect step without an outcome"
        );
        let outcome = self.redirect.unwrap_or(RedirectOutcome::Ignored(
            IgnoredReason::NotWaitingForRedirect,
        ));
        (outcome, self.effects)
    }
}

impl<S> From<Vec<Effect<S>>> for Step<S> {
    fn from(effects: Vec<Effect<S>>) -> Self {
        Step {
            redirect: None,
            effects,
        }
    }
}

/// The effects of machine `M`.
pub(crate) type Effects<M> = Vec<Effect<<M as Flow>::State>>;

/// The events of machine `M`'s table.
pub(crate) type EventOf<M> = Event<<M as Machine>::Response, <M as Machine>::Redirect>;

/// The actions every flow machine shares. A machine supplies its phase's ending, its
/// bookkeeping, its exchange request, how it reads responses and redirects, and its table
/// ([`Machine::step`]); the rest is written here once.
pub(crate) trait Machine: Flow + Sized {
    /// The flow's name in log lines (`supervised login`, `authorization flow`).
    const NAME: &'static str;

    /// What a response says, as far as the machine cares.
    type Response;

    /// What a redirect of this flow says.
    type Redirect;

    /// Whether the flow has not started yet.
    fn is_created(&self) -> bool;

    /// `Some` once the flow has ended.
    fn ending(&self) -> Option<&Ending<Self::Output>>;

    /// Moves to the terminal phase holding `ending`.
    fn set_ending(&mut self, ending: Ending<Self::Output>);

    /// The shared bookkeeping.
    fn lifecycle(&self) -> &Lifecycle;

    /// The shared bookkeeping, to change.
    fn lifecycle_mut(&mut self) -> &mut Lifecycle;

    /// The code being exchanged, in the exchanging phase.
    fn received_code(&self) -> Option<&ReceivedCode>;

    /// The request that exchanges `code`.
    fn exchange_request(&self, code: &Secret) -> HttpRequest;

    /// Reads a response into what it says; `None` for a kind of request this flow never sends.
    fn read_response(
        &self,
        kind: RequestKind,
        result: HttpResult,
        ctx: Ctx,
    ) -> Option<Self::Response>;

    /// Reads a redirect of this flow (its URL matched the flow's pattern).
    fn read_redirect(&self, url: &Url) -> Self::Redirect;

    /// The machine's first move, once [`Machine::begin`] has armed the `deadline`.
    fn start(&mut self, deadline: Effect<Self::State>, ctx: Ctx) -> Effects<Self>;

    /// The machine's table: one event in a phase of its own; the arms are the edges of the
    /// machine's diagram that are not every machine's (see [`Event`]).
    fn step(&mut self, event: EventOf<Self>, ctx: Ctx) -> Step<Self::State>;

    /// `Flow::handle` of every machine: the edges every machine shares, then the machine's
    /// table ([`Machine::step`]) with the input read.
    fn handle_input(&mut self, input: Input, ctx: Ctx) -> Effects<Self> {
        let ((), effects) = self.correlated(ctx, |m| {
            let exchanging = m.received_code().is_some();
            let event = match input {
                // Ended: nothing moves it.
                _ if m.is_terminal() => return ((), Vec::new()),
                // From any phase before the end.
                Input::Cancel => return ((), m.cancel_by_host()),
                Input::Timer(TimerKind::Deadline) => return ((), m.time_out()),
                // Once.
                Input::Start if m.is_created() => return ((), m.begin(ctx)),
                Input::Start => return ((), Vec::new()),
                Input::Resume if m.is_created() => return ((), Vec::new()),
                // A received code is sent again while it lives.
                Input::Resume if exchanging => return ((), m.resume(ctx, Self::resend_exchange)),
                Input::Timer(TimerKind::Retry(RequestKind::Exchange)) if exchanging => {
                    return ((), m.resend_exchange(ctx));
                }
                Input::Resume => Event::Resume,
                Input::Timer(timer) => Event::Timer(timer),
                Input::Response { kind, result } => m
                    .read_response(kind, result, ctx)
                    .map_or(Event::Stray, Event::Response),
            };
            ((), m.step(event, ctx).effects)
        });
        effects
    }

    /// `Flow::redirect` of every machine: a URL that is not the flow's redirect is not its
    /// business; before the start, once a code was received and after the end a redirect
    /// changes nothing; any other redirect is read and goes to the machine's table.
    fn handle_redirect(&mut self, url: &Url, ctx: Ctx) -> (RedirectOutcome, Effects<Self>) {
        if !self.redirect_pattern().matches(url) {
            return (RedirectOutcome::NotForThisFlow, Vec::new());
        }
        self.correlated(ctx, |m| {
            let ignored = if m.is_terminal() {
                Some(IgnoredReason::FlowFinished)
            } else if m.is_created() {
                Some(IgnoredReason::NotWaitingForRedirect)
            } else if m.received_code().is_some() {
                Some(IgnoredReason::CodeAlreadyReceived)
            } else {
                None
            };
            let step = match ignored {
                Some(reason) => Step::ignored(reason),
                None => {
                    let event = Event::Redirect(m.read_redirect(url));
                    m.step(event, ctx)
                }
            };
            step.into_redirect()
        })
    }

    /// Starts the flow: sets and arms the deadline (or times out at once), then the machine's
    /// first move ([`Machine::start`]).
    fn begin(&mut self, ctx: Ctx) -> Effects<Self> {
        match self.arm_deadline(ctx.now) {
            Ok(deadline) => self.start(deadline, ctx),
            Err(timed_out) => timed_out,
        }
    }

    /// Runs one step of the flow with its correlation id: the id is made (from this input's
    /// entropy) before the step if the flow has none, and every request the step sends carries
    /// it. Both `Flow::handle` and `Flow::redirect` of every machine go through here.
    fn correlated<T>(
        &mut self,
        ctx: Ctx,
        step: impl FnOnce(&mut Self) -> (T, Effects<Self>),
    ) -> (T, Effects<Self>) {
        // A flow that has ended sends nothing and must not change (its snapshot stays as
        // stored): one restored without an id does not get one now.
        if self.is_terminal() && self.lifecycle().correlation.is_none() {
            return step(self);
        }
        let id = self.lifecycle_mut().correlate(ctx.entropy).clone();
        let (value, mut effects) = step(self);
        correlation::tag(&mut effects, &id);
        (value, effects)
    }

    /// Whether the flow has ended: the one definition, for every machine.
    fn is_terminal(&self) -> bool {
        self.ending().is_some()
    }

    /// The flow's result once it has ended.
    fn ending_outcome(&self) -> Option<Result<Self::Output, Error>> {
        let timeout = self.lifecycle().timeout;
        self.ending().map(|ending| ending.outcome(timeout))
    }

    /// Ends the flow: every request and timer is abandoned, the host is told.
    fn finish(&mut self, ending: Ending<Self::Output>) -> Effects<Self> {
        self.set_ending(ending);
        vec![Effect::Stop, Effect::State(self.state())]
    }

    /// Ends the flow with `error`.
    fn fail(&mut self, error: Error) -> Effects<Self> {
        log::warn!(
            "{}{} failed: {error}",
            self.lifecycle().log_tag(),
            Self::NAME
        );
        self.finish(Ending::Failed(PersistedError::new(error)))
    }

    /// The app cancelled.
    fn cancel_by_host(&mut self) -> Effects<Self> {
        log::info!(
            "{}{} cancelled by the app",
            self.lifecycle().log_tag(),
            Self::NAME
        );
        self.finish(Ending::Cancelled(CancelOrigin::Host))
    }

    /// The user cancelled at the provider, as a redirect said.
    fn cancel_by_user(&mut self) -> Step<Self::State> {
        let by = CancelOrigin::User;
        let effects = self.finish(Ending::Cancelled(by));
        Step::redirect(
            RedirectOutcome::ProviderError(Error::Cancelled { by }),
            effects,
        )
    }

    /// The deadline timer fired.
    fn time_out(&mut self) -> Effects<Self> {
        log::warn!(
            "{}{} timed out after {:?}",
            self.lifecycle().log_tag(),
            Self::NAME,
            self.lifecycle().timeout
        );
        self.finish(Ending::TimedOut)
    }

    /// Sets the deadline on the first start (a restored flow keeps its original one) and arms
    /// its timer; the flow times out at once (`Err`) if the deadline has passed.
    fn arm_deadline(&mut self, now: Timestamp) -> Result<Effect<Self::State>, Effects<Self>> {
        let life = self.lifecycle_mut();
        let deadline = *life.deadline_at.get_or_insert(now.plus(life.timeout));
        if now >= deadline {
            return Err(self.finish(Ending::TimedOut));
        }
        Ok(Effect::ArmTimer {
            timer: TimerKind::Deadline,
            after: now.until(deadline),
        })
    }

    /// Continues a restored flow: re-arms the deadline (or times out), tells the host its state,
    /// and picks up what was in progress. If picking up ends the flow, only that is reported.
    fn resume(
        &mut self,
        ctx: Ctx,
        pick_up: impl FnOnce(&mut Self, Ctx) -> Effects<Self>,
    ) -> Effects<Self> {
        let deadline = match self.arm_deadline(ctx.now) {
            Ok(effect) => effect,
            Err(timed_out) => return timed_out,
        };
        let mut effects = vec![deadline, Effect::State(self.state())];
        let picked_up = pick_up(self, ctx);
        if self.is_terminal() {
            return picked_up;
        }
        effects.extend(picked_up);
        effects
    }

    /// The exchange's answer: tokens end the flow, a transient failure is retried while the
    /// code lives, any other failure ends it.
    fn exchanged(&mut self, reply: Reply<Self::Output>, ctx: Ctx) -> Effects<Self> {
        match reply {
            Reply::Ok(tokens) => self.finish(Ending::Authenticated(tokens)),
            Reply::Transient(failure) => self.retry_exchange(failure, ctx),
            Reply::Fatal(error) => self.fail(error),
        }
    }

    /// The first exchange of a code just received (the machine has moved to its exchanging
    /// phase): the retries start over.
    fn send_exchange(&mut self, ctx: Ctx) -> Effects<Self> {
        self.lifecycle_mut().retrier.reset();
        self.resend_exchange(ctx)
    }

    /// Sends the exchange again (a retry, or after a restore) while the code lives; otherwise
    /// the flow fails with [`Error::CodeExpired`]. Nothing outside the exchanging phase.
    fn resend_exchange(&mut self, ctx: Ctx) -> Effects<Self> {
        let lifetime = self.lifecycle().code_lifetime;
        let request = match self.received_code() {
            None => return Vec::new(),
            Some(code) if code.lives(lifetime, ctx, Duration::ZERO) => {
                self.exchange_request(&code.code)
            }
            Some(_) => return self.fail(Error::CodeExpired),
        };
        vec![Effect::Send(request)]
    }

    /// A transient exchange failure: retried with backoff, bounded by the code's lifetime (not
    /// a count); a retry the code would not live to see fails the flow with
    /// [`Error::CodeExpired`].
    fn retry_exchange(&mut self, failure: Failure, ctx: Ctx) -> Effects<Self> {
        let life = self.lifecycle_mut();
        let after =
            life.retrier
                .delay_after(RequestKind::Exchange.endpoint(), &failure, ctx.entropy);
        let lifetime = life.code_lifetime;
        if self
            .received_code()
            .is_some_and(|code| code.lives(lifetime, ctx, after))
        {
            vec![Effect::ArmTimer {
                timer: TimerKind::Retry(RequestKind::Exchange),
                after,
            }]
        } else {
            self.fail(Error::CodeExpired)
        }
    }
}

/// The [`Machine`] accessors every machine writes alike, for a machine whose bookkeeping is its
/// field `life` and whose `phase` starts in `Phase::Created`, ends in `Phase::Done(Ending)` and
/// exchanges a code in `Phase::Exchanging { code, .. }`. Used inside `impl Machine for …`.
macro_rules! phase_accessors {
    () => {
        fn is_created(&self) -> bool {
            matches!(self.phase, Phase::Created)
        }

        fn ending(&self) -> Option<&$crate::machine_kit::Ending<Self::Output>> {
            match &self.phase {
                Phase::Done(ending) => Some(ending),
                _ => None,
            }
        }

        fn set_ending(&mut self, ending: $crate::machine_kit::Ending<Self::Output>) {
            self.phase = Phase::Done(ending);
        }

        fn lifecycle(&self) -> &$crate::machine_kit::Lifecycle {
            &self.life
        }

        fn lifecycle_mut(&mut self) -> &mut $crate::machine_kit::Lifecycle {
            &mut self.life
        }

        fn received_code(&self) -> Option<&$crate::machine_kit::ReceivedCode> {
            match &self.phase {
                Phase::Exchanging { code, .. } => Some(code),
                _ => None,
            }
        }
    };
}
pub(crate) use phase_accessors;

/// The [`Flow`] methods every machine answers through the kit (input, redirect, outcome,
/// correlation id), for a machine whose bookkeeping is its field `life` and whose redirect
/// pattern is its field `redirect`. Used inside `impl Flow for …`.
macro_rules! flow_through_kit {
    () => {
        fn handle(
            &mut self,
            input: $crate::flow::Input,
            ctx: $crate::flow::Ctx,
        ) -> Vec<$crate::flow::Effect<Self::State>> {
            $crate::machine_kit::Machine::handle_input(self, input, ctx)
        }

        fn redirect(
            &mut self,
            url: &url::Url,
            ctx: $crate::flow::Ctx,
        ) -> (
            $crate::flow::RedirectOutcome,
            Vec<$crate::flow::Effect<Self::State>>,
        ) {
            $crate::machine_kit::Machine::handle_redirect(self, url, ctx)
        }

        fn redirect_pattern(&self) -> &$crate::redirect::RedirectPattern {
            &self.redirect
        }

        fn outcome(&self) -> Option<Result<Self::Output, $crate::error::Error>> {
            $crate::machine_kit::Machine::ending_outcome(self)
        }

        fn correlation_id(&self) -> Option<$crate::correlation::CorrelationId> {
            self.life.correlation.clone()
        }
    };
}
pub(crate) use flow_through_kit;

/// Both conversions between an [`Ending`] and a flow's phase record (`$record`, holding
/// `$tokens` once authenticated): every record writes the endings alike (`Authenticated
/// { tokens }`, `Failed { error }`, `Cancelled { by }`, `TimedOut`); `$not_applicable` is how it
/// writes [`Ending::NotApplicable`], and `$read_not_applicable` the variant it reads as that
/// ending (none for a flow that never ends so).
macro_rules! ending_records {
    ($record:ident, $tokens:ty, $not_applicable:expr $(, $read_not_applicable:pat)?) => {
        impl $record {
            /// The record of a flow that ended with `ending`.
            fn ended(ending: &$crate::machine_kit::Ending<$tokens>) -> Self {
                use $crate::machine_kit::Ending;
                match ending {
                    Ending::Authenticated(tokens) => $record::Authenticated {
                        tokens: tokens.into(),
                    },
                    Ending::Failed(error) => $record::Failed {
                        error: error.into(),
                    },
                    Ending::Cancelled(by) => $record::Cancelled { by: (*by).into() },
                    Ending::NotApplicable => $not_applicable,
                    Ending::TimedOut => $record::TimedOut,
                }
            }

            /// The ending a record of an ended flow holds (a record of another phase is not
            /// one: `InvalidSnapshot`).
            fn ending(
                self,
            ) -> Result<$crate::machine_kit::Ending<$tokens>, $crate::error::Error> {
                use $crate::machine_kit::Ending;
                match self {
                    $record::Authenticated { tokens } => Ok(Ending::Authenticated(tokens.into())),
                    $record::Failed { error } => Ok(Ending::Failed(error.into())),
                    $record::Cancelled { by } => Ok(Ending::Cancelled(by.into())),
                    $record::TimedOut => Ok(Ending::TimedOut),
                    $($read_not_applicable => Ok(Ending::NotApplicable),)?
                    _ => Err($crate::error::Error::InvalidSnapshot(
                        "the phase is not an ending".into(),
                    )),
                }
            }
        }
    };
}
pub(crate) use ending_records;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_a_user_cancel() {
        for cancel in [
            "cancelled",
            "Cancelled",
            "CANCELED",
            "cancel",
            "access_denied",
            "user_cancelled",
            "UserCancelled",
            " access_denied ",
        ] {
            assert!(is_user_cancel(cancel), "{cancel}");
        }
        for other in [
            "invalid_scope",
            "failed",
            "server_error",
            "",
            "cancelled_by_bank",
        ] {
            assert!(!is_user_cancel(other), "{other}");
        }
    }

    #[test]
    fn a_refused_code_is_reauthenticate_and_a_redirect_off_the_relay_allowlist_is_fatal() {
        use crate::error::ErrorCategory;
        // As the token endpoint's 4xx answer is read: its body through `provider_error`.
        let fatal = |status: u16, body: &str| {
            let failure = Failure::from(crate::http::provider_error(
                "token",
                status,
                body.as_bytes(),
            ));
            match exchange_failure::<()>(failure) {
                Reply::Fatal(e) => e,
                other => panic!("{other:?}"),
            }
        };
        let refused = fatal(400, r#"{"error":"invalid_request"}"#);
        assert!(matches!(refused, Error::CodeRejected { status: 400, .. }));
        assert_eq!(refused.category(), ErrorCategory::Reauthenticate);
        assert_eq!(fatal(401, "").category(), ErrorCategory::Reauthenticate);

        let setup = fatal(400, r#"{"error":"RedirectUrlNotAllowed"}"#);
        assert_eq!(setup, Error::RedirectUrlNotAllowed { endpoint: "token" });
        assert_eq!(setup.category(), ErrorCategory::Fatal);
        assert_eq!(setup.code(), "redirect_url_not_allowed");
        assert!(
            setup.to_string().contains("RedirectUrlNotAllowed"),
            "{setup}"
        );
        // Another status with that code is not the relay's refusal.
        assert!(matches!(
            fatal(403, r#"{"error":"RedirectUrlNotAllowed"}"#),
            Error::CodeRejected { status: 403, .. }
        ));
    }

    #[test]
    fn the_diagram_check_reads_mermaid_and_reports_drift() {
        use diagram::{Edge, mermaid_edges, to_mermaid};
        let readme = "text\n```mermaid\nstateDiagram-v2\n    [*] --> A\n    A --> B : go, run\n    \
                      B --> B : wait\n    B --> [*]\n```\nmore";
        let edge = |f: &str, t: &str, l: &str| -> Edge { (f.into(), t.into(), l.into()) };
        let drawn = mermaid_edges(readme);
        let expected = [
            edge("A", "B", "go"),
            edge("A", "B", "run"),
            edge("B", "B", "wait"),
        ];
        assert_eq!(drawn, expected.into_iter().collect());
        assert_eq!(
            to_mermaid(&drawn),
            "    A --> B : go, run\n    B --> B : wait\n"
        );
        let mut observed = drawn.clone();
        observed.insert(edge("B", "A", "back"));
        let drift = std::panic::catch_unwind(|| diagram::assert_matches(readme, &observed));
        assert!(drift.is_err(), "a missing edge is drift");
    }

    #[test]
    fn a_redirect_carries_a_code_or_an_error() {
        let read = |c: Option<&str>, e: Option<&str>| {
            read_redirect(c.map(Into::into), e.map(Into::into), None)
        };
        assert!(matches!(read(Some("c"), None), RedirectReply::Code(_)));
        assert!(matches!(
            read(None, Some("Cancelled")),
            RedirectReply::UserCancelled
        ));
        assert!(matches!(
            read(None, Some("invalid_scope")),
            RedirectReply::Error { .. }
        ));
        for (c, e) in [(Some("c"), Some("x")), (Some(""), None), (None, None)] {
            assert!(matches!(read(c, e), RedirectReply::Rejected(_)));
        }
    }
}

/// Checking a machine against the diagram in its `README.md`: the machine is driven through
/// every (phase, input) pair, the phase changes (and the inputs that act without changing the
/// phase) are collected, and the set must equal the edges of the README's mermaid
/// `stateDiagram-v2` block.
#[cfg(test)]
pub(crate) mod diagram {
    use std::collections::BTreeSet;

    /// `(from, to, label)`.
    pub(crate) type Edge = (String, String, String);

    /// One input of the table: `apply` feeds it to a machine and returns how many effects it
    /// produced. A `guard` names the circumstance a variant of an input is fed in (a deadline
    /// passed, a code expired); the variant's edge is drawn as `label [guard]` where it leads
    /// elsewhere than the plain input, and not at all where it leads to the same phase.
    pub(crate) struct Probe<M> {
        pub label: &'static str,
        pub guard: Option<&'static str>,
        pub apply: fn(&mut M) -> usize,
    }

    impl<M> Probe<M> {
        /// An input fed in the ordinary course.
        pub(crate) fn plain(label: &'static str, apply: fn(&mut M) -> usize) -> Self {
            Probe {
                label,
                guard: None,
                apply,
            }
        }

        /// A variant of the input `label`, fed when `guard` holds.
        pub(crate) fn guarded(
            label: &'static str,
            guard: &'static str,
            apply: fn(&mut M) -> usize,
        ) -> Self {
            Probe {
                label,
                guard: Some(guard),
                apply,
            }
        }
    }

    /// When a probe's input is fed: `NOW`, or after a code's minute, or after the deadline (the
    /// fixtures start at 0 with the default 15-minute deadline).
    pub(crate) const NOW: i64 = 5;
    pub(crate) const CODE_EXPIRED: i64 = 120;
    pub(crate) const DEADLINE_PASSED: i64 = 1000;

    /// Feeds `input` at `secs` (see [`NOW`]); the number of effects.
    pub(crate) fn input<M: crate::flow::Flow>(
        m: &mut M,
        input: crate::flow::Input,
        secs: i64,
    ) -> usize {
        m.handle(input, crate::test_support::ctx_at(secs, 7)).len()
    }

    /// The inputs of every flow's lifecycle: start, resume (also late), cancel, the deadline.
    pub(crate) fn lifecycle_probes<M: crate::flow::Flow>() -> Vec<Probe<M>> {
        use crate::flow::{Input, TimerKind};
        vec![
            Probe::plain("start", |m| input(m, Input::Start, NOW)),
            Probe::plain("resume", |m| input(m, Input::Resume, NOW)),
            Probe::guarded("resume", "code expired", |m| {
                input(m, Input::Resume, CODE_EXPIRED)
            }),
            Probe::guarded("resume", "deadline passed", |m| {
                input(m, Input::Resume, DEADLINE_PASSED)
            }),
            Probe::plain("cancel", |m| input(m, Input::Cancel, NOW)),
            Probe::plain("deadline timer", |m| {
                input(m, Input::Timer(TimerKind::Deadline), NOW)
            }),
        ]
    }

    /// Drives every fixture (a machine in one phase) with every probe; returns the edges seen
    /// and the size of the (phase, input) table.
    pub(crate) fn observe<M, F: Fn() -> M>(
        fixtures: &[F],
        phase: fn(&M) -> &'static str,
        probes: &[Probe<M>],
    ) -> (BTreeSet<Edge>, usize) {
        let mut edges = BTreeSet::new();
        let mut pairs = 0;
        for fixture in fixtures {
            let mut plain = std::collections::HashMap::new();
            for probe in probes {
                pairs += 1;
                let mut m = fixture();
                let from = phase(&m);
                let effects = (probe.apply)(&mut m);
                let to = phase(&m);
                if from == to && effects == 0 {
                    continue;
                }
                let label = match probe.guard {
                    None => {
                        plain.insert(probe.label, to);
                        probe.label.to_owned()
                    }
                    Some(_) if plain.get(probe.label) == Some(&to) => continue,
                    Some(guard) => format!("{} [{guard}]", probe.label),
                };
                edges.insert((from.to_owned(), to.to_owned(), label));
            }
        }
        (edges, pairs)
    }

    /// The edges of the first ```` ```mermaid ```` block of `readme`: lines
    /// `From --> To : label, label, …` (edges from or to `[*]` only mark the start and the ends).
    pub(crate) fn mermaid_edges(readme: &str) -> BTreeSet<Edge> {
        let block = readme
            .split("```mermaid")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("a mermaid block");
        assert!(block.contains("stateDiagram-v2"), "a state diagram");
        let mut edges = BTreeSet::new();
        for line in block.lines().map(str::trim) {
            let Some((from, rest)) = line.split_once("-->") else {
                continue;
            };
            let (to, labels) = rest.split_once(':').unwrap_or((rest, ""));
            let (from, to) = (from.trim(), to.trim());
            if from == "[*]" || to == "[*]" {
                continue;
            }
            for label in labels.split(',').map(str::trim).filter(|l| !l.is_empty()) {
                edges.insert((from.to_owned(), to.to_owned(), label.to_owned()));
            }
        }
        edges
    }

    /// Asserts the one definition of "terminal": the machine's ([`super::Machine::is_terminal`]),
    /// its state's (`state_is_terminal`) and its outcome's agree.
    pub(crate) fn assert_terminal_agrees<M: super::Machine>(
        m: &M,
        state_is_terminal: fn(&M::State) -> bool,
    ) {
        let terminal = m.is_terminal();
        let state = m.state();
        assert_eq!(state_is_terminal(&state), terminal, "{state:?}");
        assert_eq!(m.outcome().is_some(), terminal, "{state:?}");
    }

    /// Asserts that `readme`'s diagram has exactly the `observed` edges, listing the
    /// differences.
    pub(crate) fn assert_matches(readme: &str, observed: &BTreeSet<Edge>) {
        let drawn = mermaid_edges(readme);
        let missing: Vec<_> = observed.difference(&drawn).collect();
        let extra: Vec<_> = drawn.difference(observed).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "the diagram has drifted from the machine\n  edges the machine takes that the \
             diagram lacks: {missing:#?}\n  edges the diagram draws that the machine never takes: \
             {extra:#?}\n  the machine's edges, as mermaid:\n{}",
            to_mermaid(observed)
        );
    }

    /// `edges` as mermaid lines, one per (from, to) with its labels.
    pub(crate) fn to_mermaid(edges: &BTreeSet<Edge>) -> String {
        let mut lines: Vec<(String, String, Vec<String>)> = Vec::new();
        for (from, to, label) in edges {
            match lines.last_mut() {
                Some((f, t, labels)) if f == from && t == to => labels.push(label.clone()),
                _ => lines.push((from.clone(), to.clone(), vec![label.clone()])),
            }
        }
        lines
            .iter()
            .map(|(from, to, labels)| format!("    {from} --> {to} : {}\n", labels.join(", ")))
            .collect()
    }
}
