//! Transition tests for the supervised-login machine, and a property test over interleavings.

use std::time::Duration;

use url::Url;

use super::*;
use crate::config::ClientConfig;
use crate::error::{CancelOrigin, Error, ErrorInfo};
use crate::flow::{Ctx, Effect, Flow, IgnoredReason, Input, RedirectOutcome, TimerKind};
use crate::http::RequestKind::{Exchange, Initialize, Status};
use crate::http::{HttpRequest, HttpResponse, HttpResult, RequestKind, TransportFailure};

const REDIRECT: &str = "https://app.example.com/aiia/callback";
const CODE: &str = "qgAAAAVDaXBo+ZXh0/AHAAAA==";
const CODE_ENCODED: &str = "qgAAAAVDaXBo%2BZXh0%2FAHAAAA%3D%3D";

use crate::test_support::creds;

fn machine() -> SupervisedLoginMachine {
    SupervisedLoginMachine::new(
        creds(),
        SupervisedLoginParams::new("test-user-id", REDIRECT),
    )
    .unwrap()
}

fn at(secs: i64) -> Ctx {
    crate::test_support::ctx_at(secs, 42)
}

use crate::test_support::json;

fn with_header(status: u16, name: &str, value: &str, body: &str) -> HttpResult {
    Ok(HttpResponse {
        status,
        headers: vec![(name.to_owned(), value.to_owned())],
        body: body.as_bytes().to_vec(),
    })
}

const INIT_OK: &str =
    r#"{"authUrl":"https://bank.example.com/start?startToken=abc%3D%3D","sessionId":"s-1"}"#;
const TOKENS_OK: &str = r#"{"success":true,"session":{"expires":"2030-01-23T13:30:07.1389724+00:00","accessToken":"AT"},"login":{"providerId":"DemoBank","expires":"2030-07-25T13:20:07.141971Z","loginToken":"-ELT2-LT","supportsUnattended":true,"label":"DemoBank","subjectId":"abc"},"providerId":"DemoBank"}"#;

const UNAUTHORIZED: &str = r#"{"error":"Unauthorized"}"#;
const INVALID_CODE: &str = r#"{"error":"InvalidCode"}"#;

fn sent(effects: &[Effect<LoginState>]) -> Vec<&HttpRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn states(effects: &[Effect<LoginState>]) -> Vec<LoginState> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::State(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn timers(effects: &[Effect<LoginState>]) -> Vec<(TimerKind, Duration)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::ArmTimer { timer, after } => Some((*timer, *after)),
            _ => None,
        })
        .collect()
}

fn respond(
    m: &mut SupervisedLoginMachine,
    kind: RequestKind,
    result: HttpResult,
    ctx: Ctx,
) -> Vec<Effect<LoginState>> {
    m.handle(Input::Response { kind, result }, ctx)
}

/// A machine started at t=0, its initialize request in flight.
fn initializing() -> SupervisedLoginMachine {
    let mut m = machine();
    m.handle(Input::Start, at(0));
    m
}

/// A machine waiting for the user, with its first status request in flight (sent at t=0).
fn awaiting() -> SupervisedLoginMachine {
    let mut m = initializing();
    respond(&mut m, Initialize, json(200, INIT_OK), at(0));
    m
}

/// The states of a login that ended with `error`.
fn failed_with(error: Error) -> Vec<LoginState> {
    vec![LoginState::Failed {
        error: error.into(),
    }]
}

/// The provider's status, as the confirmation of a redirect asks it.
fn status_says(state: &str, code: Option<&str>) -> HttpResult {
    let body = match code {
        Some(code) => format!(r#"{{"state":"{state}","code":"{code}"}}"#),
        None => format!(r#"{{"state":"{state}"}}"#),
    };
    json(200, &body)
}

/// A redirect with the session's code, confirmed by the status: the exchange goes out.
fn redirect_confirmed(m: &mut SupervisedLoginMachine, secs: i64) -> Vec<Effect<LoginState>> {
    let url = Url::parse(&format!("{REDIRECT}?code={CODE_ENCODED}")).unwrap();
    let (outcome, _) = m.redirect(&url, at(secs));
    assert_eq!(outcome, RedirectOutcome::CodeAccepted);
    respond(m, Status, status_says("Succeeded", Some(CODE)), at(secs))
}

fn body(request: &HttpRequest) -> serde_json::Value {
    serde_json::from_str(request.body.as_ref().unwrap().1.expose()).unwrap()
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> &'a str {
    request
        .headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.expose())
        .unwrap()
}

#[test]
fn invalid_parameters_are_rejected_before_anything_is_sent() {
    let bad = |user: &str, redirect: &str, poll: u64| {
        let mut p = SupervisedLoginParams::new(user, redirect);
        p.poll_timeout = Duration::from_secs(poll);
        SupervisedLoginMachine::new(creds(), p).unwrap_err()
    };
    assert!(matches!(
        bad("short", REDIRECT, 30),
        Error::InvalidInput {
            field: "userHash",
            ..
        }
    ));
    assert!(matches!(
        bad("test-user-id", "not a url", 30),
        Error::InvalidInput {
            field: "redirectUrl",
            ..
        }
    ));
    assert!(matches!(
        bad("test-user-id", "http://app.example.com/cb", 30),
        Error::InvalidInput {
            field: "redirectUrl",
            ..
        }
    ));
    assert!(matches!(
        bad("test-user-id", REDIRECT, 0),
        Error::InvalidInput {
            field: "pollTimeout",
            ..
        }
    ));
    assert_eq!(machine().state(), LoginState::Created);
}

#[test]
fn start_sends_initialize_with_partner_headers_and_arms_the_deadline() {
    let mut m = machine();
    let fx = m.handle(Input::Start, at(0));
    assert_eq!(states(&fx), vec![LoginState::Initializing]);
    assert_eq!(
        timers(&fx),
        vec![(TimerKind::Deadline, Duration::from_secs(900))]
    );
    let req = sent(&fx)[0];
    assert_eq!(
        req.url.as_str(),
        "https://api.example.com/v1/authentication/initialize"
    );
    assert_eq!(header(req, "x-client-id"), "client-1");
    assert_eq!(header(req, "x-client-secret"), "secret-1");
    assert_eq!(
        body(req),
        serde_json::json!({"userHash": "test-user-id", "redirectUrl": REDIRECT})
    );
    assert!(
        m.handle(Input::Start, at(1)).is_empty(),
        "a second start does nothing"
    );
}

#[test]
fn initialized_session_waits_for_the_user_and_long_polls() {
    let mut m = initializing();
    let fx = respond(&mut m, Initialize, json(200, INIT_OK), at(0));
    assert_eq!(
        states(&fx),
        vec![LoginState::AwaitingUser {
            auth_url: "https://bank.example.com/start?startToken=abc%3D%3D".into(),
            session_id: "s-1".into()
        }]
    );
    let req = sent(&fx)[0];
    assert_eq!(
        req.url.as_str(),
        "https://api.example.com/v1/authentication/s-1/status?pollTimeout=30"
    );
    assert_eq!(req.timeout, Duration::from_secs(60));
}

#[test]
fn initialize_failures() {
    let mut m = initializing();
    let fx = respond(&mut m, Initialize, json(401, UNAUTHORIZED), at(0));
    assert_eq!(states(&fx), failed_with(Error::BadClientCredentials));

    let mut m = initializing();
    let fx = respond(&mut m, Initialize, json(200, r#"{"authUrl":"#), at(0));
    assert!(matches!(
        &states(&fx)[0],
        LoginState::Failed { error } if error.code == "malformed_response"
    ));

    // The bank page must not load in cleartext: plain http is refused unless it is loopback.
    for (auth_url, ok) in [
        ("http://bank.example.com/start?startToken=t", false),
        ("ftp://bank.example.com/start", false),
        ("http://127.0.0.1:8080/start?startToken=t", true),
        ("https://bank.example.com/start?startToken=t", true),
    ] {
        let mut m = initializing();
        let body = format!(r#"{{"authUrl":"{auth_url}","sessionId":"s-1"}}"#);
        let fx = respond(&mut m, Initialize, json(200, &body), at(0));
        let failed = matches!(
            &states(&fx)[..],
            [LoginState::Failed { error }] if error.code == "malformed_response"
        );
        assert_eq!(failed, !ok, "{auth_url}: {:?}", states(&fx));
    }

    // Transient failures are retried a few times, then reported as "retry later".
    let mut m = initializing();
    for i in 0..4 {
        let fx = respond(&mut m, Initialize, json(503, ""), at(i));
        assert_eq!(timers(&fx).len(), 1, "retry {i} armed");
        let fx = m.handle(
            Input::Timer(TimerKind::Retry(RequestKind::Initialize)),
            at(i),
        );
        assert_eq!(sent(&fx).len(), 1);
    }
    let fx = respond(&mut m, Initialize, Err(TransportFailure::Timeout), at(9));
    assert_eq!(
        states(&fx),
        failed_with(Error::RequestTimeout {
            endpoint: "initialize"
        })
    );
}

#[test]
fn in_progress_polls_at_most_once_per_window() {
    let mut m = awaiting();
    // The provider held the request the full window: poll again at once.
    let fx = respond(&mut m, Status, status_says("InProgress", None), at(30));
    assert_eq!(sent(&fx).len(), 1);
    // It answered early (after 2 s): wait for the rest of the window.
    let fx = respond(&mut m, Status, status_says("InProgress", None), at(32));
    assert!(sent(&fx).is_empty());
    assert_eq!(
        timers(&fx),
        vec![(TimerKind::NextPoll, Duration::from_secs(28))]
    );
    let fx = m.handle(Input::Timer(TimerKind::NextPoll), at(60));
    assert_eq!(sent(&fx).len(), 1);
}

#[test]
fn poll_success_exchanges_the_code_once() {
    let mut m = awaiting();
    let fx = respond(&mut m, Status, status_says("Succeeded", Some(CODE)), at(5));
    assert_eq!(
        states(&fx),
        vec![
            LoginState::CodeReceived {
                via: CodeSource::Poll
            },
            LoginState::Exchanging {
                via: CodeSource::Poll
            }
        ]
    );
    let req = sent(&fx)[0];
    assert_eq!(req.url.path(), "/v1/authentication/tokens");
    assert_eq!(body(req), serde_json::json!({ "code": CODE }));
    // A redirect that arrives now is a duplicate.
    let (outcome, fx) = m.redirect(
        &Url::parse(&format!("{REDIRECT}?code={CODE_ENCODED}")).unwrap(),
        at(5),
    );
    assert_eq!(
        outcome,
        RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
    );
    assert!(fx.is_empty());

    let fx = respond(
        &mut m,
        Exchange,
        with_header(
            200,
            "x-access-token-expires",
            "2031-01-01T00:00:00Z",
            TOKENS_OK,
        ),
        at(6),
    );
    assert!(matches!(
        &states(&fx)[0],
        LoginState::Authenticated {
            via: CodeSource::Poll,
            ..
        }
    ));
    let tokens = m.outcome().unwrap().unwrap();
    assert_eq!(tokens.session.token().expose(), "AT");
    assert_eq!(
        tokens.session.expires().to_rfc3339(),
        "2031-01-01T00:00:00.000Z"
    );
    assert_eq!(tokens.login.token.expose(), "-ELT2-LT");
    assert_eq!(
        tokens.login.expires.to_rfc3339(),
        "2030-07-25T13:20:07.141Z"
    );
    assert!(tokens.login.supports_unattended);
    assert_eq!(tokens.provider_id, "DemoBank");
}

#[test]
fn redirect_wins_the_race_and_late_poll_is_ignored() {
    let mut m = awaiting();
    let url = Url::parse(&format!("{REDIRECT}?code={CODE_ENCODED}")).unwrap();
    let (outcome, fx) = m.redirect(&url, at(3));
    assert_eq!(outcome, RedirectOutcome::CodeAccepted);
    // The redirect is a hint: the long-poll stops, the status is asked at once.
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Abort(RequestKind::Status)))
    );
    assert_eq!(sent(&fx).len(), 1);
    assert!(
        sent(&fx)[0]
            .url
            .as_str()
            .ends_with("/s-1/status?pollTimeout=0"),
        "{}",
        sent(&fx)[0].url
    );
    assert!(matches!(m.state(), LoginState::AwaitingUser { .. }));
    let fx = respond(&mut m, Status, status_says("Succeeded", Some(CODE)), at(3));
    assert_eq!(
        states(&fx),
        vec![
            LoginState::CodeReceived {
                via: CodeSource::Redirect
            },
            LoginState::Exchanging {
                via: CodeSource::Redirect
            }
        ]
    );
    assert_eq!(
        body(sent(&fx)[0]),
        serde_json::json!({ "code": CODE }),
        "decoded exactly once"
    );
    // The poll that was in flight answers anyway: no second exchange.
    let fx = respond(&mut m, Status, status_says("Succeeded", Some(CODE)), at(3));
    assert!(fx.is_empty());
    let (outcome, _) = m.redirect(&url, at(4));
    assert_eq!(
        outcome,
        RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
    );
}

#[test]
fn redirect_classification() {
    let mut m = machine();
    let good = Url::parse(&format!("{REDIRECT}?code={CODE_ENCODED}")).unwrap();
    assert_eq!(
        m.redirect(&good, at(0)).0,
        RedirectOutcome::Ignored(IgnoredReason::NotWaitingForRedirect)
    );
    let mut m = awaiting();
    for other in [
        "https://app.example.com/other?code=x",
        "https://evil.example.com/aiia/callback?code=x",
    ] {
        assert_eq!(
            m.redirect(&Url::parse(other).unwrap(), at(1)).0,
            RedirectOutcome::NotForThisFlow
        );
    }
    for malformed in [
        REDIRECT.to_string(),
        format!("{REDIRECT}?code="),
        format!("{REDIRECT}?code=a&code=b"),
        format!("{REDIRECT}?code=a&error=x"),
    ] {
        let (outcome, fx) = m.redirect(&Url::parse(&malformed).unwrap(), at(1));
        assert!(
            matches!(outcome, RedirectOutcome::Rejected(_)),
            "{malformed}: {outcome:?}"
        );
        assert!(fx.is_empty());
    }
    assert!(
        matches!(m.state(), LoginState::AwaitingUser { .. }),
        "malformed redirects lose nothing"
    );

    user_cancel_confirmed(&mut m, "cancelled");
    assert_eq!(
        m.redirect(&good, at(3)).0,
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );

    // The description is form-encoded text (RFC 6749 §4.1.2.1), as the connect flow reads it:
    // `%20` and `+` are spaces.
    for description in ["Bank%20said%20no", "Bank+said+no"] {
        let mut m = awaiting();
        let url = Url::parse(&format!(
            "{REDIRECT}?error=failed&error_description={description}"
        ));
        let (outcome, _) = m.redirect(&url.unwrap(), at(2));
        assert_eq!(
            outcome,
            RedirectOutcome::ProviderError(Error::LoginFailed {
                detail: Some("Bank said no".into())
            }),
            "{description}"
        );
    }
}

#[test]
fn terminal_statuses() {
    for (status, expected) in [
        (
            "Failed",
            LoginState::Failed {
                error: Error::LoginFailed { detail: None }.into(),
            },
        ),
        (
            "Cancelled",
            LoginState::Cancelled {
                by: CancelOrigin::User,
            },
        ),
        ("NotApplicable", LoginState::NotApplicable),
    ] {
        let mut m = awaiting();
        let fx = respond(&mut m, Status, status_says(status, None), at(1));
        assert_eq!(states(&fx), vec![expected]);
        assert!(matches!(fx[0], Effect::Stop));
    }
    let mut m = awaiting();
    let fx = respond(&mut m, Status, json(404, r#"{"error":"NotFound"}"#), at(1));
    assert_eq!(states(&fx), failed_with(Error::SessionNotFound));
}

#[test]
fn status_transient_failures_back_off_and_honour_retry_after() {
    let mut m = awaiting();
    let fx = respond(
        &mut m,
        Status,
        with_header(429, "retry-after", "7", ""),
        at(1),
    );
    assert_eq!(
        timers(&fx),
        vec![(
            TimerKind::Retry(RequestKind::Status),
            Duration::from_secs(7)
        )]
    );
    let fx = respond(&mut m, Status, json(503, ""), at(9));
    let (_, d1) = timers(&fx)[0];
    let fx = respond(
        &mut m,
        Status,
        Err(TransportFailure::Network("reset".into())),
        at(10),
    );
    let (_, d2) = timers(&fx)[0];
    assert!(d2 > d1, "backoff grows: {d1:?} then {d2:?}");
    let fx = respond(&mut m, Status, json(200, "{not json"), at(11));
    assert_eq!(timers(&fx).len(), 1, "a garbled status is retried");
    let fx = respond(&mut m, Status, status_says("Succeeded", None), at(12));
    assert_eq!(timers(&fx).len(), 1, "Succeeded without a code is retried");
    let fx = m.handle(Input::Timer(TimerKind::Retry(RequestKind::Status)), at(13));
    assert_eq!(sent(&fx).len(), 1);
}

#[test]
fn exchange_retries_only_while_the_code_lives() {
    let mut m = awaiting();
    redirect_confirmed(&mut m, 0);
    let fx = respond(&mut m, Exchange, json(502, ""), at(1));
    assert_eq!(timers(&fx)[0].0, TimerKind::Retry(RequestKind::Exchange));
    let fx = m.handle(Input::Timer(TimerKind::Retry(RequestKind::Exchange)), at(2));
    assert_eq!(body(sent(&fx)[0]), serde_json::json!({ "code": CODE }));
    let fx = respond(&mut m, Exchange, json(503, ""), at(40));
    assert_eq!(
        timers(&fx)[0].0,
        TimerKind::Retry(RequestKind::Exchange),
        "still valid at 40 s"
    );
    let fx = m.handle(
        Input::Timer(TimerKind::Retry(RequestKind::Exchange)),
        at(41),
    );
    assert_eq!(sent(&fx).len(), 1);
    let fx = respond(&mut m, Exchange, json(503, ""), at(60));
    assert_eq!(states(&fx), failed_with(Error::CodeExpired));

    let mut m = awaiting();
    redirect_confirmed(&mut m, 0);
    let fx = respond(&mut m, Exchange, json(400, INVALID_CODE), at(1));
    let rejected = Error::CodeRejected {
        status: 400,
        code: Some("InvalidCode".into()),
    };
    assert_eq!(states(&fx), failed_with(rejected));
    assert_eq!(
        crate::test_support::ended_as(&m),
        crate::error::ErrorCategory::Reauthenticate
    );
}

#[test]
fn cancel_and_deadline_end_the_flow() {
    let mut m = awaiting();
    let fx = m.handle(Input::Cancel, at(1));
    assert!(matches!(fx[0], Effect::Stop));
    assert_eq!(
        m.state(),
        LoginState::Cancelled {
            by: CancelOrigin::Host
        }
    );
    assert!(m.handle(Input::Cancel, at(2)).is_empty());
    let late = respond(&mut m, Status, status_says("Succeeded", Some(CODE)), at(2));
    assert!(late.is_empty(), "nothing after cancel");

    let mut m = awaiting();
    let fx = m.handle(Input::Timer(TimerKind::Deadline), at(900));
    assert_eq!(states(&fx), vec![LoginState::TimedOut]);
    assert!(matches!(m.outcome(), Some(Err(Error::TimedOut(_)))));
}

// ---------------------------------------------------------------------------------------------
// Property test: every interleaving of redirects, poll results, cancels, time-outs and failures.

#[derive(Clone, Copy, Debug)]
enum Ev {
    Start,
    InitOk,
    Init503,
    Init401,
    PollInProgress,
    PollSucceeded,
    Poll503,
    PollFailed,
    PollCancelled,
    RedirectCode,
    RedirectOtherCode,
    RedirectError,
    RedirectEmpty,
    ExchangeOk,
    Exchange503,
    Exchange400,
    ExchangeDrop,
    Timer(TimerKind),
    Cancel,
    /// The app is killed and relaunched: the machine is rebuilt from its snapshot and resumed.
    KillAndRestore,
}

const ALPHABET: [Ev; 24] = [
    Ev::KillAndRestore,
    Ev::Start,
    Ev::InitOk,
    Ev::Init503,
    Ev::Init401,
    Ev::PollInProgress,
    Ev::PollSucceeded,
    Ev::Poll503,
    Ev::PollFailed,
    Ev::PollCancelled,
    Ev::RedirectCode,
    Ev::RedirectOtherCode,
    Ev::RedirectError,
    Ev::RedirectEmpty,
    Ev::ExchangeOk,
    Ev::Exchange503,
    Ev::Exchange400,
    Ev::ExchangeDrop,
    Ev::Timer(TimerKind::Deadline),
    Ev::Timer(TimerKind::NextPoll),
    Ev::Timer(TimerKind::Retry(RequestKind::Initialize)),
    Ev::Timer(TimerKind::Retry(RequestKind::Status)),
    Ev::Timer(TimerKind::Retry(RequestKind::Exchange)),
    Ev::Cancel,
];

/// Plays events against the machine the way the driver would (a response only for a request
/// in flight, a timer only if armed) and checks the invariants after every step.
struct Model {
    m: SupervisedLoginMachine,
    in_flight: std::collections::HashSet<RequestKind>,
    armed: std::collections::HashSet<TimerKind>,
    exchanged_code: Option<String>,
    exchanges_sent: u32,
    cancelled: bool,
    exchange_settled: bool,
    terminal: bool,
}

impl Model {
    fn new() -> Self {
        Model {
            m: machine(),
            in_flight: Default::default(),
            armed: Default::default(),
            exchanged_code: None,
            exchanges_sent: 0,
            cancelled: false,
            exchange_settled: false,
            terminal: false,
        }
    }

    fn step(&mut self, ev: Ev, ctx: Ctx, trace: &[Ev]) {
        let poll = |body: &str| json(200, body);
        let fx = match ev {
            Ev::Start => self.m.handle(Input::Start, ctx),
            Ev::KillAndRestore => {
                let snapshot = self.m.snapshot().unwrap();
                self.m =
                    SupervisedLoginMachine::restore(creds(), &snapshot).expect("snapshot restores");
                self.in_flight.clear();
                self.armed.clear();
                self.m.handle(Input::Resume, ctx)
            }
            Ev::Cancel => {
                self.cancelled = !self.terminal || self.cancelled;
                self.m.handle(Input::Cancel, ctx)
            }
            Ev::Timer(t) => {
                if !self.armed.remove(&t) {
                    return;
                }
                self.m.handle(Input::Timer(t), ctx)
            }
            Ev::RedirectCode | Ev::RedirectOtherCode | Ev::RedirectError | Ev::RedirectEmpty => {
                let query = match ev {
                    Ev::RedirectCode => format!("code={CODE_ENCODED}"),
                    Ev::RedirectOtherCode => "code=other%2Bcode".into(),
                    Ev::RedirectError => "error=cancelled".into(),
                    _ => "x=1".into(),
                };
                let url = Url::parse(&format!("{REDIRECT}?{query}")).unwrap();
                self.m.redirect(&url, ctx).1
            }
            _ => {
                let (kind, result) = match ev {
                    Ev::InitOk => (RequestKind::Initialize, json(200, INIT_OK)),
                    Ev::Init503 => (RequestKind::Initialize, json(503, "")),
                    Ev::Init401 => (RequestKind::Initialize, json(401, UNAUTHORIZED)),
                    Ev::PollInProgress => (RequestKind::Status, poll(r#"{"state":"InProgress"}"#)),
                    Ev::PollSucceeded => (
                        RequestKind::Status,
                        poll(&format!(r#"{{"state":"Succeeded","code":"{CODE}"}}"#)),
                    ),
                    Ev::Poll503 => (RequestKind::Status, json(503, "")),
                    Ev::PollFailed => (RequestKind::Status, poll(r#"{"state":"Failed"}"#)),
                    Ev::PollCancelled => (RequestKind::Status, poll(r#"{"state":"Cancelled"}"#)),
                    Ev::ExchangeOk => (RequestKind::Exchange, json(200, TOKENS_OK)),
                    Ev::Exchange503 => (RequestKind::Exchange, json(503, "")),
                    Ev::Exchange400 => (RequestKind::Exchange, json(400, INVALID_CODE)),
                    Ev::ExchangeDrop => (
                        RequestKind::Exchange,
                        Err(TransportFailure::Network("reset".into())),
                    ),
                    _ => unreachable!(),
                };
                if !self.in_flight.remove(&kind) {
                    return;
                }
                if kind == RequestKind::Exchange && matches!(ev, Ev::ExchangeOk | Ev::Exchange400) {
                    self.exchange_settled = true;
                }
                self.m.handle(Input::Response { kind, result }, ctx)
            }
        };
        for effect in fx {
            assert!(
                !self.terminal,
                "effect {effect:?} after the terminal state; trace {trace:?}"
            );
            match effect {
                Effect::Send(req) => {
                    if req.kind == RequestKind::Exchange {
                        assert!(!self.cancelled, "exchange after cancel; trace {trace:?}");
                        assert!(
                            !self.exchange_settled,
                            "exchange after a definitive answer; trace {trace:?}"
                        );
                        assert!(
                            !self.in_flight.contains(&RequestKind::Exchange),
                            "two exchanges in flight; trace {trace:?}"
                        );
                        let code = body(&req)["code"].as_str().unwrap().to_owned();
                        match &self.exchanged_code {
                            None => self.exchanged_code = Some(code),
                            Some(first) => assert_eq!(
                                first, &code,
                                "a second code was exchanged; trace {trace:?}"
                            ),
                        }
                        self.exchanges_sent += 1;
                    }
                    self.in_flight.insert(req.kind);
                }
                Effect::Abort(kind) => {
                    self.in_flight.remove(&kind);
                }
                Effect::ArmTimer { timer, .. } => {
                    self.armed.insert(timer);
                }
                Effect::CancelTimer(timer) => {
                    self.armed.remove(&timer);
                }
                Effect::Stop => {
                    self.in_flight.clear();
                    self.armed.clear();
                }
                Effect::State(s) => {
                    if s.is_terminal() {
                        self.terminal = true;
                    }
                }
            }
        }
        assert_eq!(self.terminal, self.m.outcome().is_some(), "trace {trace:?}");
        if self.cancelled {
            assert!(self.terminal, "cancel must end the flow; trace {trace:?}");
        }
        if let Some(Ok(_tokens)) = self.m.outcome() {
            assert!(!self.cancelled, "tokens after cancel; trace {trace:?}");
            assert!(
                self.exchanged_code.is_some(),
                "tokens without an exchange; trace {trace:?}"
            );
        }
    }
}

fn run(trace: &[Ev], step_secs: i64) {
    let mut model = Model::new();
    for (i, ev) in trace.iter().enumerate() {
        model.step(*ev, at(i as i64 * step_secs), &trace[..=i]);
    }
}

#[test]
fn property_every_interleaving_of_depth_four_after_start() {
    // Exhaustive: Start and a successful initialize, then every sequence of four events
    // (24^4 = 331,776 traces); the random test below covers longer ones.
    let n = ALPHABET.len();
    let mut trace = vec![
        Ev::Start,
        Ev::InitOk,
        Ev::Start,
        Ev::Start,
        Ev::Start,
        Ev::Start,
    ];
    for code in 0..n.pow(4) {
        let mut c = code;
        for slot in trace.iter_mut().skip(2) {
            *slot = ALPHABET[c % n];
            c /= n;
        }
        run(&trace, 7);
    }
}

#[test]
fn property_random_long_interleavings() {
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let len = 2 + (next() % 40) as usize;
        let mut trace = vec![Ev::Start];
        trace.extend((0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]));
        let step = (next() % 20) as i64;
        run(&trace, step);
    }
}

#[test]
fn snapshot_of_a_waiting_login_restores_and_resumes_polling() {
    let m = awaiting();
    let snapshot = m.snapshot().unwrap();
    assert!(snapshot.contains("\"version\":1") && snapshot.contains("s-1"));
    assert!(
        !snapshot.contains("secret-1"),
        "the client secret is never in a snapshot"
    );
    let mut restored = SupervisedLoginMachine::restore(creds(), &snapshot).unwrap();
    assert_eq!(restored.state(), m.state());
    let fx = restored.handle(Input::Resume, at(100));
    assert_eq!(
        timers(&fx),
        vec![(TimerKind::Deadline, Duration::from_secs(800))]
    );
    assert_eq!(sent(&fx)[0].kind, RequestKind::Status);
    // The restored login still takes its redirect.
    let url = Url::parse(&format!("{REDIRECT}?code={CODE_ENCODED}")).unwrap();
    assert_eq!(
        restored.redirect(&url, at(101)).0,
        RedirectOutcome::CodeAccepted
    );
    // Past its deadline it times out at once.
    let mut late = SupervisedLoginMachine::restore(creds(), &snapshot).unwrap();
    assert_eq!(
        states(&late.handle(Input::Resume, at(901))),
        vec![LoginState::TimedOut]
    );
}

#[test]
fn snapshots_of_other_clients_versions_and_kinds_are_refused() {
    let snapshot = awaiting().snapshot().unwrap();
    let other = ClientConfig::new("https://api.example.com", "client-2", "s")
        .validate()
        .unwrap();
    assert!(matches!(
        SupervisedLoginMachine::restore(other, &snapshot),
        Err(Error::InvalidSnapshot(_))
    ));
    let newer = snapshot.replace("\"version\":1", "\"version\":9");
    assert!(matches!(
        SupervisedLoginMachine::restore(creds(), &newer),
        Err(Error::UnsupportedSnapshotVersion { found: 9, .. })
    ));
    assert!(SupervisedLoginMachine::restore(creds(), "{}").is_err());
}

#[test]
fn authenticated_snapshot_keeps_the_tokens() {
    let mut m = awaiting();
    redirect_confirmed(&mut m, 1);
    respond(&mut m, Exchange, json(200, TOKENS_OK), at(2));
    let restored = SupervisedLoginMachine::restore(creds(), &m.snapshot().unwrap()).unwrap();
    let tokens = restored.outcome().unwrap().unwrap();
    assert_eq!(tokens.session.token().expose(), "AT");
    assert_eq!(tokens.login.token.expose(), "-ELT2-LT");
}

#[test]
fn poll_spacing_follows_the_monotonic_clock_not_the_wall_clock() {
    // The first status request went out at t=0. The wall clock then jumps an hour ahead while
    // only 2 s pass: the long-poll window is not over, so the next poll waits.
    let mut m = awaiting();
    let jumped = Ctx {
        now: at(3600).now,
        ..at(2)
    };
    let fx = respond(&mut m, Status, status_says("InProgress", None), jumped);
    assert!(sent(&fx).is_empty());
    assert_eq!(
        timers(&fx),
        vec![(TimerKind::NextPoll, Duration::from_secs(28))]
    );
    // The wall clock jumps back instead while the full window passes: poll at once.
    let back = Ctx {
        now: at(-3600).now,
        ..at(60)
    };
    let fx = respond(&mut m, Status, status_says("InProgress", None), back);
    assert_eq!(sent(&fx).len(), 1);
}

#[test]
fn the_deadline_in_the_process_is_its_timer_and_wall_clock_only_once_persisted() {
    // Started at t=0: the deadline is one timer of the whole timeout (15 min), measured by the
    // driver on the monotonic clock.
    let mut m = machine();
    let fx = m.handle(Input::Start, at(0));
    assert_eq!(
        timers(&fx),
        vec![(TimerKind::Deadline, Duration::from_secs(900))]
    );
    respond(&mut m, Initialize, json(200, INIT_OK), at(0));
    // The wall clock jumps past the deadline while 2 s pass: nothing in the process reads it
    // as a deadline. The login goes on polling and still takes its redirect.
    let jumped = |secs| Ctx {
        now: at(3600).now,
        ..at(secs)
    };
    let fx = respond(&mut m, Status, status_says("InProgress", None), jumped(2));
    assert!(states(&fx).is_empty(), "{:?}", states(&fx));
    assert_eq!(
        timers(&fx),
        vec![(TimerKind::NextPoll, Duration::from_secs(28))]
    );
    assert!(
        m.handle(Input::Timer(TimerKind::NextPoll), jumped(30))
            .iter()
            .any(|e| matches!(e, Effect::Send(r) if r.kind == RequestKind::Status))
    );
    assert!(!m.state().is_terminal());
    // What is persisted is the wall-clock deadline (t=0 + 15 min): a login restored after the
    // jump has outlived it and times out at once.
    let snapshot = m.snapshot().unwrap();
    let mut restored = SupervisedLoginMachine::restore(creds(), &snapshot).unwrap();
    assert_eq!(
        states(&restored.handle(Input::Resume, jumped(31))),
        vec![LoginState::TimedOut]
    );
    // In the process, the flow times out when its timer fires, whatever the wall clock says.
    let fx = m.handle(Input::Timer(TimerKind::Deadline), at(900));
    assert_eq!(states(&fx), vec![LoginState::TimedOut]);
}

/// A redirect with `?error={error}` is reported as the user's cancel at once, but ends the
/// login only when the status agrees (`Cancelled`).
fn user_cancel_confirmed(m: &mut SupervisedLoginMachine, error: &str) {
    let (outcome, fx) = m.redirect(
        &Url::parse(&format!("{REDIRECT}?error={error}")).unwrap(),
        at(2),
    );
    assert_eq!(
        outcome,
        RedirectOutcome::ProviderError(Error::Cancelled {
            by: CancelOrigin::User
        }),
        "{error}"
    );
    assert!(states(&fx).is_empty(), "{error}: the status decides");
    let fx = respond(m, Status, status_says("Cancelled", None), at(2));
    assert_eq!(
        states(&fx),
        vec![LoginState::Cancelled {
            by: CancelOrigin::User
        }],
        "{error}"
    );
}

#[test]
fn a_user_cancel_redirect_follows_the_shared_rule() {
    for error in ["access_denied", "Cancelled", "canceled", "usercancelled"] {
        user_cancel_confirmed(&mut awaiting(), error);
    }
}

/// Login CSRF: a page or app that knows the redirect URL delivers a code of its own (from the
/// attacker's session) before the user has finished. The status says the session is still in
/// progress: the forged code is never exchanged, polling resumes, and the login completes with
/// the session's own code.
#[test]
fn a_forged_redirect_code_is_never_exchanged() {
    let mut m = awaiting();
    let forged = Url::parse(&format!("{REDIRECT}?code=ATTACKERS-CODE")).unwrap();
    let (outcome, _) = m.redirect(&forged, at(2));
    assert_eq!(
        outcome,
        RedirectOutcome::CodeAccepted,
        "taken as a hint only"
    );
    let fx = respond(&mut m, Status, status_says("InProgress", None), at(2));
    assert!(states(&fx).is_empty());
    assert_eq!(sent(&fx).len(), 1, "the long-poll resumes");
    assert!(sent(&fx)[0].url.as_str().ends_with("pollTimeout=30"));
    assert!(matches!(m.state(), LoginState::AwaitingUser { .. }));
    // The user finishes: the session's own code arrives by the long-poll.
    let fx = respond(&mut m, Status, status_says("Succeeded", Some(CODE)), at(9));
    assert_eq!(body(sent(&fx)[0]), serde_json::json!({ "code": CODE }));
    for effect in &fx {
        if let Effect::Send(request) = effect {
            assert!(
                !request
                    .body
                    .as_ref()
                    .unwrap()
                    .1
                    .expose()
                    .contains("ATTACKERS")
            );
        }
    }

    // The user had finished when the forged redirect came: the status reports the session's
    // code, and that one is exchanged, not the redirect's.
    let mut m = awaiting();
    m.redirect(&forged, at(2));
    let fx = respond(&mut m, Status, status_says("Succeeded", Some(CODE)), at(2));
    assert_eq!(body(sent(&fx)[0]), serde_json::json!({ "code": CODE }));
    assert_eq!(
        states(&fx)[0],
        LoginState::CodeReceived {
            via: CodeSource::Poll
        },
        "the code came from the status, not the redirect"
    );
}

/// A forged error redirect ends nothing while the status says the user is still at the bank;
/// while the status cannot be reached, the confirmation is retried and nothing is exchanged.
#[test]
fn an_error_redirect_ends_the_login_only_when_the_status_agrees() {
    let mut m = awaiting();
    let url = Url::parse(&format!("{REDIRECT}?error=access_denied")).unwrap();
    m.redirect(&url, at(2));
    let fx = respond(&mut m, Status, status_says("InProgress", None), at(2));
    assert!(states(&fx).is_empty());
    assert!(matches!(m.state(), LoginState::AwaitingUser { .. }));

    let mut m = awaiting();
    let url = Url::parse(&format!("{REDIRECT}?code={CODE_ENCODED}")).unwrap();
    m.redirect(&url, at(2));
    for attempt in 0..5 {
        let fx = respond(&mut m, Status, json(503, ""), at(3 + attempt));
        assert_eq!(timers(&fx)[0].0, TimerKind::Retry(RequestKind::Status));
        assert!(sent(&fx).is_empty(), "no exchange of an unconfirmed code");
        let fx = m.handle(
            Input::Timer(TimerKind::Retry(RequestKind::Status)),
            at(3 + attempt),
        );
        assert!(sent(&fx)[0].url.as_str().ends_with("pollTimeout=0"));
    }
    let fx = m.handle(Input::Timer(TimerKind::Deadline), at(900));
    assert_eq!(states(&fx), vec![LoginState::TimedOut]);
}

// ---------------------------------------------------------------------------------------------
// The diagram in README.md is the machine: every (phase, input) pair is driven and the edges seen
// must be exactly the diagram's.

mod diagram {
    use super::*;
    use crate::machine_kit::diagram::{
        CODE_EXPIRED, NOW, Probe, assert_matches, assert_terminal_agrees, input, lifecycle_probes,
        observe,
    };

    fn confirming() -> SupervisedLoginMachine {
        let mut m = awaiting();
        let url = Url::parse(&format!("{REDIRECT}?code={CODE_ENCODED}")).unwrap();
        m.redirect(&url, at(1));
        m
    }

    fn exchanging() -> SupervisedLoginMachine {
        let mut m = confirming();
        respond(&mut m, Status, status_says("Succeeded", Some(CODE)), at(1));
        m
    }

    const FIXTURES: [fn() -> SupervisedLoginMachine; 10] = [
        machine,
        || {
            let mut m = machine();
            m.handle(Input::Start, at(0));
            m
        },
        awaiting,
        confirming,
        exchanging,
        || {
            let mut m = exchanging();
            respond(&mut m, Exchange, json(200, TOKENS_OK), at(2));
            m
        },
        || {
            let mut m = machine();
            m.handle(Input::Start, at(0));
            respond(&mut m, Initialize, json(401, ""), at(0));
            m
        },
        || {
            let mut m = awaiting();
            m.handle(Input::Cancel, at(1));
            m
        },
        || {
            let mut m = awaiting();
            let body = r#"{"state":"NotApplicable"}"#;
            respond(&mut m, Status, json(200, body), at(1));
            m
        },
        || {
            let mut m = awaiting();
            m.handle(Input::Timer(TimerKind::Deadline), at(900));
            m
        },
    ];

    fn response(m: &mut SupervisedLoginMachine, kind: RequestKind, result: HttpResult) -> usize {
        input(m, Input::Response { kind, result }, NOW)
    }

    fn status(m: &mut SupervisedLoginMachine, body: &str) -> usize {
        response(m, RequestKind::Status, json(200, body))
    }

    fn redirect(m: &mut SupervisedLoginMachine, query: &str) -> usize {
        let url = Url::parse(&format!("{REDIRECT}?{query}")).unwrap();
        m.redirect(&url, at(NOW)).1.len()
    }

    fn probes() -> Vec<Probe<SupervisedLoginMachine>> {
        use RequestKind::{Exchange, Initialize, Status};
        let p = Probe::plain;
        let late = Probe::guarded;
        let mut probes = lifecycle_probes();
        probes.extend([
            p("initialize retry timer", |m| {
                input(m, Input::Timer(TimerKind::Retry(Initialize)), NOW)
            }),
            p("next poll timer", |m| {
                input(m, Input::Timer(TimerKind::NextPoll), NOW)
            }),
            p("status retry timer", |m| {
                input(m, Input::Timer(TimerKind::Retry(Status)), NOW)
            }),
            p("exchange retry timer", |m| {
                input(m, Input::Timer(TimerKind::Retry(Exchange)), NOW)
            }),
            late("exchange retry timer", "code expired", |m| {
                input(m, Input::Timer(TimerKind::Retry(Exchange)), CODE_EXPIRED)
            }),
            p("initialize ok", |m| {
                response(m, Initialize, json(200, INIT_OK))
            }),
            p("initialize transient", |m| {
                response(m, Initialize, json(503, ""))
            }),
            late("initialize transient", "retries used up", |m| {
                for _ in 0..4 {
                    response(m, Initialize, json(503, ""));
                }
                response(m, Initialize, json(503, ""))
            }),
            p("initialize fatal", |m| {
                response(m, Initialize, json(401, ""))
            }),
            p("status InProgress", |m| {
                status(m, r#"{"state":"InProgress"}"#)
            }),
            p("status Succeeded", |m| {
                status(m, &format!(r#"{{"state":"Succeeded","code":"{CODE}"}}"#))
            }),
            p("status Failed", |m| status(m, r#"{"state":"Failed"}"#)),
            p("status Cancelled", |m| {
                status(m, r#"{"state":"Cancelled"}"#)
            }),
            p("status NotApplicable", |m| {
                status(m, r#"{"state":"NotApplicable"}"#)
            }),
            p("status unreadable", |m| response(m, Status, json(503, ""))),
            p("status unreadable", |m| status(m, "{not json")),
            p("status unreadable", |m| {
                status(m, r#"{"state":"Teleported"}"#)
            }),
            p("status fatal", |m| response(m, Status, json(404, ""))),
            p("status fatal", |m| response(m, Status, json(401, ""))),
            p("exchange ok", |m| {
                response(m, Exchange, json(200, TOKENS_OK))
            }),
            p("exchange transient", |m| {
                response(m, Exchange, json(503, ""))
            }),
            late("exchange transient", "code expired", |m| {
                input(
                    m,
                    Input::Response {
                        kind: Exchange,
                        result: json(503, ""),
                    },
                    CODE_EXPIRED,
                )
            }),
            p("exchange fatal", |m| {
                response(m, Exchange, json(400, INVALID_CODE))
            }),
            p("redirect code", |m| {
                redirect(m, &format!("code={CODE_ENCODED}"))
            }),
            p("redirect user cancel", |m| redirect(m, "error=cancelled")),
            p("redirect error", |m| redirect(m, "error=failed")),
            // Refused (malformed) and stray redirects change nothing: no edge.
            p("redirect malformed", |m| redirect(m, "code=a&error=b")),
        ]);
        probes
    }

    #[test]
    fn the_readme_diagram_is_the_machine() {
        let (edges, pairs) = observe(&FIXTURES, |m| m.phase().name(), &probes());
        assert_eq!(pairs, FIXTURES.len() * probes().len());
        assert_matches(include_str!("README.md"), &edges);
    }

    #[test]
    fn terminal_means_the_same_everywhere() {
        for fixture in FIXTURES {
            assert_terminal_agrees(&fixture(), LoginState::is_terminal);
        }
    }
}

/// A failed login's error names the flow's own correlation id, so a support ticket quoting the
/// error finds every request of that login.
#[test]
fn a_failed_login_quotes_its_correlation_id() {
    let mut m = awaiting();
    let id = m.correlation_id().expect("made at the first input");
    let fx = respond(&mut m, Status, json(200, r#"{"state":"Failed"}"#), at(1));
    let shown = states(&fx);
    let [LoginState::Failed { error }] = shown.as_slice() else {
        panic!("not Failed: {shown:?}");
    };
    assert_eq!(error.code, "login_failed");
    assert_eq!(error.correlation_id.as_deref(), Some(id.as_str()));
    let LoginState::Failed { error } = m.state() else {
        panic!("not Failed");
    };
    assert_eq!(error.correlation_id.as_deref(), Some(id.as_str()));
    // An error that belongs to no flow names none.
    assert_eq!(ErrorInfo::from(Error::CodeExpired).correlation_id, None);
}

/// Every request of one login carries one `X-Correlation-Id`, made from the first input's
/// entropy (not from later inputs' entropy); a snapshot keeps it, and the restored flow sends
/// the same id.
#[test]
fn every_request_of_a_login_carries_its_correlation_id() {
    let mut m = machine();
    assert_eq!(m.correlation_id(), None);
    let fx = m.handle(Input::Start, crate::test_support::ctx_at(0, 7));
    let id = m.correlation_id().expect("made at the first input");
    assert_eq!(id, crate::correlation::CorrelationId::from_entropy(7));
    let mut seen: Vec<String> = sent(&fx)
        .iter()
        .map(|r| r.correlation_id().unwrap().to_owned())
        .collect();
    // Later inputs come with other entropy: the id stays.
    let fx = respond(&mut m, Initialize, json(200, INIT_OK), at(1));
    seen.extend(
        sent(&fx)
            .iter()
            .map(|r| r.correlation_id().unwrap().to_owned()),
    );
    let snapshot = m.snapshot().unwrap();
    assert!(snapshot.contains(id.as_str()), "{snapshot}");
    let mut restored = SupervisedLoginMachine::restore(creds(), &snapshot).unwrap();
    assert_eq!(restored.correlation_id(), Some(id.clone()));
    let fx = redirect_confirmed(&mut restored, 2);
    let exchange = sent(&fx);
    assert_eq!(exchange[0].kind, RequestKind::Exchange);
    seen.extend(
        exchange
            .iter()
            .map(|r| r.correlation_id().unwrap().to_owned()),
    );
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.iter().all(|s| s == id.as_str()), "{seen:?}");

    // A snapshot with a malformed id is refused.
    let forged = snapshot.replace(id.as_str(), "|BAD ID.");
    assert!(matches!(
        SupervisedLoginMachine::restore(creds(), &forged),
        Err(Error::InvalidSnapshot(_))
    ));
}

// --- Defence tests of issue 10 (#1 restored snapshots, #12 redirect schemes, timeouts) -------

#[test]
fn a_restored_bank_page_url_is_checked_like_the_providers_answer() {
    let snapshot = awaiting().snapshot().unwrap();
    let auth_url = "https://bank.example.com/start?startToken=abc%3D%3D";
    assert!(snapshot.contains(auth_url), "fixture");
    for forged in [
        "http://bank.example.com/start",
        "javascript:alert(1)",
        "https://user:pw@bank.example.com/start",
        "not a url",
    ] {
        let edited = snapshot.replace(auth_url, forged);
        assert_ne!(edited, snapshot);
        let result = SupervisedLoginMachine::restore(creds(), &edited);
        assert!(
            matches!(result, Err(Error::InvalidSnapshot(_))),
            "{forged}: {result:?}"
        );
    }
    let custom = snapshot.replace(REDIRECT, "myapp://callback");
    assert!(matches!(
        SupervisedLoginMachine::restore(creds(), &custom),
        Err(Error::InvalidSnapshot(_))
    ));
}

#[test]
fn supervised_custom_scheme_redirects_and_overlong_timeouts_are_refused() {
    let refused = SupervisedLoginMachine::new(
        creds(),
        SupervisedLoginParams::new("test-user-id", "myapp://callback"),
    );
    assert!(
        matches!(&refused, Err(Error::InvalidInput { field, .. }) if *field == "redirectUrl"),
        "{refused:?}"
    );
    let mut config = ClientConfig::new("https://api.example.com", "client-1", "secret-1");
    config.allow_custom_scheme_redirects = true;
    assert!(
        SupervisedLoginMachine::new(
            config.validate().unwrap(),
            SupervisedLoginParams::new("test-user-id", "myapp://callback"),
        )
        .is_ok()
    );
    let mut long = SupervisedLoginParams::new("test-user-id", REDIRECT);
    long.timeout = Duration::MAX;
    assert!(matches!(
        SupervisedLoginMachine::new(creds(), long),
        Err(Error::InvalidInput { .. })
    ));
}

#[test]
fn a_sealed_supervised_snapshot_restores_only_untouched() {
    let mut config = ClientConfig::new("https://api.example.com", "client-1", "secret-1");
    config.snapshot_key = Some(crate::secret::Secret::new(
        "integrity-key-from-the-keystore-0123456789",
    ));
    let keyed = config.validate().unwrap();
    let mut m = SupervisedLoginMachine::new(
        keyed.clone(),
        SupervisedLoginParams::new("test-user-id", REDIRECT),
    )
    .unwrap();
    m.handle(Input::Start, at(0));
    let sealed = m.snapshot().unwrap();
    assert!(SupervisedLoginMachine::restore(keyed.clone(), &sealed).is_ok());
    let edited = sealed.replace("test-user-id", "other-user-id");
    assert_ne!(edited, sealed);
    assert!(matches!(
        SupervisedLoginMachine::restore(keyed, &edited),
        Err(Error::InvalidSnapshot(_))
    ));
    assert!(matches!(
        SupervisedLoginMachine::restore(creds(), &sealed),
        Err(Error::InvalidSnapshot(_))
    ));
}
