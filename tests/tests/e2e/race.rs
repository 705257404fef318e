//! The redirect and the long poll racing for the same code, many times over.
//!
//! When the user approves, the sandbox issues the code and, in the same locked step, wakes the
//! outstanding long poll; the `302` with the same code goes to the browser at the same moment.
//! The core therefore receives the code twice within a millisecond or so, from two directions
//! (a driver task for the poll, the test's thread for the redirect), and must exchange it
//! exactly once. The staging varies the redirect's side: handed over at once, from a plain OS
//! thread after a sub-millisecond spin, after a yield, and twice at the same instant from two
//! threads. Which side wins is left to the machine; the tally is printed, not asserted.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use obauth::{Client, CodeSource, IgnoredReason, LoginState, RedirectOutcome, SupervisedTokens};
use obauth_e2e::*;
use obauth_sandbox::Sandbox;

const LOGINS: usize = 30;
const PARALLEL: usize = 6;

struct Raced {
    session_id: String,
    code: String,
    outcomes: Vec<RedirectOutcome>,
    tokens: SupervisedTokens,
    states: Vec<LoginState>,
}

async fn race_once(i: usize, client: Client, browser: Browser) -> Raced {
    let (login, recorder) = begin(&client, params(&format!("race-user-{i:04}")));
    let (auth_url, session_id) = recorder.awaiting_user().await;
    let page = browser.open(&auth_url).await;
    let location = browser
        .decide(&page, "approve")
        .await
        .location
        .expect("a redirect");
    let code = query::value(&location, "code").unwrap();
    let outcomes = match i % 4 {
        0 => vec![login.handle_redirect(&location)],
        1 => {
            let login = login.clone();
            let spin = Duration::from_micros(150 * (i % 7) as u64);
            tokio::task::spawn_blocking(move || {
                spin_for(spin);
                vec![login.handle_redirect(&location)]
            })
            .await
            .unwrap()
        }
        2 => {
            tokio::task::yield_now().await;
            vec![login.handle_redirect(&location)]
        }
        _ => {
            // Two deliveries of the same redirect at the same instant (WebView navigation
            // callback and Universal Link handler).
            let barrier = Arc::new(Barrier::new(2));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (login, location, barrier) =
                        (login.clone(), location.clone(), barrier.clone());
                    tokio::task::spawn_blocking(move || {
                        barrier.wait();
                        login.handle_redirect(&location)
                    })
                })
                .collect();
            let mut outcomes = Vec::new();
            for t in threads {
                outcomes.push(t.await.unwrap());
            }
            outcomes
        }
    };
    let tokens = outcome(&login)
        .await
        .unwrap_or_else(|e| panic!("login {i} failed: {e}"));
    let states = recorder.finish_states().await;
    Raced {
        session_id,
        code,
        outcomes,
        tokens,
        states,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_and_poll_racing_exchange_exactly_once() {
    let sandbox: Sandbox = sandbox().await; // the user acts on the page
    let client = client(&sandbox);
    let browser = Browser::new();
    let mut raced = Vec::new();
    let indexes: Vec<usize> = (0..LOGINS).collect();
    for batch in indexes.chunks(PARALLEL) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|&i| tokio::spawn(race_once(i, client.clone(), browser.clone())))
            .collect();
        for t in tasks {
            raced.push(t.await.expect("no panic"));
        }
    }

    let mut by_redirect = 0;
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    for r in &raced {
        let via = r.tokens.completed_via;
        assert_happy_path(&r.states, via);
        let accepted = r
            .outcomes
            .iter()
            .filter(|o| **o == RedirectOutcome::CodeAccepted)
            .count();
        // The redirect was accepted exactly when it won, and never twice.
        assert_eq!(
            accepted,
            usize::from(via == CodeSource::Redirect),
            "{:?} via {via:?}",
            r.outcomes
        );
        for o in &r.outcomes {
            assert!(
                matches!(
                    o,
                    RedirectOutcome::CodeAccepted
                        | RedirectOutcome::Ignored(
                            IgnoredReason::CodeAlreadyReceived | IgnoredReason::FlowFinished
                        )
                ),
                "{o:?}"
            );
        }
        let info = sandbox.session(&r.session_id).unwrap();
        assert_eq!(info.exchanges, 1, "session {} of {:?}", r.session_id, via);
        by_redirect += usize::from(via == CodeSource::Redirect);
        secrets.add("code", &r.code);
        secrets.add_tokens(&r.tokens);
    }
    // Not one second attempt, not even a refused one.
    let stats = sandbox.stats();
    assert_eq!(stats.token_requests, LOGINS as u64, "{stats:?}");
    assert_eq!(stats.successful_exchanges, LOGINS as u64, "{stats:?}");
    for r in &raced {
        secrets.assert_all_clean("state", &r.states);
        secrets.assert_all_clean("redirect outcome", &r.outcomes);
        secrets.assert_debug_clean("tokens", &r.tokens);
    }
    eprintln!(
        "race: {LOGINS} logins, redirect won {by_redirect}, poll won {}",
        LOGINS - by_redirect
    );
}
