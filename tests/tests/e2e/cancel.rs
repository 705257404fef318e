//! The host app cancels: nothing may be exchanged after the cancel, not by a poll answer still
//! on its way, nor by a redirect arriving later, nor by a retry timer.

use std::time::Duration;

use obauth::{
    CancelOrigin, Client, Error, ErrorCategory, IgnoredReason, LoginState, RedirectOutcome,
};
use obauth_e2e::*;
use obauth_sandbox::{Endpoint, Fault, SessionState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_cancel_while_awaiting_user_exchanges_nothing() {
    let sandbox = sandbox().await; // the user acts on the page
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params("cancel-user-0001"));
    let (auth_url, session_id) = recorder.awaiting_user().await;

    login.cancel();
    let result = outcome(&login).await;
    let by_host = LoginState::Cancelled {
        by: CancelOrigin::Host,
    };
    assert_eq!(login.state(), by_host);
    let error = result.expect_err("cancelled");
    assert_eq!(
        error,
        Error::Cancelled {
            by: CancelOrigin::Host
        }
    );
    assert_eq!(error.category(), ErrorCategory::UserAction);

    // The user, unaware, approves at the bank afterwards; the app hands over the redirect.
    let location = Browser::new().choose(&auth_url, "approve").await;
    let late = login.handle_redirect(&location);
    assert_eq!(late, RedirectOutcome::Ignored(IgnoredReason::FlowFinished));
    login.cancel(); // a second cancel is harmless
    let states = recorder.finish_states().await;
    assert_ended_while_awaiting(&states, &by_host);

    // Give a stray poll answer or timer every chance to cause an exchange.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = sandbox.stats();
    assert_eq!(stats.token_requests, 0, "{stats:?}");
    let info = sandbox.session(&session_id).unwrap();
    assert_eq!(info.state, SessionState::Succeeded, "the bank did approve");
    assert_eq!(info.exchanges, 0);
    assert_eq!(login.state(), by_host);

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("code", &query::value(&location, "code").unwrap());
    secrets.assert_all_clean("state", &states);
    secrets.assert_debug_clean("error", &error);
    secrets.assert_debug_clean("redirect outcome", &late);
}

/// Long enough that the cancel surely lands while initialize is held.
const INITIALIZE_HELD: Duration = Duration::from_millis(800);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_cancel_during_initialize_sends_nothing_more() {
    let sandbox = sandbox().await;
    // Hold initialize so the cancel surely lands while it is in flight.
    sandbox.inject_fault(
        Endpoint::Initialize,
        Fault::Delay(Duration::from_millis(300)),
    );
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params("cancel-user-0002"));
    recorder
        .wait_for("initializing", |s| *s == LoginState::Initializing)
        .await;
    // Cancel once the sandbox holds the request (it counts on arrival).
    while sandbox.stats().initialize_requests == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    login.cancel();
    let error = outcome(&login).await.expect_err("cancelled");
    assert_eq!(
        error,
        Error::Cancelled {
            by: CancelOrigin::Host
        }
    );
    let states = recorder.finish_states().await;
    assert_eq!(names(&states), ["created", "initializing", "cancelled"]);
    // Past the held initialize: even if the sandbox created the session, the core neither
    // polls it nor exchanges anything.
    tokio::time::sleep(INITIALIZE_HELD + Duration::from_millis(300)).await;
    let stats = sandbox.stats();
    assert_eq!(stats.initialize_requests, 1, "{stats:?}");
    assert_eq!(stats.status_requests + stats.token_requests, 0, "{stats:?}");
}

const RACES: usize = 24;
const PARALLEL: usize = 6;

struct CancelRace {
    session_id: String,
    code: String,
    redirect: Option<RedirectOutcome>,
    states: Vec<LoginState>,
    error: Option<Error>,
}

/// Cancels `offset` after starting the approval; on even runs the redirect is handed over too,
/// on odd runs only the poll can bring the code.
async fn cancel_race(i: usize, client: Client, browser: Browser) -> CancelRace {
    let (login, recorder) = begin(&client, params(&format!("cancel-race-{i:04}")));
    let (auth_url, session_id) = recorder.awaiting_user().await;
    let page = browser.open(&auth_url).await;
    let offset = Duration::from_micros(300 * (i % 12) as u64);
    let canceller = {
        let login = login.clone();
        tokio::task::spawn_blocking(move || {
            spin_for(offset);
            login.cancel();
        })
    };
    let location = browser
        .decide(&page, "approve")
        .await
        .location
        .expect("a redirect");
    let redirect = (i % 2 == 0).then(|| login.handle_redirect(&location));
    canceller.await.unwrap();
    let error = outcome(&login).await.err();
    let states = recorder.finish_states().await;
    CancelRace {
        session_id,
        code: query::value(&location, "code").unwrap(),
        redirect,
        states,
        error,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_racing_an_approval_never_exchanges_after_cancel() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let browser = Browser::new();
    let mut runs = Vec::new();
    let indexes: Vec<usize> = (0..RACES).collect();
    for batch in indexes.chunks(PARALLEL) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|&i| tokio::spawn(cancel_race(i, client.clone(), browser.clone())))
            .collect();
        for t in tasks {
            runs.push(t.await.expect("no panic"));
        }
    }
    // Longer than any retry delay: a late exchange would show up in the counters by now.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (mut before_code, mut during_exchange, mut too_late) = (0, 0, 0);
    let mut exchanging_runs = 0;
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    for run in &runs {
        assert_terminal_last(&run.states);
        let exchanged = run
            .states
            .iter()
            .any(|s| matches!(s, LoginState::Exchanging { .. }));
        exchanging_runs += usize::from(exchanged);
        let info = sandbox.session(&run.session_id).unwrap();
        match run.states.last().unwrap() {
            LoginState::Cancelled {
                by: CancelOrigin::Host,
            } if !exchanged => {
                // Cancelled before the code arrived: the bank must see no exchange at all.
                before_code += 1;
                assert_eq!(info.exchanges, 0, "exchange after cancel: {:?}", run.states);
                assert_eq!(
                    run.error,
                    Some(Error::Cancelled {
                        by: CancelOrigin::Host
                    })
                );
                // The redirect came after the cancel (ignored), or before it and was still
                // being confirmed with the provider's status when the cancel ended the login.
                if let Some(r) = &run.redirect {
                    assert!(
                        matches!(
                            r,
                            RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
                                | RedirectOutcome::CodeAccepted
                        ),
                        "{r:?}"
                    );
                }
            }
            LoginState::Cancelled {
                by: CancelOrigin::Host,
            } => {
                // Cancelled mid-exchange: the one request already sent may or may not have been
                // processed, but there is never a second.
                during_exchange += 1;
                assert!(info.exchanges <= 1, "{:?}", run.states);
            }
            LoginState::Authenticated { .. } => {
                too_late += 1;
                assert_eq!(info.exchanges, 1);
                assert_eq!(run.error, None);
            }
            other => panic!("unexpected end {other:?}: {:?}", run.states),
        }
        if run.redirect == Some(RedirectOutcome::CodeAccepted) {
            // An accepted redirect is confirmed with the provider's status, then exchanged;
            // only a cancel during that confirmation leaves it unexchanged.
            let cancelled_by_app = matches!(
                run.states.last(),
                Some(LoginState::Cancelled {
                    by: CancelOrigin::Host
                })
            );
            assert!(
                exchanged || cancelled_by_app,
                "an accepted redirect is exchanged unless the app cancelled: {:?}",
                run.states
            );
        }
        secrets.add("code", &run.code);
    }
    let stats = sandbox.stats();
    assert!(
        stats.token_requests <= exchanging_runs as u64,
        "an exchange without an Exchanging state: {stats:?}, {exchanging_runs} exchanging"
    );
    for run in &runs {
        secrets.assert_all_clean("state", &run.states);
        secrets.assert_all_clean("error", run.error.as_slice());
        secrets.assert_all_clean("redirect outcome", run.redirect.as_slice());
    }
    eprintln!(
        "cancel race: {RACES} runs, cancelled before the code {before_code}, \
         during the exchange {during_exchange}, too late {too_late}"
    );
}
