//! The supervised-login state machine (sans-IO).
//!
//! [`SupervisedLoginMachine::step`] is the machine: one `match (phase, event)` whose arms are
//! the edges of the diagram in `README.md` (checked against it by a test), each calling a small
//! named action. Everything the two flow machines share (ending, failing, the deadline,
//! resending a code while it lives, reading a redirect) is in [`crate::machine_kit`].
//!
//! Invariants the tests and the property test hold it to:
//! - the code is exchanged for exactly one code, the first to arrive (redirect or poll); while an
//!   exchange is in flight no other is sent, and nothing is sent after a success, a definitive
//!   answer, a cancel or the deadline;
//! - while the user is at the bank and the provider keeps answering `InProgress`, at most one
//!   status request goes out per `pollTimeout` window (on the monotonic clock), even if the
//!   provider answers early;
//! - transient failures (network, 5xx, 429) are retried with capped, jittered exponential backoff
//!   (honouring `Retry-After`): initialize a few times, polling until the deadline, the exchange
//!   only while the code is still valid;
//! - **a redirect is a hint, the provider's status is the truth.** The supervised redirect
//!   carries no `state`, so any page, app or Universal Link that knows the redirect URL can
//!   deliver a code of its own (login CSRF: the victim's app would end up in the attacker's bank
//!   session) or an error that ends the login. A redirect therefore stops the long-poll (the
//!   provider does not serve concurrent requests within a session) and asks the status with
//!   `pollTimeout=0` (phase `Confirming`). Only a code the status reports for this session is
//!   exchanged: a redirect's code that differs is never exchanged (the status's own code is);
//!   a status still `InProgress` drops the hint and the long-poll resumes; an error redirect ends
//!   the login only when the status agrees (`Failed`, `Cancelled`). While the status endpoint
//!   cannot be reached the confirmation is retried with backoff until the deadline: an
//!   unconfirmed code is never exchanged, so a provider whose status endpoint is down while its
//!   token endpoint is up makes the login time out rather than trust the redirect.

use std::time::Duration;

use url::Url;

use crate::config::Credentials;
use crate::error::{CancelOrigin, Error, sanitize_provider_code};
use crate::flow::{Ctx, Effect, Flow, IgnoredReason, RedirectOutcome, TimerKind};
use crate::http::{Failure, HttpRequest, HttpResult, RequestKind, classify};
use crate::machine_kit::{
    self, Ending, Event, EventOf, Lifecycle, Machine, ReceivedCode, RedirectReply, Reply, Step,
    exchange_failure, read_redirect,
};
use crate::redirect::{RedirectPattern, RedirectQuery};
use crate::secret::Secret;
use crate::snapshot::records::{SupervisedPhaseV1, SupervisedSnapshotV1};
use crate::snapshot::{self, FlowKind, checks};
use crate::timestamp::Monotonic;
use crate::validate;

use super::api::{self, InitializeResponse, IssuedTokens, StatusResponse};
use super::state::{CodeSource, LoginState, SupervisedLoginParams, SupervisedTokens};

/// Retries of `initialize` before the flow gives up with the last transient error.
const MAX_INITIALIZE_RETRIES: u32 = 4;

type Effects = Vec<Effect<LoginState>>;

machine_kit::ending_records!(
    SupervisedPhaseV1,
    SupervisedTokens,
    SupervisedPhaseV1::NotApplicable,
    SupervisedPhaseV1::NotApplicable
);

/// Where the login is. The names are the diagram's; the snapshot writes its own
/// ([`SupervisedPhaseV1`]).
#[derive(Clone, Debug)]
pub(super) enum Phase {
    Created,
    Initializing,
    Awaiting(Session),
    /// A redirect arrived: the status (`pollTimeout=0`) decides what it was worth. The host
    /// still sees `AwaitingUser`; a snapshot saves this phase as `Awaiting` (the hint is only a
    /// hint: a restored login polls, and the status brings the session's code).
    Confirming {
        session: Session,
        hint: Hint,
    },
    Exchanging {
        via: CodeSource,
        code: ReceivedCode,
        /// The session the code is for; sent with the exchange in relay mode only (the relay
        /// checks the code against it).
        session_id: String,
    },
    Done(Ending<SupervisedTokens>),
}

impl Phase {
    /// The provider's session, while the user is at the bank.
    fn session(&self) -> Option<&Session> {
        match self {
            Phase::Awaiting(session) | Phase::Confirming { session, .. } => Some(session),
            _ => None,
        }
    }
}

#[cfg(test)]
impl Phase {
    /// The phase's name in the diagram (`README.md`).
    pub(super) fn name(&self) -> &'static str {
        match self {
            Phase::Done(ending) => ending.name(),
            Phase::Created => "Created",
            Phase::Initializing => "Initializing",
            Phase::Awaiting { .. } => "Awaiting",
            Phase::Confirming { .. } => "Confirming",
            Phase::Exchanging { .. } => "Exchanging",
        }
    }
}

/// What a response of the login says (a redirect is read into a [`RedirectReply`]).
#[derive(Debug)]
pub(crate) enum Answer {
    Initialized(Reply<InitializeResponse>),
    Status(StatusReply),
    Exchanged(Reply<IssuedTokens>),
}

/// The provider's session while the user is at the bank.
#[derive(Clone, Debug)]
pub(super) struct Session {
    /// The bank page the WebView shows.
    auth_url: String,
    session_id: String,
}

/// What a redirect claimed, until the status confirms it.
#[derive(Clone, Debug)]
pub(super) enum Hint {
    /// `?code=…`.
    Code(Secret),
    /// `?error=…` meaning the user cancelled.
    UserCancelled,
    /// Another `?error=…` (with its `error_description`).
    Error {
        error: String,
        description: Option<String>,
    },
}

/// What a status answer says.
#[derive(Debug)]
pub(crate) enum StatusReply {
    InProgress,
    Succeeded(Secret),
    Failed,
    Cancelled,
    NotApplicable,
    /// Worth another poll: transient, garbled, or an unknown state (`answered`: the provider
    /// did answer, so the backoff starts over).
    Unreadable {
        failure: Failure,
        answered: bool,
    },
    Fatal(Error),
}

/// The supervised login as a pure state machine; run it with the driver crate (`obauth`) or feed it by hand.
#[derive(Debug)]
pub struct SupervisedLoginMachine {
    creds: Credentials,
    redirect: RedirectPattern,
    user_hash: String,
    poll_timeout: Duration,
    life: Lifecycle,
    phase: Phase,
    /// When the last status request went out (monotonic: only spacing within this process).
    last_poll_at: Option<Monotonic>,
}

impl SupervisedLoginMachine {
    /// Validates the parameters (nothing is sent) and builds the machine in `Created`.
    pub fn new(creds: Credentials, params: SupervisedLoginParams) -> Result<Self, Error> {
        if creds.is_relay() {
            // The relay derives the user from the app token; the device never names one.
            if !params.user_hash.is_empty() {
                return Err(Error::invalid(
                    "userHash",
                    "must be empty in relay mode (the relay derives it from the app token)",
                ));
            }
        } else {
            validate::user_hash(&params.user_hash)?;
        }
        let redirect = RedirectPattern::parse("redirectUrl", &params.redirect_url, false)?;
        creds.check_redirect_scheme("redirectUrl", &redirect)?;
        if !(1..=300).contains(&params.poll_timeout.as_secs()) {
            return Err(Error::invalid(
                "pollTimeout",
                "must be between 1 and 300 seconds",
            ));
        }
        if params.timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be positive"));
        }
        if params.code_lifetime.is_zero() {
            return Err(Error::invalid("codeLifetime", "must be positive"));
        }
        validate::duration_ms("timeout", params.timeout)?;
        validate::duration_ms("codeLifetime", params.code_lifetime)?;
        Ok(SupervisedLoginMachine {
            life: Lifecycle::new(params.timeout, params.code_lifetime, creds.retry),
            creds,
            redirect,
            user_hash: params.user_hash,
            poll_timeout: Duration::from_secs(params.poll_timeout.as_secs()),
            phase: Phase::Created,
            last_poll_at: None,
        })
    }

    /// Rebuilds a machine from [`Flow::snapshot`] output; `creds` supplies the client secret
    /// (never stored in snapshots). Feed [`Input::Resume`](crate::flow::Input::Resume) to continue.
    pub fn restore(creds: Credentials, snapshot_text: &str) -> Result<Self, Error> {
        let text = snapshot::open(snapshot_text, creds.snapshot_key.as_ref())?;
        let record: SupervisedSnapshotV1 = snapshot::decode_as(&text, FlowKind::SupervisedLogin)?;
        Self::from_record(creds, record)
    }

    // --- Actions (the table is `Machine::step`, below) -----------------------------------------

    fn send_initialize(&mut self, _ctx: Ctx) -> Effects {
        vec![Effect::Send(api::initialize(
            &self.creds,
            &self.user_hash,
            self.redirect.url().as_str(),
        ))]
    }

    fn retry_initialize(&mut self, failure: Failure, ctx: Ctx) -> Effects {
        let kind = RequestKind::Initialize;
        let limit = Some(MAX_INITIALIZE_RETRIES);
        match self
            .life
            .retrier
            .next_delay(kind.endpoint(), &failure, limit, ctx.entropy)
        {
            Some(after) => vec![Effect::ArmTimer {
                timer: TimerKind::Retry(kind),
                after,
            }],
            None => self.fail(failure.error),
        }
    }

    /// The session exists: show its page and start polling.
    fn await_user(&mut self, init: InitializeResponse, ctx: Ctx) -> Effects {
        self.life.retrier.reset();
        self.phase = Phase::Awaiting(Session {
            auth_url: init.auth_url,
            session_id: init.session_id,
        });
        let mut effects = vec![Effect::State(self.state())];
        effects.extend(self.poll_now(ctx));
        effects
    }

    /// Sends a status request now.
    fn poll_now(&mut self, ctx: Ctx) -> Effects {
        let Phase::Awaiting(session) = &self.phase else {
            return Vec::new();
        };
        let request = api::status(&self.creds, &session.session_id, self.poll_timeout);
        self.last_poll_at = Some(ctx.mono);
        vec![Effect::Send(request)]
    }

    /// The provider answered `InProgress`: the next poll goes out when the current window ends,
    /// never earlier.
    fn poll_next_window(&mut self, ctx: Ctx) -> Effects {
        self.life.retrier.reset();
        let due = self
            .last_poll_at
            .map_or(ctx.mono, |at| at.plus(self.poll_timeout));
        if ctx.mono >= due {
            self.poll_now(ctx)
        } else {
            vec![Effect::ArmTimer {
                timer: TimerKind::NextPoll,
                after: ctx.mono.until(due),
            }]
        }
    }

    /// A status answer worth another poll after a backoff; bounded by the deadline, not a count
    /// (the user may still finish, and the redirect may still arrive).
    fn retry_status(&mut self, failure: Failure, answered: bool, ctx: Ctx) -> Effects {
        if answered {
            self.life.retrier.reset();
        }
        let after =
            self.life
                .retrier
                .delay_after(RequestKind::Status.endpoint(), &failure, ctx.entropy);
        vec![Effect::ArmTimer {
            timer: TimerKind::Retry(RequestKind::Status),
            after,
        }]
    }

    /// The first code (by poll or redirect): stop polling, exchange it.
    fn accept_code(&mut self, code: Secret, via: CodeSource, ctx: Ctx) -> Effects {
        let session_id = self
            .phase
            .session()
            .map(|session| session.session_id.clone())
            .unwrap_or_default();
        self.phase = Phase::Exchanging {
            via,
            code: ReceivedCode::new(code, ctx),
            session_id,
        };
        let mut effects = vec![
            Effect::Abort(RequestKind::Status),
            Effect::CancelTimer(TimerKind::NextPoll),
            Effect::CancelTimer(TimerKind::Retry(RequestKind::Status)),
            Effect::State(LoginState::CodeReceived { via }),
            Effect::State(LoginState::Exchanging { via }),
        ];
        effects.extend(self.send_exchange(ctx));
        effects
    }

    /// A redirect arrived: stop the long-poll and ask the status right away (`pollTimeout=0`)
    /// what it was worth.
    fn confirm(&mut self, hint: Hint, ctx: Ctx) -> Effects {
        let Phase::Awaiting(session) = &self.phase else {
            return Vec::new();
        };
        self.phase = Phase::Confirming {
            session: session.clone(),
            hint,
        };
        self.life.retrier.reset();
        let mut effects = vec![
            Effect::Abort(RequestKind::Status),
            Effect::CancelTimer(TimerKind::NextPoll),
            Effect::CancelTimer(TimerKind::Retry(RequestKind::Status)),
        ];
        effects.extend(self.ask_status_now(ctx));
        effects
    }

    /// The confirming status request: answered at once, whatever the session's state.
    fn ask_status_now(&mut self, ctx: Ctx) -> Effects {
        let Phase::Confirming { session, .. } = &self.phase else {
            return Vec::new();
        };
        let request = api::status(&self.creds, &session.session_id, Duration::ZERO);
        self.last_poll_at = Some(ctx.mono);
        vec![Effect::Send(request)]
    }

    /// The status says the user is still at the bank: the redirect was forged or stale. It is
    /// dropped and the long-poll resumes.
    fn drop_hint(&mut self, ctx: Ctx) -> Effects {
        let Phase::Confirming { session, .. } = &self.phase else {
            return Vec::new();
        };
        let session = session.clone();
        log::warn!(
            "a redirect was not confirmed by the provider (the user is still at the bank): \
             ignored, polling again"
        );
        self.phase = Phase::Awaiting(session);
        self.life.retrier.reset();
        self.poll_now(ctx)
    }

    // --- Snapshots -----------------------------------------------------------------------------

    fn to_record(&self) -> SupervisedSnapshotV1 {
        SupervisedSnapshotV1 {
            client_id: self.creds.client_id.clone(),
            user_hash: self.user_hash.clone(),
            redirect_url: self.redirect.url().to_string(),
            poll_timeout_ms: crate::timestamp::whole_millis(self.poll_timeout),
            timeout_ms: crate::timestamp::whole_millis(self.life.timeout),
            code_lifetime_ms: crate::timestamp::whole_millis(self.life.code_lifetime),
            deadline_at: self.life.deadline_at,
            phase: match &self.phase {
                Phase::Created => SupervisedPhaseV1::Created,
                Phase::Initializing => SupervisedPhaseV1::Initializing,
                Phase::Awaiting(session) | Phase::Confirming { session, .. } => {
                    SupervisedPhaseV1::Awaiting {
                        auth_url: session.auth_url.clone(),
                        session_id: session.session_id.clone(),
                    }
                }
                Phase::Exchanging {
                    via,
                    code,
                    session_id,
                } => SupervisedPhaseV1::Exchanging {
                    via: (*via).into(),
                    code: code.code.clone(),
                    received_at: code.received_at,
                    // Only the relay needs it (and partner snapshots stay as they were).
                    session_id: if self.creds.is_relay() {
                        session_id.clone()
                    } else {
                        String::new()
                    },
                },
                Phase::Done(ending) => SupervisedPhaseV1::ended(ending),
            },
            correlation_id: self.life.correlation.clone(),
        }
    }

    fn from_record(creds: Credentials, r: SupervisedSnapshotV1) -> Result<Self, Error> {
        if r.client_id != creds.client_id {
            return Err(Error::InvalidSnapshot(
                "the snapshot belongs to another client id".into(),
            ));
        }
        let redirect = checks::redirect(&creds, &r.redirect_url, false)?;
        if !(1_000..=300_000).contains(&r.poll_timeout_ms) {
            return Err(Error::InvalidSnapshot("invalid timing parameters".into()));
        }
        checks::timing(r.timeout_ms, r.code_lifetime_ms)?;
        if let SupervisedPhaseV1::Awaiting { auth_url, .. } = &r.phase {
            // The page the WebView will load again: the same rule as for the provider's answer.
            api::check_auth_url(auth_url).map_err(|detail| {
                Error::InvalidSnapshot(format!("the saved bank page URL is refused: {detail}"))
            })?;
        }
        let phase = match r.phase {
            SupervisedPhaseV1::Created => Phase::Created,
            SupervisedPhaseV1::Initializing => Phase::Initializing,
            SupervisedPhaseV1::Awaiting {
                auth_url,
                session_id,
            } => Phase::Awaiting(Session {
                auth_url,
                session_id,
            }),
            SupervisedPhaseV1::Exchanging {
                via,
                code,
                received_at,
                session_id,
            } => Phase::Exchanging {
                via: via.into(),
                code: ReceivedCode::restored(code, received_at),
                session_id,
            },
            ended => Phase::Done(ended.ending()?),
        };
        Ok(SupervisedLoginMachine {
            life: Lifecycle::restored(
                r.timeout_ms,
                r.code_lifetime_ms,
                r.deadline_at,
                creds.retry,
                r.correlation_id,
            ),
            creds,
            redirect,
            user_hash: r.user_hash,
            poll_timeout: Duration::from_millis(r.poll_timeout_ms),
            phase,
            last_poll_at: None,
        })
    }

    #[cfg(test)]
    pub(super) fn phase(&self) -> &Phase {
        &self.phase
    }
}

/// The error a bank's error redirect reports (not a cancel).
fn login_failed_at_the_bank(error: &str, description: Option<&str>) -> Error {
    Error::LoginFailed {
        detail: description
            .and_then(sanitize_provider_code)
            .or_else(|| sanitize_provider_code(error)),
    }
}

/// Whether a redirect's code is the one the status reports (constant time: the comparison
/// must not tell a forger how much of a code was right).
fn same_code(claimed: &Secret, reported: &Secret) -> bool {
    crate::oauth::constant_time_eq(claimed.expose().as_bytes(), reported.expose().as_bytes())
}

fn read_initialize(result: HttpResult, ctx: Ctx) -> Reply<InitializeResponse> {
    match classify(RequestKind::Initialize, result, ctx.now) {
        Ok(response) => match api::parse_initialize(&response) {
            Ok(init) => Reply::Ok(init),
            Err(e) => Reply::Fatal(e),
        },
        Err(f) if f.is_transient() => Reply::Transient(f),
        Err(f) => Reply::Fatal(f.error),
    }
}

fn read_status(result: HttpResult, ctx: Ctx) -> StatusReply {
    let parsed = classify(RequestKind::Status, result, ctx.now)
        .and_then(|r| StatusResponse::parse(&r).map_err(Failure::from));
    let status = match parsed {
        Ok(s) => s,
        Err(f) if f.is_transient() || matches!(f.error, Error::MalformedResponse { .. }) => {
            return StatusReply::Unreadable {
                failure: f,
                answered: false,
            };
        }
        Err(Failure {
            error: Error::UnexpectedStatus { status: 404, .. },
            ..
        }) => return StatusReply::Fatal(Error::SessionNotFound),
        Err(f) => return StatusReply::Fatal(f.error),
    };
    match (status.state.as_str(), status.code) {
        ("InProgress", _) => StatusReply::InProgress,
        ("Succeeded", Some(code)) if !code.expose().is_empty() => StatusReply::Succeeded(code),
        ("Failed", _) => StatusReply::Failed,
        ("Cancelled", _) => StatusReply::Cancelled,
        ("NotApplicable", _) => StatusReply::NotApplicable,
        (other, _) => StatusReply::Unreadable {
            failure: Failure::from(Error::MalformedResponse {
                endpoint: RequestKind::Status.endpoint(),
                detail: match other {
                    "Succeeded" => "state Succeeded without a code".to_owned(),
                    _ => format!("unknown state {:?}", sanitize_provider_code(other)),
                },
            }),
            answered: true,
        },
    }
}

fn read_exchange(result: HttpResult, ctx: Ctx) -> Reply<IssuedTokens> {
    match classify(RequestKind::Exchange, result, ctx.now) {
        Ok(response) => match api::parse_tokens(&response) {
            Ok(tokens) => Reply::Ok(tokens),
            Err(e) => Reply::Fatal(e),
        },
        Err(f) => exchange_failure(f),
    }
}

fn read_redirect_url(url: &Url) -> RedirectReply {
    let params = RedirectQuery::parse(url).and_then(|q| {
        Ok((
            q.get("code")?.map(str::to_owned),
            q.get("error")?.map(str::to_owned),
            q.text("error_description")?,
        ))
    });
    match params {
        Ok((code, error, description)) => read_redirect(code, error, description),
        Err(e) => RedirectReply::Rejected(e),
    }
}

impl Machine for SupervisedLoginMachine {
    const NAME: &'static str = "supervised login";
    type Response = Answer;
    type Redirect = RedirectReply;

    /// One event: the edges of the diagram (`README.md`) that are this machine's, each calling
    /// an action (the start, the end, a cancel, the deadline and the exchange's resending are
    /// every machine's: [`Machine::handle_input`]).
    fn step(&mut self, event: EventOf<Self>, ctx: Ctx) -> Step<LoginState> {
        use Answer as A;
        use Event as E;
        use Phase as P;
        use RedirectReply as R;
        use RequestKind as K;
        use StatusReply as S;
        match (&self.phase, event) {
            (P::Initializing, E::Resume) => self.resume(ctx, Self::send_initialize).into(),
            (P::Initializing, E::Response(A::Initialized(Reply::Ok(init)))) => {
                self.await_user(init, ctx).into()
            }
            (P::Initializing, E::Response(A::Initialized(Reply::Transient(f)))) => {
                self.retry_initialize(f, ctx).into()
            }
            (P::Initializing, E::Response(A::Initialized(Reply::Fatal(e)))) => self.fail(e).into(),
            (P::Initializing, E::Timer(TimerKind::Retry(K::Initialize))) => {
                self.send_initialize(ctx).into()
            }
            (P::Initializing, E::Redirect(_)) => {
                Step::ignored(IgnoredReason::NotWaitingForRedirect)
            }

            (P::Awaiting { .. }, E::Resume) => self.resume(ctx, Self::poll_now).into(),
            (P::Awaiting { .. }, E::Response(A::Status(S::InProgress))) => {
                self.poll_next_window(ctx).into()
            }
            (P::Awaiting { .. }, E::Response(A::Status(S::Succeeded(code)))) => {
                self.accept_code(code, CodeSource::Poll, ctx).into()
            }
            (P::Awaiting { .. }, E::Response(A::Status(S::Failed))) => {
                self.fail(Error::LoginFailed { detail: None }).into()
            }
            (P::Awaiting { .. }, E::Timer(TimerKind::NextPoll | TimerKind::Retry(K::Status))) => {
                self.poll_now(ctx).into()
            }
            (P::Awaiting { .. }, E::Redirect(R::Code(code))) => Step::redirect(
                RedirectOutcome::CodeAccepted,
                self.confirm(Hint::Code(code), ctx),
            ),
            (P::Awaiting { .. }, E::Redirect(R::UserCancelled)) => Step::redirect(
                RedirectOutcome::ProviderError(Error::Cancelled {
                    by: CancelOrigin::User,
                }),
                self.confirm(Hint::UserCancelled, ctx),
            ),
            (P::Awaiting { .. }, E::Redirect(R::Error { error, description })) => {
                let reported = login_failed_at_the_bank(&error, description.as_deref());
                let hint = Hint::Error { error, description };
                Step::redirect(
                    RedirectOutcome::ProviderError(reported),
                    self.confirm(hint, ctx),
                )
            }
            (P::Awaiting { .. }, E::Redirect(R::Rejected(e))) => Step::rejected(e),

            // Confirming a redirect: the status answer is the truth.
            (P::Confirming { .. }, E::Resume) => self.resume(ctx, Self::ask_status_now).into(),
            (P::Confirming { hint, .. }, E::Response(A::Status(S::Succeeded(code)))) => {
                let via = match hint {
                    Hint::Code(claimed) if same_code(claimed, &code) => CodeSource::Redirect,
                    Hint::Code(_) => {
                        log::warn!(
                            "a redirect delivered a code that is not this session's: not \
                             exchanged; exchanging the code the provider reports"
                        );
                        CodeSource::Poll
                    }
                    Hint::UserCancelled | Hint::Error { .. } => CodeSource::Poll,
                };
                self.accept_code(code, via, ctx).into()
            }
            (P::Confirming { hint, .. }, E::Response(A::Status(S::Failed))) => {
                let error = match hint {
                    Hint::Error { error, description } => {
                        login_failed_at_the_bank(error, description.as_deref())
                    }
                    _ => Error::LoginFailed { detail: None },
                };
                self.fail(error).into()
            }
            (P::Confirming { .. }, E::Response(A::Status(S::InProgress))) => {
                self.drop_hint(ctx).into()
            }
            (P::Confirming { .. }, E::Timer(TimerKind::Retry(K::Status))) => {
                self.ask_status_now(ctx).into()
            }
            (P::Confirming { .. }, E::Redirect(R::Rejected(e))) => Step::rejected(e),
            (P::Confirming { .. }, E::Redirect(_)) => {
                Step::ignored(IgnoredReason::CodeAlreadyReceived)
            }

            // Awaiting the user or confirming a redirect alike.
            (P::Awaiting { .. } | P::Confirming { .. }, E::Response(A::Status(S::Cancelled))) => {
                self.finish(Ending::Cancelled(CancelOrigin::User)).into()
            }
            (
                P::Awaiting { .. } | P::Confirming { .. },
                E::Response(A::Status(S::NotApplicable)),
            ) => self.finish(Ending::NotApplicable).into(),
            (
                P::Awaiting { .. } | P::Confirming { .. },
                E::Response(A::Status(S::Unreadable { failure, answered })),
            ) => self.retry_status(failure, answered, ctx).into(),
            (P::Awaiting { .. } | P::Confirming { .. }, E::Response(A::Status(S::Fatal(e)))) => {
                self.fail(e).into()
            }

            (P::Exchanging { via, .. }, E::Response(A::Exchanged(reply))) => {
                let via = *via;
                let reply = reply.map(|tokens| tokens.completed_via(via));
                self.exchanged(reply, ctx).into()
            }

            // A response the flow no longer waits for (a poll that lost the race to the
            // redirect), a timer of another phase; the phases whose edges are all the kit's.
            (P::Created | P::Exchanging { .. } | P::Done(_), _)
            | (_, E::Response(_) | E::Timer(_) | E::Stray) => Step::nothing(),
        }
    }

    fn start(&mut self, deadline: Effect<LoginState>, ctx: Ctx) -> Effects {
        self.phase = Phase::Initializing;
        let mut effects = vec![Effect::State(LoginState::Initializing), deadline];
        effects.extend(self.send_initialize(ctx));
        effects
    }

    fn read_response(&self, kind: RequestKind, result: HttpResult, ctx: Ctx) -> Option<Answer> {
        match kind {
            RequestKind::Initialize => Some(Answer::Initialized(read_initialize(result, ctx))),
            RequestKind::Status => Some(Answer::Status(read_status(result, ctx))),
            RequestKind::Exchange => Some(Answer::Exchanged(read_exchange(result, ctx))),
            _ => None,
        }
    }

    fn read_redirect(&self, url: &Url) -> RedirectReply {
        read_redirect_url(url)
    }

    fn exchange_request(&self, code: &Secret) -> HttpRequest {
        let session_id = match &self.phase {
            Phase::Exchanging { session_id, .. } => session_id.as_str(),
            _ => "",
        };
        api::exchange(&self.creds, code, session_id)
    }

    machine_kit::phase_accessors!();
}

impl Flow for SupervisedLoginMachine {
    type State = LoginState;
    type Output = SupervisedTokens;

    fn web_hosts(&self) -> Vec<String> {
        self.phase
            .session()
            .map(|session| machine_kit::page_host(&session.auth_url))
            .unwrap_or_default()
    }

    fn snapshot(&self) -> Result<String, Error> {
        let text = snapshot::encode(FlowKind::SupervisedLogin, &self.to_record())?;
        snapshot::seal(text, self.creds.snapshot_key.as_ref())
    }

    fn state(&self) -> LoginState {
        match &self.phase {
            Phase::Created => LoginState::Created,
            Phase::Initializing => LoginState::Initializing,
            Phase::Awaiting(session) | Phase::Confirming { session, .. } => {
                LoginState::AwaitingUser {
                    auth_url: session.auth_url.clone(),
                    session_id: session.session_id.clone(),
                }
            }
            Phase::Exchanging { via, .. } => LoginState::Exchanging { via: *via },
            Phase::Done(Ending::Authenticated(t)) => LoginState::Authenticated {
                via: t.completed_via,
                session_expires: t.session.expires(),
                login_expires: t.login.expires,
                provider_id: t.provider_id.clone(),
            },
            Phase::Done(Ending::Failed(error)) => LoginState::Failed {
                error: self.life.error_info(error),
            },
            Phase::Done(Ending::Cancelled(by)) => LoginState::Cancelled { by: *by },
            Phase::Done(Ending::NotApplicable) => LoginState::NotApplicable,
            Phase::Done(Ending::TimedOut) => LoginState::TimedOut,
        }
    }

    machine_kit::flow_through_kit!();
}
