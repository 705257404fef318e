//! The code arrives through the status long poll (no redirect at all): the path that saves the
//! login when a WebView swallows the redirect.

use std::time::Duration;

use obauth::{CodeSource, LoginState};
use obauth_e2e::*;
use obauth_sandbox::{SessionState, UserScript};

const USER: &str = "poll-user-0001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_success_authenticates_with_one_exchange() {
    let sandbox = sandbox().await;
    sandbox.script_user(USER, UserScript::ApproveAfter(Duration::from_millis(200)));
    let client = client(&sandbox);
    let mut p = params(USER);
    p.poll_timeout = Duration::from_secs(2);
    let (login, recorder) = begin(&client, p);

    let tokens = outcome(&login).await.expect("authenticated");
    let states = recorder.finish_states().await;
    let now = obauth::timestamp::now();

    // What the host saw.
    assert_happy_path(&states, CodeSource::Poll);
    assert_eq!(states[0], LoginState::Created);
    assert_eq!(login.state(), *states.last().unwrap());
    let session_id = session_id_of(&states);

    // The tokens, parsed from the seed-shaped response.
    assert_eq!(tokens.completed_via, CodeSource::Poll);
    assert_eq!(tokens.provider_id, "DemoBank");
    assert_eq!(tokens.login.provider_id, "DemoBank");
    assert!(tokens.login.supports_unattended);
    assert!(tokens.login.token.expose().starts_with("-ELT2-"));
    assert!(
        tokens
            .login
            .label
            .as_deref()
            .is_some_and(|l| l.starts_with("DemoBank ")),
        "{:?}",
        tokens.login.label
    );
    let subject = tokens.login.subject_id.as_deref().unwrap_or_default();
    assert_eq!(subject.len(), 64, "{subject}");
    let session_expires = tokens.session.expires();
    assert_near(
        "session expiry",
        session_expires,
        now.plus(Duration::from_secs(15 * 60)),
        Duration::from_secs(60),
    );
    assert!(!tokens.session.is_expired(now));
    assert_near(
        "login expiry",
        tokens.login.expires,
        now.plus(Duration::from_secs(90 * 86_400)),
        Duration::from_secs(3600),
    );
    match states.last().unwrap() {
        LoginState::Authenticated {
            via,
            session_expires: shown_session,
            login_expires,
            provider_id,
        } => {
            assert_eq!(*via, CodeSource::Poll);
            assert_eq!(*shown_session, session_expires);
            assert_eq!(*login_expires, tokens.login.expires);
            assert_eq!(provider_id, "DemoBank");
        }
        other => panic!("{other:?}"),
    }

    // What the provider saw: one of each request, one exchange.
    let stats = sandbox.stats();
    assert_eq!(stats.initialize_requests, 1, "{stats:?}");
    assert_eq!(
        stats.status_requests, 1,
        "one long poll covers a 200 ms user"
    );
    assert_eq!(stats.token_requests, 1, "{stats:?}");
    assert_eq!(stats.successful_exchanges, 1, "{stats:?}");
    assert_eq!(stats.page_views, 0, "nobody opened the page");
    let info = sandbox.session(&session_id).expect("the sandbox knows it");
    assert_eq!(info.state, SessionState::Succeeded);
    assert_eq!(info.exchanges, 1);
    assert_eq!(info.user_hash, USER);
    assert!(info.succeeded_at.is_some());

    // Nothing printable carries a secret.
    let code = peek_code(&sandbox, &session_id).await.expect("a code");
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("code", &code);
    secrets.add_tokens(&tokens);
    secrets.assert_debug_clean("tokens", &tokens);
    secrets.assert_debug_clean("login token", &tokens.login);
    secrets.assert_debug_clean("access session", &tokens.session);
    secrets.assert_all_clean("state", &states);
    secrets.assert_debug_clean("client", &client);
}
