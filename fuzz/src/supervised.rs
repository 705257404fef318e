//! The supervised-login script interpreter (target `supervised_responses`).
//!
//! Configuration lines (before the first command of [`crate::script`]):
//! `user-hash X`, `redirect-url X`, `poll-timeout SECS`, `timeout SECS`, `code-lifetime SECS`.
//! The defaults are the unit tests' (`test-user-id`, `https://app.example.com/aiia/callback`).
//!
//! Invariants checked after every step:
//! - a redirect that does not match the flow's pattern is `NotForThisFlow` and changes nothing;
//!   one that matches is never `NotForThisFlow`; `CodeAccepted` only while awaiting the user,
//!   for a redirect with exactly one non-empty `code` and no `error`, and the exchange sent
//!   carries exactly that code (decoded once);
//! - at most one code is ever exchanged (re-sends carry the same code);
//! - every request goes to the configured API root under `/v1/authentication/`;
//! - a finished flow emits nothing and never changes again;
//! - the last `State` effect is `state()`; `outcome()` is `Some` exactly when finished;
//! - retry / poll / deadline timers stay within their bounds;
//! - the snapshot restores, re-encodes to the same text, and gives the same state.

use std::time::Duration;

use obauth_protocol::flow::{Flow, Input, RedirectOutcome};
use obauth_protocol::http::RequestKind;
use obauth_protocol::redirect::RedirectQuery;
use obauth_protocol::supervised::{LoginState, SupervisedLoginMachine, SupervisedLoginParams};
use url::Url;

use crate::common::{self, creds, ctx, number};
use crate::script::{self, lines, word};

/// The default redirect URL.
pub const REDIRECT: &str = "https://app.example.com/aiia/callback";
/// The default user hash.
pub const USER_HASH: &str = "test-user-id";

/// Runs a script; returns the machine as the script left it (`None` if it never built one).
pub fn run(data: &[u8]) -> Option<SupervisedLoginMachine> {
    let creds = creds();
    let mut params = SupervisedLoginParams::new(USER_HASH, REDIRECT);
    let mut machine: Option<SupervisedLoginMachine> = None;
    let mut now = common::at_secs(0);
    let mut entropy = 42u64;
    let mut clock_went_back = false;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut exchanged_code: Option<String> = None;
    let placeholders = script::Placeholders {
        client_id: common::CLIENT_ID.into(),
        ..Default::default()
    };

    for line in lines(data) {
        let text = || String::from_utf8_lossy(&placeholders.expand(line.arg)).into_owned();
        match line.cmd {
            "user-hash" if machine.is_none() => params.user_hash = text(),
            "redirect-url" if machine.is_none() => params.redirect_url = text(),
            "poll-timeout" if machine.is_none() => {
                params.poll_timeout = Duration::from_secs(number(&text()).unwrap_or(30));
            }
            "timeout" if machine.is_none() => {
                params.timeout = Duration::from_secs(number(&text()).unwrap_or(900));
            }
            "code-lifetime" if machine.is_none() => {
                params.code_lifetime = Duration::from_secs(number(&text()).unwrap_or(60));
            }
            "at" => {
                let next = common::at_secs(number(&text()).unwrap_or(0));
                clock_went_back |= next < now;
                now = next;
            }
            "entropy" => entropy = number(&text()).unwrap_or(0),
            "header" => {
                let t = text();
                let (name, value) = t.split_once(':').unwrap_or((&t, ""));
                headers.push((name.to_owned(), value.to_owned()));
            }
            "start" | "resume" | "cancel" | "timer" | "respond" | "transport" | "redirect"
            | "restore" => {
                let m = match machine.as_mut() {
                    Some(m) => m,
                    None => {
                        machine =
                            Some(SupervisedLoginMachine::new(creds.clone(), params.clone()).ok()?);
                        machine.as_mut().expect("just built")
                    }
                };
                let c = ctx(now, entropy);
                let before = m.state();
                let snapshot_before = m.snapshot();
                let mut redirect_outcome = None;
                let mut redirect_url = None;
                let effects = match line.cmd {
                    "start" => m.handle(Input::Start, c),
                    "resume" => m.handle(Input::Resume, c),
                    "cancel" => m.handle(Input::Cancel, c),
                    "timer" => match common::timer_kind(text().trim()) {
                        Some(t) => m.handle(Input::Timer(t), c),
                        None => continue,
                    },
                    "respond" | "transport" => {
                        let (kind, rest) = word(line.arg);
                        let Some(kind) = common::request_kind(kind) else {
                            continue;
                        };
                        let result = if line.cmd == "respond" {
                            let (status, body) = word(rest);
                            let status = number(status).unwrap_or(200);
                            common::response(status, &std::mem::take(&mut headers), body)
                        } else {
                            common::transport_failure(&String::from_utf8_lossy(rest))
                        };
                        m.handle(Input::Response { kind, result }, c)
                    }
                    "redirect" => {
                        let Ok(url) = Url::parse(text().trim()) else {
                            continue;
                        };
                        let (outcome, effects) = m.redirect(&url, c);
                        redirect_outcome = Some(outcome);
                        redirect_url = Some(url);
                        effects
                    }
                    _ => {
                        // restore: go on with a machine rebuilt from the snapshot.
                        *m = SupervisedLoginMachine::restore(creds.clone(), &snapshot_before)
                            .unwrap_or_else(|e| panic!("own snapshot does not restore: {e}"));
                        Vec::new()
                    }
                };

                // Format everything a host may log (exercises the redacting Debug impls).
                let _ = format!("{effects:?} {:?} {m:?}", m.state());

                if let (Some(outcome), Some(url)) = (&redirect_outcome, &redirect_url) {
                    let matches = m.redirect_pattern().matches(url);
                    if !matches {
                        assert_eq!(*outcome, RedirectOutcome::NotForThisFlow, "{url}");
                        assert!(effects.is_empty());
                    } else {
                        assert_ne!(*outcome, RedirectOutcome::NotForThisFlow, "{url}");
                    }
                    if *outcome == RedirectOutcome::CodeAccepted {
                        assert!(
                            matches!(before, LoginState::AwaitingUser { .. }),
                            "code accepted in {before:?}"
                        );
                        let query = RedirectQuery::parse(url).expect("accepted query parses");
                        let code = query.get("code").expect("single code").expect("a code");
                        assert!(!code.is_empty());
                        assert_eq!(query.get("error").expect("single error"), None);
                        let sent = common::sends(&effects);
                        assert_eq!(sent.len(), 1, "one exchange for an accepted code");
                        assert_eq!(exchange_code(sent[0]).as_deref(), Some(code));
                    }
                }

                for request in common::sends(&effects) {
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
                    if request.kind == RequestKind::Exchange {
                        let code = exchange_code(request).expect("an exchange carries a code");
                        match &exchanged_code {
                            Some(first) => assert_eq!(*first, code, "a second code exchanged"),
                            None => exchanged_code = Some(code),
                        }
                    }
                }

                if before.is_terminal() {
                    assert!(effects.is_empty(), "a finished flow acted: {effects:?}");
                    assert_eq!(m.snapshot(), snapshot_before, "a finished flow changed");
                }
                let state = m.state();
                if let Some(last) = common::last_state(&effects) {
                    assert_eq!(last, state, "the last State effect is not state()");
                }
                assert_eq!(m.outcome().is_some(), state.is_terminal());
                common::check_timers(
                    &effects,
                    (!clock_went_back).then_some(params.timeout),
                    (!clock_went_back).then_some(params.poll_timeout),
                );
                check_snapshot_round_trip(m);
            }
            _ => {}
        }
    }
    machine
}

/// The code in an exchange request's JSON body.
fn exchange_code(request: &obauth_protocol::http::HttpRequest) -> Option<String> {
    let (_, body) = request.body.as_ref()?;
    let json: serde_json::Value = serde_json::from_str(body.expose()).ok()?;
    json.get("code")?.as_str().map(str::to_owned)
}

/// The machine's snapshot restores; the restored machine re-encodes to the same text and shows
/// the same state (a restored failure keeps its category and message only).
pub fn check_snapshot_round_trip(m: &SupervisedLoginMachine) {
    let text = m.snapshot();
    let restored = SupervisedLoginMachine::restore(creds(), &text)
        .unwrap_or_else(|e| panic!("a snapshot does not restore: {e}\n{text}"));
    assert_eq!(
        restored.snapshot(),
        text,
        "a restored snapshot re-encodes differently"
    );
    let (a, b) = (m.state(), restored.state());
    match (&a, &b) {
        (LoginState::Failed { error: x }, LoginState::Failed { error: y }) => {
            assert_eq!(x.category(), y.category());
            assert_eq!(x.to_string(), y.to_string());
        }
        _ => assert_eq!(a, b, "a restored machine shows another state"),
    }
}
