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

use crate::config::Credentials;
use crate::error::{CancelOrigin, Error, sanitize_provider_code};
use crate::flow::{Ctx, Effect, Flow, IgnoredReason, Input, RedirectOutcome, TimerKind};
use crate::http::{Failure, HttpResult, RequestKind, classify};
use crate::redirect::{RedirectPattern, RedirectQuery};
use crate::secret::Secret;
use crate::session::EXPIRY_HEADER;
use crate::timestamp::Timestamp;
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
    Done(Done),
}

#[derive(Clone, Debug)]
enum Done {
    Authenticated(SupervisedTokens),
    Failed(Error),
    Cancelled(CancelOrigin),
    NotApplicable,
    TimedOut,
}

/// The supervised login as a pure state machine; run it with [`crate::driver`] or feed it by hand.
#[derive(Debug)]
pub struct SupervisedLoginMachine {
    creds: Credentials,
    user_hash: String,
    redirect: RedirectPattern,
    poll_timeout: Duration,
    timeout: Duration,
    code_lifetime: Duration,
    phase: Phase,
    attempts: u32,
    last_poll_at: Option<Timestamp>,
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
        Ok(SupervisedLoginMachine {
            creds,
            user_hash: params.user_hash,
            redirect,
            poll_timeout: Duration::from_secs(params.poll_timeout.as_secs()),
            timeout: params.timeout,
            code_lifetime: params.code_lifetime,
            phase: Phase::Created,
            attempts: 0,
            last_poll_at: None,
        })
    }

    fn finish(&mut self, done: Done) -> Effects {
        self.phase = Phase::Done(done);
        vec![Effect::Stop, Effect::State(self.state())]
    }

    fn fail(&mut self, error: Error) -> Effects {
        log::warn!("supervised login failed: {error}");
        self.finish(Done::Failed(error))
    }

    fn send_initialize(&self) -> Effect<LoginState> {
        Effect::Send(api::initialize(
            &self.creds,
            &self.user_hash,
            self.redirect.url().as_str(),
        ))
    }

    fn send_status(&mut self, session_id: &str, now: Timestamp) -> Effects {
        self.last_poll_at = Some(now);
        vec![Effect::Send(api::status(
            &self.creds,
            session_id,
            self.poll_timeout,
        ))]
    }

    /// The next poll goes out when the current window ends, never earlier.
    fn schedule_poll(&mut self, session_id: &str, now: Timestamp) -> Effects {
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

    fn backoff(&mut self, kind: RequestKind, failure: &Failure, ctx: Ctx) -> Duration {
        let delay = self
            .creds
            .retry
            .delay(self.attempts, ctx.entropy, failure.retry_after);
        self.attempts += 1;
        log::info!(
            "{} failed ({}); retry {} in {} ms",
            kind.endpoint(),
            failure.error,
            self.attempts,
            delay.as_millis()
        );
        delay
    }

    fn accept_code(&mut self, code: Secret, via: CodeSource, now: Timestamp) -> Effects {
        let request = api::exchange(&self.creds, &code);
        self.phase = Phase::Exchanging {
            via,
            code,
            received_at: now,
        };
        self.attempts = 0;
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
        let response = match classify(RequestKind::Initialize, result, ctx.now) {
            Ok(r) => r,
            Err(f) if f.is_transient() && self.attempts < MAX_INITIALIZE_RETRIES => {
                let after = self.backoff(RequestKind::Initialize, &f, ctx);
                return vec![Effect::ArmTimer {
                    timer: TimerKind::Retry(RequestKind::Initialize),
                    after,
                }];
            }
            Err(f) => return self.fail(f.error),
        };
        match api::parse_initialize(&response) {
            Ok(init) => {
                self.attempts = 0;
                self.phase = Phase::Awaiting {
                    auth_url: init.auth_url.clone(),
                    session_id: init.session_id.clone(),
                };
                let mut effects = vec![Effect::State(self.state())];
                effects.extend(self.send_status(&init.session_id, ctx.now));
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
                // the redirect may still arrive.
                let after = self.backoff(RequestKind::Status, &f, ctx);
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
        self.attempts = 0;
        match (status.state.as_str(), status.code) {
            ("InProgress", _) => self.schedule_poll(&session_id, ctx.now),
            ("Succeeded", Some(code)) if !code.is_empty() => {
                self.accept_code(Secret::new(code), CodeSource::Poll, ctx.now)
            }
            ("Failed", _) => self.fail(Error::LoginFailed { detail: None }),
            ("Cancelled", _) => self.finish(Done::Cancelled(CancelOrigin::User)),
            ("NotApplicable", _) => self.finish(Done::NotApplicable),
            (other, _) => {
                let f = Failure::from(Error::MalformedResponse {
                    endpoint: RequestKind::Status.endpoint(),
                    detail: match other {
                        "Succeeded" => "state Succeeded without a code".to_owned(),
                        _ => format!("unknown state {:?}", sanitize_provider_code(other)),
                    },
                });
                let after = self.backoff(RequestKind::Status, &f, ctx);
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
                    self.finish(Done::Authenticated(tokens))
                }
                Err(e) => self.fail(e),
            },
            Err(f) if f.is_transient() => {
                let after = self.backoff(RequestKind::Exchange, &f, ctx);
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
        match (timer, &self.phase) {
            (_, Phase::Done(_)) => vec![],
            (TimerKind::Deadline, _) => {
                log::warn!("supervised login timed out after {:?}", self.timeout);
                self.finish(Done::TimedOut)
            }
            (TimerKind::Retry(RequestKind::Initialize), Phase::Initializing) => {
                vec![self.send_initialize()]
            }
            (
                TimerKind::Retry(RequestKind::Status) | TimerKind::NextPoll,
                Phase::Awaiting { session_id, .. },
            ) => {
                let session_id = session_id.clone();
                self.send_status(&session_id, ctx.now)
            }
            (
                TimerKind::Retry(RequestKind::Exchange),
                Phase::Exchanging {
                    code, received_at, ..
                },
            ) => {
                if ctx.now < received_at.plus(self.code_lifetime) {
                    vec![Effect::Send(api::exchange(&self.creds, code))]
                } else {
                    self.fail(Error::CodeExpired)
                }
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
            Input::Start => match self.phase {
                Phase::Created => {
                    self.phase = Phase::Initializing;
                    vec![
                        Effect::State(LoginState::Initializing),
                        Effect::ArmTimer {
                            timer: TimerKind::Deadline,
                            after: self.timeout,
                        },
                        self.send_initialize(),
                    ]
                }
                _ => vec![],
            },
            Input::Cancel => match self.phase {
                Phase::Done(_) => vec![],
                _ => {
                    log::info!("supervised login cancelled by the app");
                    self.finish(Done::Cancelled(CancelOrigin::Host))
                }
            },
            Input::Timer(timer) => self.on_timer(timer, ctx),
            Input::Response { kind, result } => match (kind, &self.phase) {
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
        match self.phase {
            Phase::Done(_) => {
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
            Phase::Awaiting { .. } => {}
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
                let (outcome_error, done) = if is_cancel_error(&error) {
                    let by = CancelOrigin::User;
                    (Error::Cancelled { by }, Done::Cancelled(by))
                } else {
                    let e = Error::LoginFailed {
                        detail: description
                            .as_deref()
                            .and_then(sanitize_provider_code)
                            .or_else(|| sanitize_provider_code(&error)),
                    };
                    (e.clone(), Done::Failed(e))
                };
                (
                    RedirectOutcome::ProviderError(outcome_error),
                    self.finish(done),
                )
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
        match &self.phase {
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
            Phase::Done(Done::Authenticated(t)) => LoginState::Authenticated {
                via: t.completed_via,
                session_expires: t.session.expires(),
                login_expires: t.login.expires,
                provider_id: t.provider_id.clone(),
            },
            Phase::Done(Done::Failed(error)) => LoginState::Failed {
                error: error.clone(),
            },
            Phase::Done(Done::Cancelled(by)) => LoginState::Cancelled { by: *by },
            Phase::Done(Done::NotApplicable) => LoginState::NotApplicable,
            Phase::Done(Done::TimedOut) => LoginState::TimedOut,
        }
    }

    fn outcome(&self) -> Option<Result<SupervisedTokens, Error>> {
        match &self.phase {
            Phase::Done(Done::Authenticated(t)) => Some(Ok(t.clone())),
            Phase::Done(Done::Failed(e)) => Some(Err(e.clone())),
            Phase::Done(Done::Cancelled(by)) => Some(Err(Error::Cancelled { by: *by })),
            Phase::Done(Done::NotApplicable) => Some(Err(Error::NotApplicable)),
            Phase::Done(Done::TimedOut) => Some(Err(Error::TimedOut(self.timeout))),
            _ => None,
        }
    }
}
