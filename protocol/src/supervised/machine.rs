//! The supervised-login state machine (sans-IO).
//!
//! Invariants the tests and the property test hold it to:
//! - the code is exchanged for exactly one code, the first to arrive (redirect or poll); while an
//!   exchange is in flight no other is sent, and nothing is sent after a success, a definitive
//!   answer, a cancel or the deadline;
//! - while the user is at the bank and the provider keeps answering `InProgress`, at most one
//!   status request goes out per `pollTimeout` window, even if the provider answers early;
//! - transient failures (network, 5xx, 429) are retried with capped, jittered exponential backoff
//!   (honouring `Retry-After`): initialize a few times, polling until the deadline, the exchange
//!   only while the code is still valid.

use std::time::Duration;

use url::Url;

use crate::backoff::Retrier;
use crate::config::Credentials;
use crate::error::{CancelOrigin, Error, PersistedError, sanitize_provider_code};
use crate::flow::{Ctx, Effect, Flow, IgnoredReason, Input, RedirectOutcome, TimerKind};
use crate::http::{Failure, HttpResult, RequestKind, classify};
use crate::redirect::{RedirectPattern, RedirectQuery};
use crate::secret::Secret;
use crate::session::EXPIRY_HEADER;
use crate::snapshot::records::{SupervisedPhaseV1, SupervisedSnapshotV1};
use crate::snapshot::{self, FlowKind};
use crate::timestamp::{Monotonic, Timestamp};
use crate::validate;

use super::api::{self, StatusResponse};
use super::state::{CodeSource, LoginState, SupervisedLoginParams, SupervisedTokens};

/// Retries of `initialize` before the flow gives up with the last transient error.
const MAX_INITIALIZE_RETRIES: u32 = 4;

type Effects = Vec<Effect<LoginState>>;

#[derive(Clone, Debug)]
enum Phase {
    Created,
    Initializing,
    Awaiting {
        auth_url: String,
        session_id: String,
    },
    Exchanging {
        via: CodeSource,
        code: Secret,
        received_at: Timestamp,
    },
    Authenticated {
        tokens: SupervisedTokens,
    },
    Failed {
        error: PersistedError,
    },
    Cancelled {
        by: CancelOrigin,
    },
    NotApplicable,
    TimedOut,
}

impl Phase {
    fn is_terminal(&self) -> bool {
        matches!(
            self,
            Phase::Authenticated { .. }
                | Phase::Failed { .. }
                | Phase::Cancelled { .. }
                | Phase::NotApplicable
                | Phase::TimedOut
        )
    }
}

/// The persistent part of the machine: exactly what a snapshot holds.
#[derive(Clone, Debug)]
struct Saved {
    client_id: String,
    user_hash: String,
    redirect_url: String,
    poll_timeout_ms: u64,
    timeout_ms: u64,
    code_lifetime_ms: u64,
    deadline_at: Option<Timestamp>,
    phase: Phase,
}

/// The supervised login as a pure state machine; run it with the driver crate (`obauth`) or feed it by hand.
#[derive(Debug)]
pub struct SupervisedLoginMachine {
    creds: Credentials,
    redirect: RedirectPattern,
    poll_timeout: Duration,
    timeout: Duration,
    code_lifetime: Duration,
    saved: Saved,
    retrier: Retrier,
    /// When the last status request went out (monotonic: only spacing within this process).
    last_poll_at: Option<Monotonic>,
}

impl SupervisedLoginMachine {
    /// Validates the parameters (nothing is sent) and builds the machine in `Created`.
    pub fn new(creds: Credentials, params: SupervisedLoginParams) -> Result<Self, Error> {
        validate::user_hash(&params.user_hash)?;
        let redirect = RedirectPattern::parse("redirectUrl", &params.redirect_url, false)?;
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
        let saved = Saved {
            client_id: creds.client_id.clone(),
            user_hash: params.user_hash,
            redirect_url: redirect.url().to_string(),
            poll_timeout_ms: params.poll_timeout.as_secs() * 1000,
            timeout_ms: params.timeout.as_millis() as u64,
            code_lifetime_ms: params.code_lifetime.as_millis() as u64,
            deadline_at: None,
            phase: Phase::Created,
        };
        Ok(Self::from_saved(creds, redirect, saved))
    }

    fn from_saved(creds: Credentials, redirect: RedirectPattern, saved: Saved) -> Self {
        SupervisedLoginMachine {
            retrier: Retrier::new(creds.retry),
            creds,
            redirect,
            poll_timeout: Duration::from_millis(saved.poll_timeout_ms),
            timeout: Duration::from_millis(saved.timeout_ms),
            code_lifetime: Duration::from_millis(saved.code_lifetime_ms),
            saved,
            last_poll_at: None,
        }
    }

    /// Rebuilds a machine from [`Flow::snapshot`] output; `creds` supplies the client secret
    /// (never stored in snapshots). Feed [`Input::Resume`] to continue.
    pub fn restore(creds: Credentials, snapshot_text: &str) -> Result<Self, Error> {
        let record: SupervisedSnapshotV1 =
            snapshot::decode_as(snapshot_text, FlowKind::SupervisedLogin)?;
        let saved = Saved::from(record);
        if saved.client_id != creds.client_id {
            return Err(Error::InvalidSnapshot(
                "the snapshot belongs to another client id".into(),
            ));
        }
        let redirect = RedirectPattern::parse("redirectUrl", &saved.redirect_url, false)
            .map_err(|_| Error::InvalidSnapshot("invalid redirect URL".into()))?;
        if !(1_000..=300_000).contains(&saved.poll_timeout_ms)
            || saved.timeout_ms == 0
            || saved.code_lifetime_ms == 0
        {
            return Err(Error::InvalidSnapshot("invalid timing parameters".into()));
        }
        Ok(Self::from_saved(creds, redirect, saved))
    }

    /// Sets the deadline on the first start (a restored flow keeps its original one) and arms
    /// its timer; the flow times out at once if the deadline has passed.
    fn arm_deadline(&mut self, now: Timestamp) -> Result<Effect<LoginState>, Effects> {
        let deadline = *self.saved.deadline_at.get_or_insert(now.plus(self.timeout));
        if now >= deadline {
            return Err(self.finish(Phase::TimedOut));
        }
        Ok(Effect::ArmTimer {
            timer: TimerKind::Deadline,
            after: now.until(deadline),
        })
    }

    fn resume(&mut self, ctx: Ctx) -> Effects {
        if matches!(self.saved.phase, Phase::Created) {
            return vec![];
        }
        let mut effects = match self.arm_deadline(ctx.now) {
            Ok(deadline) => vec![deadline, Effect::State(self.state())],
            Err(done) => return done,
        };
        match &self.saved.phase {
            Phase::Initializing => effects.push(self.send_initialize()),
            Phase::Awaiting { session_id, .. } => {
                let session_id = session_id.clone();
                effects.extend(self.send_status(&session_id, ctx.mono));
            }
            Phase::Exchanging { .. } => {
                let resend = self.resend_exchange(ctx.now);
                if self.saved.phase.is_terminal() {
                    return resend;
                }
                effects.extend(resend);
            }
            _ => {}
        }
        effects
    }

    /// Sends the exchange again (a retry, or after a restore) while the code lives; otherwise
    /// the login fails with [`Error::CodeExpired`]. Nothing outside `Exchanging`.
    fn resend_exchange(&mut self, now: Timestamp) -> Effects {
        let Phase::Exchanging {
            code, received_at, ..
        } = &self.saved.phase
        else {
            return vec![];
        };
        if now < received_at.plus(self.code_lifetime) {
            vec![Effect::Send(api::exchange(&self.creds, code))]
        } else {
            self.fail(Error::CodeExpired)
        }
    }

    fn finish(&mut self, phase: Phase) -> Effects {
        self.saved.phase = phase;
        vec![Effect::Stop, Effect::State(self.state())]
    }

    fn fail(&mut self, error: Error) -> Effects {
        log::warn!("supervised login failed: {error}");
        self.finish(Phase::Failed {
            error: PersistedError::new(error),
        })
    }

    fn send_initialize(&self) -> Effect<LoginState> {
        Effect::Send(api::initialize(
            &self.creds,
            &self.saved.user_hash,
            self.redirect.url().as_str(),
        ))
    }

    fn send_status(&mut self, session_id: &str, now: Monotonic) -> Effects {
        self.last_poll_at = Some(now);
        vec![Effect::Send(api::status(
            &self.creds,
            session_id,
            self.poll_timeout,
        ))]
    }

    /// The next poll goes out when the current window ends, never earlier.
    fn schedule_poll(&mut self, session_id: &str, now: Monotonic) -> Effects {
        let due = self
            .last_poll_at
            .map_or(now, |at| at.plus(self.poll_timeout));
        if now >= due {
            self.send_status(session_id, now)
        } else {
            vec![Effect::ArmTimer {
                timer: TimerKind::NextPoll,
                after: now.until(due),
            }]
        }
    }

    fn accept_code(&mut self, code: Secret, via: CodeSource, now: Timestamp) -> Effects {
        let request = api::exchange(&self.creds, &code);
        self.saved.phase = Phase::Exchanging {
            via,
            code,
            received_at: now,
        };
        self.retrier.reset();
        vec![
            Effect::Abort(RequestKind::Status),
            Effect::CancelTimer(TimerKind::NextPoll),
            Effect::CancelTimer(TimerKind::Retry(RequestKind::Status)),
            Effect::State(LoginState::CodeReceived { via }),
            Effect::State(LoginState::Exchanging { via }),
            Effect::Send(request),
        ]
    }

    fn on_initialized(&mut self, result: HttpResult, ctx: Ctx) -> Effects {
        let kind = RequestKind::Initialize;
        let response = match classify(kind, result, ctx.now) {
            Ok(r) => r,
            Err(f) => {
                let limit = Some(MAX_INITIALIZE_RETRIES);
                return match self
                    .retrier
                    .next_delay(kind.endpoint(), &f, limit, ctx.entropy)
                {
                    Some(after) => vec![Effect::ArmTimer {
                        timer: TimerKind::Retry(kind),
                        after,
                    }],
                    None => self.fail(f.error),
                };
            }
        };
        match api::parse_initialize(&response) {
            Ok(init) => {
                self.retrier.reset();
                self.saved.phase = Phase::Awaiting {
                    auth_url: init.auth_url.clone(),
                    session_id: init.session_id.clone(),
                };
                let mut effects = vec![Effect::State(self.state())];
                effects.extend(self.send_status(&init.session_id, ctx.mono));
                effects
            }
            Err(e) => self.fail(e),
        }
    }

    fn on_status(&mut self, session_id: String, result: HttpResult, ctx: Ctx) -> Effects {
        let parsed = classify(RequestKind::Status, result, ctx.now)
            .and_then(|r| StatusResponse::parse(&r).map_err(Failure::from));
        let status = match parsed {
            Ok(s) => s,
            Err(f) if f.is_transient() || matches!(f.error, Error::MalformedResponse { .. }) => {
                // A garbled status answer is worth another poll: the user may still finish, and
                // the redirect may still arrive. Bounded by the deadline, not a count.
                let after =
                    self.retrier
                        .delay_after(RequestKind::Status.endpoint(), &f, ctx.entropy);
                return vec![Effect::ArmTimer {
                    timer: TimerKind::Retry(RequestKind::Status),
                    after,
                }];
            }
            Err(Failure {
                error: Error::UnexpectedStatus { status: 404, .. },
                ..
            }) => return self.fail(Error::SessionNotFound),
            Err(f) => return self.fail(f.error),
        };
        self.retrier.reset();
        match (status.state.as_str(), status.code) {
            ("InProgress", _) => self.schedule_poll(&session_id, ctx.mono),
            ("Succeeded", Some(code)) if !code.is_empty() => {
                self.accept_code(Secret::new(code), CodeSource::Poll, ctx.now)
            }
            ("Failed", _) => self.fail(Error::LoginFailed { detail: None }),
            ("Cancelled", _) => self.finish(Phase::Cancelled {
                by: CancelOrigin::User,
            }),
            ("NotApplicable", _) => self.finish(Phase::NotApplicable),
            (other, _) => {
                let f = Failure::from(Error::MalformedResponse {
                    endpoint: RequestKind::Status.endpoint(),
                    detail: match other {
                        "Succeeded" => "state Succeeded without a code".to_owned(),
                        _ => format!("unknown state {:?}", sanitize_provider_code(other)),
                    },
                });
                let after =
                    self.retrier
                        .delay_after(RequestKind::Status.endpoint(), &f, ctx.entropy);
                vec![Effect::ArmTimer {
                    timer: TimerKind::Retry(RequestKind::Status),
                    after,
                }]
            }
        }
    }

    fn on_exchanged(
        &mut self,
        via: CodeSource,
        received_at: Timestamp,
        result: HttpResult,
        ctx: Ctx,
    ) -> Effects {
        match classify(RequestKind::Exchange, result, ctx.now) {
            Ok(response) => match api::parse_tokens(&response, via) {
                Ok(tokens) => {
                    if let Some(value) = response.header(&EXPIRY_HEADER.to_ascii_lowercase()) {
                        let _ = tokens.session.apply_expiry_header(value);
                    }
                    self.finish(Phase::Authenticated { tokens })
                }
                Err(e) => self.fail(e),
            },
            Err(f) if f.is_transient() => {
                // Bounded by the code's lifetime, not a count.
                let after =
                    self.retrier
                        .delay_after(RequestKind::Exchange.endpoint(), &f, ctx.entropy);
                let code_valid_until = received_at.plus(self.code_lifetime);
                if ctx.now.plus(after) < code_valid_until {
                    vec![Effect::ArmTimer {
                        timer: TimerKind::Retry(RequestKind::Exchange),
                        after,
                    }]
                } else {
                    self.fail(Error::CodeExpired)
                }
            }
            Err(Failure {
                error: Error::UnexpectedStatus { status, code, .. },
                ..
            }) if (400..500).contains(&status) => self.fail(Error::CodeRejected { status, code }),
            Err(f) => self.fail(f.error),
        }
    }

    fn on_timer(&mut self, timer: TimerKind, ctx: Ctx) -> Effects {
        match (timer, &self.saved.phase) {
            (_, phase) if phase.is_terminal() => vec![],
            (TimerKind::Deadline, _) => {
                log::warn!("supervised login timed out after {:?}", self.timeout);
                self.finish(Phase::TimedOut)
            }
            (TimerKind::Retry(RequestKind::Initialize), Phase::Initializing) => {
                vec![self.send_initialize()]
            }
            (
                TimerKind::Retry(RequestKind::Status) | TimerKind::NextPoll,
                Phase::Awaiting { session_id, .. },
            ) => {
                let session_id = session_id.clone();
                self.send_status(&session_id, ctx.mono)
            }
            (TimerKind::Retry(RequestKind::Exchange), Phase::Exchanging { .. }) => {
                self.resend_exchange(ctx.now)
            }
            _ => vec![],
        }
    }
}

fn is_cancel_error(error: &str) -> bool {
    matches!(
        error.to_ascii_lowercase().as_str(),
        "cancelled" | "canceled" | "cancel" | "access_denied" | "user_cancelled" | "usercancelled"
    )
}

impl Flow for SupervisedLoginMachine {
    type State = LoginState;
    type Output = SupervisedTokens;

    fn handle(&mut self, input: Input, ctx: Ctx) -> Effects {
        match input {
            Input::Start => match self.saved.phase {
                Phase::Created => {
                    let deadline = match self.arm_deadline(ctx.now) {
                        Ok(effect) => effect,
                        Err(done) => return done,
                    };
                    self.saved.phase = Phase::Initializing;
                    vec![
                        Effect::State(LoginState::Initializing),
                        deadline,
                        self.send_initialize(),
                    ]
                }
                _ => vec![],
            },
            Input::Resume if self.saved.phase.is_terminal() => vec![],
            Input::Resume => self.resume(ctx),
            Input::Cancel if self.saved.phase.is_terminal() => vec![],
            Input::Cancel => {
                log::info!("supervised login cancelled by the app");
                self.finish(Phase::Cancelled {
                    by: CancelOrigin::Host,
                })
            }
            Input::Timer(timer) => self.on_timer(timer, ctx),
            Input::Response { kind, result } => match (kind, &self.saved.phase) {
                (RequestKind::Initialize, Phase::Initializing) => self.on_initialized(result, ctx),
                (RequestKind::Status, Phase::Awaiting { session_id, .. }) => {
                    let session_id = session_id.clone();
                    self.on_status(session_id, result, ctx)
                }
                (
                    RequestKind::Exchange,
                    Phase::Exchanging {
                        via, received_at, ..
                    },
                ) => {
                    let (via, received_at) = (*via, *received_at);
                    self.on_exchanged(via, received_at, result, ctx)
                }
                // A response the flow no longer waits for (e.g. a poll that lost the race).
                _ => vec![],
            },
        }
    }

    fn redirect(&mut self, url: &Url, ctx: Ctx) -> (RedirectOutcome, Effects) {
        if !self.redirect.matches(url) {
            return (RedirectOutcome::NotForThisFlow, vec![]);
        }
        match self.saved.phase {
            ref phase if phase.is_terminal() => {
                return (
                    RedirectOutcome::Ignored(IgnoredReason::FlowFinished),
                    vec![],
                );
            }
            Phase::Exchanging { .. } => {
                return (
                    RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived),
                    vec![],
                );
            }
            Phase::Created | Phase::Initializing => {
                return (
                    RedirectOutcome::Ignored(IgnoredReason::NotWaitingForRedirect),
                    vec![],
                );
            }
            _ => {}
        }
        let params = RedirectQuery::parse(url).and_then(|q| {
            Ok((
                q.get("code")?.map(str::to_owned),
                q.get("error")?.map(str::to_owned),
                q.get("error_description")?.map(str::to_owned),
            ))
        });
        match params {
            Err(e) => (RedirectOutcome::Rejected(e), vec![]),
            Ok((Some(code), None, _)) if !code.is_empty() => (
                RedirectOutcome::CodeAccepted,
                self.accept_code(Secret::new(code), CodeSource::Redirect, ctx.now),
            ),
            Ok((None, Some(error), description)) => {
                if is_cancel_error(&error) {
                    let by = CancelOrigin::User;
                    let effects = self.finish(Phase::Cancelled { by });
                    (
                        RedirectOutcome::ProviderError(Error::Cancelled { by }),
                        effects,
                    )
                } else {
                    let e = Error::LoginFailed {
                        detail: description
                            .as_deref()
                            .and_then(sanitize_provider_code)
                            .or_else(|| sanitize_provider_code(&error)),
                    };
                    (RedirectOutcome::ProviderError(e.clone()), self.fail(e))
                }
            }
            Ok((Some(_), Some(_), _)) => (
                RedirectOutcome::Rejected(Error::InvalidRedirect(
                    "the redirect carries both a code and an error".into(),
                )),
                vec![],
            ),
            Ok(_) => (
                RedirectOutcome::Rejected(Error::InvalidRedirect(
                    "the redirect carries neither a code nor an error".into(),
                )),
                vec![],
            ),
        }
    }

    fn redirect_pattern(&self) -> &RedirectPattern {
        &self.redirect
    }

    fn state(&self) -> LoginState {
        match &self.saved.phase {
            Phase::Created => LoginState::Created,
            Phase::Initializing => LoginState::Initializing,
            Phase::Awaiting {
                auth_url,
                session_id,
            } => LoginState::AwaitingUser {
                auth_url: auth_url.clone(),
                session_id: session_id.clone(),
            },
            Phase::Exchanging { via, .. } => LoginState::Exchanging { via: *via },
            Phase::Authenticated { tokens: t } => LoginState::Authenticated {
                via: t.completed_via,
                session_expires: t.session.expires(),
                login_expires: t.login.expires,
                provider_id: t.provider_id.clone(),
            },
            Phase::Failed { error } => LoginState::Failed {
                error: error.error(),
            },
            Phase::Cancelled { by } => LoginState::Cancelled { by: *by },
            Phase::NotApplicable => LoginState::NotApplicable,
            Phase::TimedOut => LoginState::TimedOut,
        }
    }

    fn outcome(&self) -> Option<Result<SupervisedTokens, Error>> {
        match (&self.saved.phase, self.state()) {
            (Phase::Authenticated { tokens }, _) => Some(Ok(tokens.clone())),
            (_, LoginState::Failed { error }) => Some(Err(error)),
            (_, LoginState::Cancelled { by }) => Some(Err(Error::Cancelled { by })),
            (_, LoginState::NotApplicable) => Some(Err(Error::NotApplicable)),
            (_, LoginState::TimedOut) => Some(Err(Error::TimedOut(self.timeout))),
            _ => None,
        }
    }

    fn snapshot(&self) -> Result<String, Error> {
        snapshot::encode(
            FlowKind::SupervisedLogin,
            &SupervisedSnapshotV1::from(&self.saved),
        )
    }
}

impl From<&Saved> for SupervisedSnapshotV1 {
    fn from(saved: &Saved) -> Self {
        SupervisedSnapshotV1 {
            client_id: saved.client_id.clone(),
            user_hash: saved.user_hash.clone(),
            redirect_url: saved.redirect_url.clone(),
            poll_timeout_ms: saved.poll_timeout_ms,
            timeout_ms: saved.timeout_ms,
            code_lifetime_ms: saved.code_lifetime_ms,
            deadline_at: saved.deadline_at,
            phase: match &saved.phase {
                Phase::Created => SupervisedPhaseV1::Created,
                Phase::Initializing => SupervisedPhaseV1::Initializing,
                Phase::Awaiting {
                    auth_url,
                    session_id,
                } => SupervisedPhaseV1::Awaiting {
                    auth_url: auth_url.clone(),
                    session_id: session_id.clone(),
                },
                Phase::Exchanging {
                    via,
                    code,
                    received_at,
                } => SupervisedPhaseV1::Exchanging {
                    via: (*via).into(),
                    code: code.clone(),
                    received_at: *received_at,
                },
                Phase::Authenticated { tokens } => SupervisedPhaseV1::Authenticated {
                    tokens: tokens.into(),
                },
                Phase::Failed { error } => SupervisedPhaseV1::Failed {
                    error: error.into(),
                },
                Phase::Cancelled { by } => SupervisedPhaseV1::Cancelled { by: (*by).into() },
                Phase::NotApplicable => SupervisedPhaseV1::NotApplicable,
                Phase::TimedOut => SupervisedPhaseV1::TimedOut,
            },
        }
    }
}

impl From<SupervisedSnapshotV1> for Saved {
    fn from(r: SupervisedSnapshotV1) -> Self {
        Saved {
            client_id: r.client_id,
            user_hash: r.user_hash,
            redirect_url: r.redirect_url,
            poll_timeout_ms: r.poll_timeout_ms,
            timeout_ms: r.timeout_ms,
            code_lifetime_ms: r.code_lifetime_ms,
            deadline_at: r.deadline_at,
            phase: match r.phase {
                SupervisedPhaseV1::Created => Phase::Created,
                SupervisedPhaseV1::Initializing => Phase::Initializing,
                SupervisedPhaseV1::Awaiting {
                    auth_url,
                    session_id,
                } => Phase::Awaiting {
                    auth_url,
                    session_id,
                },
                SupervisedPhaseV1::Exchanging {
                    via,
                    code,
                    received_at,
                } => Phase::Exchanging {
                    via: via.into(),
                    code,
                    received_at,
                },
                SupervisedPhaseV1::Authenticated { tokens } => Phase::Authenticated {
                    tokens: tokens.into(),
                },
                SupervisedPhaseV1::Failed { error } => Phase::Failed {
                    error: error.into(),
                },
                SupervisedPhaseV1::Cancelled { by } => Phase::Cancelled { by: by.into() },
                SupervisedPhaseV1::NotApplicable => Phase::NotApplicable,
                SupervisedPhaseV1::TimedOut => Phase::TimedOut,
            },
        }
    }
}
