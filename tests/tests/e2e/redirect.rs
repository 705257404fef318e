//! The code arrives by redirect while a long poll is outstanding: the redirect must win, the
//! poll's answer must be dropped, and repeated deliveries of the same redirect (WebViews and
//! Universal Link handlers do fire twice) must change nothing.

use std::time::{Duration, Instant};

use obauth::{CodeSource, IgnoredReason, LoginState, RedirectOutcome};
use obauth_e2e::*;
use obauth_sandbox::{Endpoint, Fault, SessionState};

/// How long the sandbox holds the login's first status request before processing it. The
/// browser steps take milliseconds, so the redirect arrives well inside this.
const POLL_HELD: Duration = Duration::from_millis(1500);
/// How long the sandbox holds the exchange, so a duplicate redirect surely meets `Exchanging`.
const EXCHANGE_HELD: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_wins_and_duplicates_are_ignored() {
    let sandbox = sandbox().await; // default script: the user acts on the page
    sandbox.inject_fault(Endpoint::Status, Fault::Delay(POLL_HELD));
    sandbox.inject_fault(Endpoint::Tokens, Fault::Delay(EXCHANGE_HELD));
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params("redirect-user-01"));
    let (auth_url, session_id) = recorder.awaiting_user().await;
    // The first status request leaves together with AwaitingUser.
    let poll_sent = Instant::now();

    let location = Browser::new().choose(&auth_url, "approve").await;
    assert!(location.starts_with(REDIRECT_URL), "{location}");
    let outcome1 = login.handle_redirect(&location);
    assert_eq!(outcome1, RedirectOutcome::CodeAccepted);
    let outcome2 = login.handle_redirect(&location);
    assert_eq!(
        outcome2,
        RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
    );

    let tokens = outcome(&login).await.expect("authenticated");
    assert_eq!(tokens.completed_via, CodeSource::Redirect);
    let outcome3 = login.handle_redirect(&location);
    assert_eq!(
        outcome3,
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );
    let states = recorder.finish_states().await;
    assert_happy_path(&states, CodeSource::Redirect);
    assert_eq!(session_id_of(&states), session_id);

    // Let the held poll resume: the sandbox now processes it against a session that is
    // `Succeeded` and still reports the (already used) code. The core abandoned that request
    // when the redirect came, so nothing more happens.
    tokio::time::sleep_until((poll_sent + POLL_HELD + Duration::from_millis(400)).into()).await;
    let stats = sandbox.stats();
    assert_eq!(stats.token_requests, 1, "one exchange attempt: {stats:?}");
    assert_eq!(stats.successful_exchanges, 1, "{stats:?}");
    // The held long-poll, and the one status request (pollTimeout=0) that confirmed the
    // redirect's code before it was exchanged (the redirect is a hint; SECURITY.md). No poll
    // after the code.
    assert_eq!(
        stats.status_requests, 2,
        "the long-poll and the confirmation, no poll after the code: {stats:?}"
    );
    assert_eq!(stats.page_views, 1);
    assert_eq!(stats.decision_requests, 1);
    let info = sandbox.session(&session_id).unwrap();
    assert_eq!(info.state, SessionState::Succeeded);
    assert_eq!(info.exchanges, 1);
    assert!(matches!(
        login.state(),
        LoginState::Authenticated {
            via: CodeSource::Redirect,
            ..
        }
    ));

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("code", &query::value(&location, "code").unwrap());
    secrets.add_tokens(&tokens);
    secrets.assert_debug_clean("tokens", &tokens);
    secrets.assert_all_clean("state", &states);
    secrets.assert_all_clean("redirect outcome", &[outcome1, outcome2, outcome3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_and_stale_urls_are_not_taken_for_the_redirect() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let login = client
        .supervised_login(params("redirect-user-02"))
        .expect("valid");
    // Before start: a redirect cannot belong to a login that has not asked for one.
    assert_eq!(
        login.handle_redirect(&format!("{REDIRECT_URL}?code=abc")),
        RedirectOutcome::Ignored(IgnoredReason::NotWaitingForRedirect)
    );
    let recorder = Recorder::attach(&login);
    login.start();
    let (auth_url, _) = recorder.awaiting_user().await;
    // Pages the WebView meets on the way are not the redirect.
    for url in [
        auth_url.as_str(),
        "https://app.example/aiia/callback/extra?code=abc",
        "https://evil.example/aiia/callback?code=abc",
        "http://app.example/aiia/callback?code=abc",
        "not a url",
    ] {
        assert_eq!(
            login.handle_redirect(url),
            RedirectOutcome::NotForThisFlow,
            "{url}"
        );
    }
    // A matching redirect without code or error is refused, and the login keeps waiting.
    assert!(matches!(
        login.handle_redirect(REDIRECT_URL),
        RedirectOutcome::Rejected(_)
    ));
    assert!(matches!(login.state(), LoginState::AwaitingUser { .. }));
    login.cancel();
    let states = recorder.finish_states().await;
    assert_terminal_last(&states);
    assert_eq!(sandbox.stats().token_requests, 0);
}

/// Login CSRF. The supervised redirect carries no `state`, so an attacker who knows the app's
/// redirect URL (a web page, another app, a crafted Universal Link) can hand the victim's login
/// a code from the attacker's own bank session before the victim has finished. The core takes
/// the redirect as a hint only: the provider's status says the victim's session is still in
/// progress, the attacker's code is never exchanged, and the login completes with the victim's
/// own code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_redirect_before_the_user_finishes_is_never_exchanged() {
    let sandbox = sandbox().await; // default script: the user acts on the page
    let client = client(&sandbox);

    // The attacker completes a login of their own and keeps its redirect (code unused).
    let (attacker_login, attacker_recorder) = begin(&client, params("attacker-user-01"));
    let (attacker_auth_url, attacker_session) = attacker_recorder.awaiting_user().await;
    attacker_login.cancel(); // the attacker's own app stops here: the code stays unused
    let forged = Browser::new().choose(&attacker_auth_url, "approve").await;
    let forged_code = query::value(&forged, "code").expect("the attacker's code");

    // The victim's login waits for the victim at the bank; the forged redirect arrives first.
    let (login, recorder) = begin(&client, params("victim-user-01"));
    let (auth_url, session_id) = recorder.awaiting_user().await;
    assert_eq!(
        login.handle_redirect(&forged),
        RedirectOutcome::CodeAccepted,
        "taken as a hint, to be confirmed"
    );
    // The status says the victim is still at the bank: the hint is dropped.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(matches!(login.state(), LoginState::AwaitingUser { .. }));
    assert_eq!(sandbox.stats().token_requests, 0, "nothing exchanged");

    // The victim finishes; the login completes with the victim's own code.
    let genuine = Browser::new().choose(&auth_url, "approve").await;
    let tokens = outcome(&login).await.expect("authenticated");
    let states = recorder.finish_states().await;
    assert_eq!(session_id_of(&states), session_id);
    let stats = sandbox.stats();
    assert_eq!(
        stats.token_requests, 1,
        "one exchange, the victim's: {stats:?}"
    );
    assert_eq!(sandbox.session(&session_id).unwrap().exchanges, 1);
    assert_eq!(
        sandbox.session(&attacker_session).unwrap().exchanges,
        0,
        "the attacker's code was never exchanged"
    );
    assert_ne!(query::value(&genuine, "code").unwrap(), forged_code);

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("forged code", &forged_code);
    secrets.add_tokens(&tokens);
    secrets.assert_all_clean("state", &states);
}

/// A forged error redirect (`?error=access_denied`) while the user is still at the bank ends
/// nothing: the status disagrees, and the login completes when the user approves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_error_redirect_does_not_end_the_login() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params("victim-user-02"));
    let (auth_url, _) = recorder.awaiting_user().await;
    let forged = format!("{REDIRECT_URL}?error=access_denied");
    assert!(matches!(
        login.handle_redirect(&forged),
        RedirectOutcome::ProviderError(_)
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(matches!(login.state(), LoginState::AwaitingUser { .. }));
    Browser::new().choose(&auth_url, "approve").await;
    outcome(&login)
        .await
        .expect("authenticated despite the forged error");
}
