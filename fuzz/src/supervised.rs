//! The supervised-login script interpreter (target `supervised_responses`).
//!
//! Configuration lines (before the first command of [`crate::script`]):
//! `user-hash X`, `redirect-url X`, `poll-timeout SECS`, `timeout SECS`, `code-lifetime SECS`,
//! and `relay` (relay mode, [`common::relay_creds`]: an empty `userHash` unless a later
//! `user-hash` line says otherwise). The defaults are the unit tests' (`test-user-id`,
//! `https://app.example.com/aiia/callback`).
//!
//! The redirect is only a hint, the provider's status the truth (the machine's `README.md`):
//! a redirect moves the login to confirming, which aborts the long-poll and asks the status
//! with `pollTimeout=0`; only a code a status answer reports is exchanged. Invariants checked
//! after every step:
//! - a redirect that does not match the flow's pattern is `NotForThisFlow` and changes nothing;
//!   one that matches is never `NotForThisFlow`; no redirect changes `state()`, emits a
//!   `State` or sends an exchange (an error redirect never ends the login by itself);
//! - `CodeAccepted` (a redirect with exactly one non-empty `code` and no `error`) and
//!   `ProviderError` only while awaiting the user; both abort the long-poll and send exactly
//!   one request: the status with `pollTimeout=0`; `Ignored` and `Rejected` send nothing;
//! - while a redirect is being confirmed every status request has `pollTimeout=0` and no
//!   next-poll timer is armed; otherwise every status request has the configured
//!   `pollTimeout`; a status `InProgress` while confirming drops the hint and resumes the
//!   long-poll at once;
//! - every exchanged code was reported by a status answer (`Succeeded`), the first exchange is
//!   sent on that very answer with its code, and a redirect's code the status did not report is
//!   never exchanged; the login says `via: Redirect` exactly when the confirmed code is the
//!   redirect's;
//! - at most one code is ever exchanged (re-sends carry the same code), and it is sent again
//!   only while it lives: within the process on the monotonic clock, after a restore on the
//!   wall clock;
//! - every request goes to the configured API root under `/v1/authentication/`; in relay mode
//!   it carries no partner credentials, `initialize` names no `userHash` and the exchange
//!   names the session; otherwise the partner headers are sent and the exchange names no
//!   session;
//! - a finished flow emits nothing and never changes again;
//! - the last `State` effect is `state()`; `outcome()` is `Some` exactly when finished;
//! - retry / poll / deadline timers stay within their bounds;
//! - the snapshot is written, restores, re-encodes to the same text, and gives the same state.

use std::time::Duration;

use obauth_protocol::config::Credentials;
use obauth_protocol::flow::{Ctx, Effect, Flow, IgnoredReason, RedirectOutcome, TimerKind};
use obauth_protocol::http::{HttpRequest, RequestKind};
use obauth_protocol::redirect::RedirectQuery;
use obauth_protocol::supervised::{
    CodeSource, LoginState, StatusResponse, SupervisedLoginMachine, SupervisedLoginParams,
};
use url::Url;

use crate::common::{self, Session, creds, number, snapshot_of};
use crate::script::{self, lines};

/// The default redirect URL.
pub const REDIRECT: &str = "https://app.example.com/aiia/callback";
/// The default user hash.
pub const USER_HASH: &str = "test-user-id";

/// What a redirect claimed, as far as the harness knows, until the status decides.
#[derive(Clone, Debug, PartialEq)]
enum Hint {
    /// `?code=…` (decoded once).
    Code(String),
    /// `?error=…`.
    Error,
}

/// The first (and only) code exchanged, and when it arrived.
struct Exchanged {
    code: String,
    at: Ctx,
    /// Whether the machine has been restored since (the code's minute is then wall-clock).
    restored_since: bool,
}

/// What the harness remembers across steps.
#[derive(Default)]
struct Tracker {
    /// The redirect being confirmed (between a redirect the machine took and the status answer
    /// that decides).
    confirming: Option<Hint>,
    /// Every code a redirect delivered and the machine took.
    redirect_codes: Vec<String>,
    /// Every code a status answer reported (`Succeeded`).
    reported_codes: Vec<String>,
    exchanged: Option<Exchanged>,
    /// The session id the login showed last (relay mode sends it with the exchange).
    session_id: Option<String>,
}

/// Runs a script; returns the machine as the script left it (`None` if it never built one).
pub fn run(data: &[u8]) -> Option<SupervisedLoginMachine> {
    let mut relay = false;
    let mut params = SupervisedLoginParams::new(USER_HASH, REDIRECT);
    let mut machine: Option<SupervisedLoginMachine> = None;
    let mut creds = creds();
    let mut session = Session::new(42);
    let mut t = Tracker::default();
    let placeholders = script::Placeholders {
        client_id: common::CLIENT_ID.into(),
        ..Default::default()
    };

    for line in lines(data) {
        let text = String::from_utf8_lossy(&placeholders.expand(line.arg)).into_owned();
        match line.cmd {
            "relay" if machine.is_none() => {
                relay = true;
                params.user_hash = String::new();
            }
            "user-hash" if machine.is_none() => params.user_hash = text,
            "redirect-url" if machine.is_none() => params.redirect_url = text,
            "poll-timeout" if machine.is_none() => {
                params.poll_timeout = Duration::from_secs(number(&text).unwrap_or(30));
            }
            "timeout" if machine.is_none() => {
                params.timeout = Duration::from_secs(number(&text).unwrap_or(900));
            }
            "code-lifetime" if machine.is_none() => {
                params.code_lifetime = Duration::from_secs(number(&text).unwrap_or(60));
            }
            cmd if session.setting(cmd, &text) => {}
            cmd if common::MACHINE_COMMANDS.contains(&cmd) => {
                let m = match machine.as_mut() {
                    Some(m) => m,
                    None => {
                        if relay {
                            creds = common::relay_creds();
                        }
                        machine =
                            Some(SupervisedLoginMachine::new(creds.clone(), params.clone()).ok()?);
                        machine.as_mut().expect("just built")
                    }
                };
                let c = session.ctx();
                let before = m.state();
                let snapshot_before = snapshot_of(m);
                let mut status_answer = None;
                let Some(fed) = session.feed(
                    m,
                    &line,
                    &text,
                    |kind, status, body| {
                        if kind == RequestKind::Status && (200..300).contains(&status) {
                            status_answer = serde_json::from_slice::<StatusResponse>(body).ok();
                        }
                        body.to_vec()
                    },
                    |m| {
                        // restore: go on with a machine rebuilt from the snapshot (as after a
                        // relaunch: a redirect being confirmed is saved as awaiting the user).
                        *m = SupervisedLoginMachine::restore(creds.clone(), &snapshot_before)
                            .unwrap_or_else(|e| panic!("own snapshot does not restore: {e}"));
                        t.confirming = None;
                        if let Some(x) = t.exchanged.as_mut() {
                            x.restored_since = true;
                        }
                    },
                ) else {
                    continue;
                };
                let effects = &fed.effects;

                // What a status answer reported (a code only with `Succeeded`, as the machine
                // reads it); the machine acts on it only where it waits for one.
                let reported = status_answer.as_ref().and_then(|s| {
                    let code = s.code.as_ref()?.expose();
                    (s.state == "Succeeded" && !code.is_empty()).then(|| code.to_owned())
                });
                if let Some(code) = &reported {
                    t.reported_codes.push(code.clone());
                }

                if let Some((outcome, url)) = &fed.redirect {
                    check_redirect(m, &before, outcome, url, effects, &mut t);
                }
                check_status_requests(line.cmd, &status_answer, &params, effects, &mut t);
                check_requests(m, &before, effects, &creds, &params, reported, c, &mut t);
                common::check_step(
                    m,
                    &fed,
                    before.is_terminal(),
                    &snapshot_before,
                    LoginState::is_terminal,
                );
                let state = m.state();
                match &state {
                    LoginState::AwaitingUser { session_id, .. } => {
                        t.session_id = Some(session_id.clone());
                    }
                    // Exchanging or finished: nothing is being confirmed any more.
                    _ => t.confirming = None,
                }
                if t.confirming.is_some() {
                    assert!(
                        !effects.iter().any(|e| matches!(
                            e,
                            Effect::ArmTimer {
                                timer: TimerKind::NextPoll,
                                ..
                            }
                        )),
                        "a long-poll scheduled while a redirect is being confirmed"
                    );
                }
                common::check_timers(
                    effects,
                    (!session.clock.wall_went_back).then_some(params.timeout),
                    Some(params.poll_timeout),
                );
                check_snapshot_round_trip(m, &creds);
            }
            _ => {}
        }
    }
    machine
}

/// A redirect the machine was offered.
fn check_redirect(
    m: &SupervisedLoginMachine,
    before: &LoginState,
    outcome: &RedirectOutcome,
    url: &Url,
    effects: &[Effect<LoginState>],
    t: &mut Tracker,
) {
    // A redirect is a hint: it never moves the login the host sees, never ends it, never
    // sends an exchange.
    assert_eq!(
        m.state(),
        *before,
        "a redirect changed the login ({outcome:?})"
    );
    assert!(
        common::last_state(effects).is_none(),
        "a redirect reported a state: {effects:?}"
    );
    assert!(
        common::sends(effects)
            .iter()
            .all(|r| r.kind != RequestKind::Exchange),
        "a redirect sent an exchange before the status confirmed it"
    );
    let hint = match outcome {
        RedirectOutcome::CodeAccepted => {
            let query = RedirectQuery::parse(url).expect("accepted query parses");
            let code = query.get("code").expect("single code").expect("a code");
            assert!(!code.is_empty());
            assert_eq!(query.get("error").expect("single error"), None);
            t.redirect_codes.push(code.to_owned());
            Some(Hint::Code(code.to_owned()))
        }
        RedirectOutcome::ProviderError(_) => {
            let query = RedirectQuery::parse(url).expect("a provider error's query parses");
            assert!(
                query.get("error").expect("single error").is_some(),
                "a provider error without an error"
            );
            Some(Hint::Error)
        }
        RedirectOutcome::Ignored(reason) => {
            assert!(effects.is_empty(), "an ignored redirect acted: {effects:?}");
            if *reason == IgnoredReason::CodeAlreadyReceived {
                assert!(
                    t.confirming.is_some() || matches!(before, LoginState::Exchanging { .. }),
                    "CodeAlreadyReceived in {before:?} with nothing received"
                );
            }
            None
        }
        RedirectOutcome::Rejected(_) => {
            assert!(effects.is_empty(), "a rejected redirect acted: {effects:?}");
            None
        }
        RedirectOutcome::NotForThisFlow => None,
    };
    if let Some(hint) = hint {
        assert!(
            matches!(before, LoginState::AwaitingUser { .. }),
            "{outcome:?} in {before:?}"
        );
        assert!(
            t.confirming.is_none(),
            "a second redirect taken while the first is being confirmed"
        );
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Abort(RequestKind::Status))),
            "a redirect did not stop the long-poll: {effects:?}"
        );
        let sent = common::sends(effects);
        assert_eq!(sent.len(), 1, "one status request to confirm a redirect");
        assert_eq!(sent[0].kind, RequestKind::Status, "{outcome:?}");
        assert_eq!(
            poll_timeout(sent[0]),
            Some(0),
            "a confirming status request waits"
        );
        t.confirming = Some(hint);
    }
}

/// Status requests: `pollTimeout=0` exactly while a redirect is being confirmed.
fn check_status_requests(
    cmd: &str,
    status_answer: &Option<StatusResponse>,
    params: &SupervisedLoginParams,
    effects: &[Effect<LoginState>],
    t: &mut Tracker,
) {
    let window = params.poll_timeout.as_secs();
    let polls: Vec<u64> = common::sends(effects)
        .into_iter()
        .filter(|r| r.kind == RequestKind::Status)
        .map(|r| poll_timeout(r).expect("a status request names its pollTimeout"))
        .collect();
    let still_at_the_bank = status_answer
        .as_ref()
        .is_some_and(|s| s.state == "InProgress");
    if t.confirming.is_some() {
        if polls.iter().any(|p| *p != 0) {
            // Only a status answer ends a confirmation with a long-poll: `InProgress`.
            assert!(
                cmd == "respond" && still_at_the_bank,
                "the long-poll resumed before the status answered: {polls:?}"
            );
            assert!(polls.iter().all(|p| *p == window), "{polls:?}");
            t.confirming = None;
        } else if cmd == "respond" && still_at_the_bank {
            panic!("a status InProgress did not drop the redirect and resume the long-poll");
        }
    } else {
        assert!(
            polls.iter().all(|p| *p == window),
            "a status request with pollTimeout {polls:?} while no redirect is confirmed \
             (window {window})"
        );
    }
}

/// Every request the step sent: where it goes, what it carries, and which code it exchanges.
#[allow(clippy::too_many_arguments)]
fn check_requests(
    m: &SupervisedLoginMachine,
    before: &LoginState,
    effects: &[Effect<LoginState>],
    creds: &Credentials,
    params: &SupervisedLoginParams,
    reported: Option<String>,
    c: Ctx,
    t: &mut Tracker,
) {
    let relay = creds.is_relay();
    for request in common::sends(effects) {
        assert_eq!(request.url.scheme(), "https");
        assert_eq!(request.url.host_str(), Some("api.example.com"));
        assert_eq!(request.url.port(), None);
        assert!(
            request.url.path().starts_with("/v1/authentication/"),
            "request outside the API: {}",
            request.url
        );
        assert!(matches!(
            request.kind,
            RequestKind::Initialize | RequestKind::Status | RequestKind::Exchange
        ));
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.expose().to_owned())
        };
        if relay {
            assert_eq!(header("x-client-id"), None, "relay mode sent a client id");
            assert_eq!(header("x-client-secret"), None, "relay mode sent a secret");
        } else {
            assert_eq!(header("x-client-id").as_deref(), Some(common::CLIENT_ID));
            assert_eq!(
                header("x-client-secret").as_deref(),
                Some(common::CLIENT_SECRET)
            );
        }
        let body = json_body(request);
        match request.kind {
            RequestKind::Initialize => {
                let user_hash = body.as_ref().and_then(|b| b.get("userHash").cloned());
                if relay {
                    assert_eq!(user_hash, None, "relay mode named the user");
                } else {
                    assert_eq!(
                        user_hash.as_ref().and_then(|h| h.as_str()),
                        Some(params.user_hash.as_str())
                    );
                }
            }
            RequestKind::Exchange => {
                let body = body.expect("an exchange has a JSON body");
                let code = body
                    .get("code")
                    .and_then(|c| c.as_str())
                    .expect("an exchange carries a code")
                    .to_owned();
                let session = body.get("sessionId").and_then(|s| s.as_str());
                if relay {
                    assert_eq!(
                        session,
                        t.session_id.as_deref(),
                        "the relay exchange names another session"
                    );
                } else {
                    assert_eq!(session, None, "a partner exchange names the session");
                }
                check_exchanged_code(m, before, &code, reported.as_deref(), params, c, t);
            }
            _ => {}
        }
    }
}

/// An exchange of `code` was sent at `c`.
fn check_exchanged_code(
    m: &SupervisedLoginMachine,
    before: &LoginState,
    code: &str,
    reported: Option<&str>,
    params: &SupervisedLoginParams,
    c: Ctx,
    t: &mut Tracker,
) {
    if t.redirect_codes.iter().any(|r| r == code) {
        assert!(
            t.reported_codes.iter().any(|r| r == code),
            "a redirect's code that no status answer reported was exchanged"
        );
    }
    assert!(
        t.reported_codes.iter().any(|r| r == code),
        "a code no status answer reported was exchanged"
    );
    match &t.exchanged {
        Some(first) => {
            assert_eq!(first.code, code, "a second code exchanged");
            // Sent again (a retry, a resume): only while the code lives.
            if first.restored_since {
                assert!(
                    c.now < first.at.now.plus(params.code_lifetime),
                    "a restored code re-sent after its lifetime (wall clock)"
                );
            } else {
                assert!(
                    c.mono < first.at.mono.plus(params.code_lifetime),
                    "a code re-sent after its lifetime (monotonic clock)"
                );
            }
        }
        None => {
            assert_eq!(
                reported,
                Some(code),
                "the first exchange was not sent on the status answer that reported its code"
            );
            assert!(
                matches!(before, LoginState::AwaitingUser { .. }),
                "a code exchanged from {before:?}"
            );
            let LoginState::Exchanging { via } = m.state() else {
                panic!("an exchange sent in {:?}", m.state());
            };
            let confirmed_redirect = t.confirming == Some(Hint::Code(code.to_owned()));
            assert_eq!(
                via == CodeSource::Redirect,
                confirmed_redirect,
                "via {via:?}, the redirect's hint was {:?}",
                t.confirming
            );
            t.exchanged = Some(Exchanged {
                code: code.to_owned(),
                at: c,
                restored_since: false,
            });
        }
    }
}

/// A request's JSON body, if it has one.
fn json_body(request: &HttpRequest) -> Option<serde_json::Value> {
    let (_, body) = request.body.as_ref()?;
    serde_json::from_str(body.expose()).ok()
}

/// A status request's `pollTimeout` (seconds).
fn poll_timeout(request: &HttpRequest) -> Option<u64> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == "pollTimeout")
        .and_then(|(_, v)| v.parse().ok())
}

/// The machine's snapshot restores; the restored machine re-encodes to the same text and shows
/// the same state (a restored failure keeps its category and message only).
pub fn check_snapshot_round_trip(m: &SupervisedLoginMachine, creds: &Credentials) {
    let text = snapshot_of(m);
    let restored = SupervisedLoginMachine::restore(creds.clone(), &text)
        .unwrap_or_else(|e| panic!("a snapshot does not restore: {e}\n{text}"));
    common::check_restored(m, &text, &restored, |state| match state {
        LoginState::Failed { error } => Some(error.clone()),
        _ => None,
    });
}
