//! Transition tests for the authorization-code machine.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use super::*;
use crate::error::{CancelOrigin, Error};
use crate::flow::{Ctx, Effect, Flow, IgnoredReason, Input, RedirectOutcome, TimerKind};
use crate::http::{HttpRequest, HttpResult, RequestKind};
use crate::oauth::FlowSecrets;
use crate::secret::Secret;
use crate::snapshot::FlowKind;

const REDIRECT: &str = "https://mydomain.com/aiia-callback/tenant-7";
const PATTERN: &str = "https://mydomain.com/aiia-callback/*";
const STATE: &str = "state-abcdefghijklmnopqrstuvwxyz0123456789";
const CODE: &str = "qgAA+VDa/XBo==";
const CODE_ENCODED: &str = "qgAA%2BVDa%2FXBo%3D%3D";

use crate::test_support::creds;

fn secrets() -> FlowSecrets {
    FlowSecrets {
        state: Secret::new(STATE),
        nonce: Secret::new("nonce-123"),
        verifier: Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    }
}

fn params() -> AuthorizationParams {
    let mut p = AuthorizationParams::new(REDIRECT);
    p.redirect_pattern = Some(PATTERN.into());
    p
}

fn connect() -> AuthorizationMachine {
    AuthorizationMachine::aiia_connect(&creds(), params(), Some("Group A".into()), None, secrets())
        .unwrap()
}

fn pkce() -> AuthorizationMachine {
    AuthorizationMachine::pkce(
        &creds(),
        Url::parse("https://id.example.com/oidc/authorize").unwrap(),
        Url::parse("https://id.example.com/oidc/token").unwrap(),
        AuthorizationParams::new("https://app.example.com/cb"),
        secrets(),
    )
    .unwrap()
}

fn at(secs: i64) -> Ctx {
    crate::test_support::ctx_at(secs, 7)
}

use crate::test_support::json;

fn sent(fx: &[Effect<AuthorizationState>]) -> Vec<&HttpRequest> {
    fx.iter()
        .filter_map(|e| {
            if let Effect::Send(r) = e {
                Some(r)
            } else {
                None
            }
        })
        .collect()
}

fn states(fx: &[Effect<AuthorizationState>]) -> Vec<AuthorizationState> {
    fx.iter()
        .filter_map(|e| {
            if let Effect::State(s) = e {
                Some(s.clone())
            } else {
                None
            }
        })
        .collect()
}

fn redirect(
    m: &mut AuthorizationMachine,
    query: &str,
) -> (RedirectOutcome, Vec<Effect<AuthorizationState>>) {
    m.redirect(&Url::parse(&format!("{REDIRECT}?{query}")).unwrap(), at(1))
}

fn started(mut m: AuthorizationMachine) -> AuthorizationMachine {
    m.handle(Input::Start, at(0));
    m
}

#[test]
fn connect_authorize_url_has_every_parameter() {
    let mut m = connect();
    let fx = m.handle(Input::Start, at(0));
    let AuthorizationState::AwaitingUser { authorize_url } = &states(&fx)[0] else {
        panic!()
    };
    let url = Url::parse(authorize_url).unwrap();
    assert_eq!(url.path(), "/v1/oauth/connect");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "client-1");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "accounts offline_access");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["state"], STATE);
    assert_eq!(q["accountsGroupName"], "Group A");
    assert!(!q.contains_key("code_challenge"));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::ArmTimer {
            timer: TimerKind::Deadline,
            ..
        }
    )));
}

#[test]
fn forged_missing_or_stale_state_is_rejected_and_never_exchanged() {
    let mut m = started(connect());
    for query in [
        format!("code={CODE_ENCODED}"),
        format!("code={CODE_ENCODED}&state=forged"),
        format!("code={CODE_ENCODED}&state={STATE}x"),
        "error=access_denied&state=forged".to_string(),
    ] {
        let (outcome, fx) = redirect(&mut m, &query);
        assert_eq!(
            outcome,
            RedirectOutcome::Rejected(Error::StateMismatch),
            "{query}"
        );
        assert!(fx.is_empty(), "nothing sent for {query}");
    }
    assert!(
        matches!(m.state(), AuthorizationState::AwaitingUser { .. }),
        "the flow keeps waiting"
    );
    let (outcome, fx) = redirect(
        &mut m,
        &format!("code={CODE_ENCODED}&state={STATE}&consentId=c-9"),
    );
    assert_eq!(outcome, RedirectOutcome::CodeAccepted);
    assert_eq!(sent(&fx).len(), 1);
}

#[test]
fn connect_exchange_is_json_with_basic_auth_and_keeps_the_consent_id() {
    let mut m = started(connect());
    let (_, fx) = redirect(
        &mut m,
        &format!("code={CODE_ENCODED}&state={STATE}&consentId=c-9"),
    );
    assert_eq!(
        states(&fx),
        vec![
            AuthorizationState::CodeReceived,
            AuthorizationState::Exchanging
        ]
    );
    let req = sent(&fx)[0];
    assert_eq!(req.url.as_str(), "https://api.example.com/v1/oauth/token");
    let body: serde_json::Value =
        serde_json::from_str(req.body.as_ref().unwrap().1.expose()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"grant_type": "authorization_code", "code": CODE, "redirect_uri": REDIRECT})
    );
    let auth = req
        .headers
        .iter()
        .find(|(n, _)| *n == "authorization")
        .unwrap()
        .1
        .expose()
        .to_owned();
    assert_eq!(
        auth,
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("client-1:secret-1")
        )
    );
    let fx = m.handle(
        Input::Response {
            kind: RequestKind::Exchange,
            result: json(200, r#"{"access_token":"A","expires_in":3600,"refresh_token":"R","token_type":"bearer"}"#),
        },
        at(2),
    );
    assert!(
        matches!(&states(&fx)[0], AuthorizationState::Authenticated { refreshable: true, consent_id: Some(c), .. } if c == "c-9")
    );
    let tokens = m.outcome().unwrap().unwrap();
    assert_eq!(tokens.consent_id.as_deref(), Some("c-9"));
    assert_eq!(tokens.access_token.expose(), "A");
    // Duplicates and stale redirects after the end are answered, never exchanged.
    assert_eq!(
        redirect(&mut m, &format!("code={CODE_ENCODED}&state={STATE}")).0,
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );
}

#[test]
fn duplicate_redirect_while_exchanging_is_ignored() {
    let mut m = started(connect());
    redirect(&mut m, &format!("code={CODE_ENCODED}&state={STATE}"));
    let (outcome, fx) = redirect(&mut m, &format!("code=other&state={STATE}"));
    assert_eq!(
        outcome,
        RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
    );
    assert!(fx.is_empty());
}

#[test]
fn wildcard_pattern_and_mismatched_redirect_uri() {
    let mut m = started(connect());
    let other_tenant = Url::parse(&format!(
        "https://mydomain.com/aiia-callback/tenant-8?code=x&state={STATE}"
    ))
    .unwrap();
    assert_eq!(
        m.redirect(&other_tenant, at(1)).0,
        RedirectOutcome::CodeAccepted
    );
    let outside = Url::parse(&format!(
        "https://mydomain.com/elsewhere?code=x&state={STATE}"
    ))
    .unwrap();
    assert_eq!(
        started(connect()).redirect(&outside, at(1)).0,
        RedirectOutcome::NotForThisFlow
    );
    let mut p = params();
    p.redirect_pattern = Some("https://mydomain.com/other/*".into());
    assert!(matches!(
        AuthorizationMachine::aiia_connect(&creds(), p, None, None, secrets()),
        Err(Error::InvalidInput {
            field: "redirectUri",
            ..
        })
    ));
    let mut p = params();
    p.redirect_pattern = Some("https://*.mydomain.com/aiia-callback/*".into());
    assert!(AuthorizationMachine::aiia_connect(&creds(), p, None, None, secrets()).is_err());
}

#[test]
fn error_redirects() {
    let mut m = started(connect());
    let (outcome, fx) = redirect(
        &mut m,
        &format!("error=access_denied&error_description=User%20said%20no&state={STATE}"),
    );
    assert_eq!(
        outcome,
        RedirectOutcome::ProviderError(Error::Cancelled {
            by: CancelOrigin::User
        })
    );
    assert_eq!(
        states(&fx),
        vec![AuthorizationState::Cancelled {
            by: CancelOrigin::User
        }]
    );

    let mut m = started(connect());
    let (outcome, _) = redirect(
        &mut m,
        &format!("error=invalid_scope&error_description=bad%20scope&state={STATE}"),
    );
    assert_eq!(
        outcome,
        RedirectOutcome::ProviderError(Error::AuthorizationError {
            code: "invalid_scope".into(),
            description: Some("bad scope".into())
        })
    );
    assert_eq!(
        m.outcome().unwrap().unwrap_err().category(),
        crate::error::ErrorCategory::Fatal
    );
}

#[test]
fn invalid_grant_and_transient_exchange_failures() {
    let mut m = started(connect());
    redirect(&mut m, &format!("code={CODE_ENCODED}&state={STATE}"));
    let fx = m.handle(
        Input::Response {
            kind: RequestKind::Exchange,
            result: json(503, ""),
        },
        at(2),
    );
    assert!(matches!(
        fx[0],
        Effect::ArmTimer {
            timer: TimerKind::Retry(RequestKind::Exchange),
            ..
        }
    ));
    let fx = m.handle(Input::Timer(TimerKind::Retry(RequestKind::Exchange)), at(3));
    assert_eq!(sent(&fx).len(), 1);
    let fx = m.handle(
        Input::Response {
            kind: RequestKind::Exchange,
            result: json(400, r#"{"error":"invalid_grant"}"#),
        },
        at(4),
    );
    assert_eq!(
        states(&fx),
        vec![AuthorizationState::Failed {
            error: Error::InvalidGrant.into()
        }]
    );
    assert_eq!(
        m.outcome().unwrap().unwrap_err().category(),
        crate::error::ErrorCategory::Reauthenticate
    );
}

fn id_token(nonce: &str, aud: &str, exp: i64) -> String {
    let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.sig",
        enc(serde_json::json!({"alg": "HS256", "typ": "JWT"})),
        enc(
            serde_json::json!({"nonce": nonce, "aud": aud, "exp": exp, "iss": "https://id.example.com/oidc", "sub": "u"})
        )
    )
}

#[test]
fn pkce_sends_the_challenge_and_the_verifier_and_checks_the_nonce() {
    let mut m = pkce();
    let fx = m.handle(Input::Start, at(0));
    let AuthorizationState::AwaitingUser { authorize_url } = &states(&fx)[0] else {
        panic!()
    };
    let q: std::collections::HashMap<_, _> = Url::parse(authorize_url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(
        q["code_challenge"],
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["nonce"], "nonce-123");
    assert_eq!(q["scope"], "openid");
    let (_, fx) = m.redirect(
        &Url::parse(&format!("https://app.example.com/cb?code=c1&state={STATE}")).unwrap(),
        at(1),
    );
    let body = sent(&fx)[0].body.as_ref().unwrap().1.expose().to_owned();
    assert!(
        body.contains("code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "{body}"
    );
    assert!(
        body.contains("client_id=client-1") && !body.contains("secret-1"),
        "{body}"
    );
    assert!(
        sent(&fx)[0]
            .headers
            .iter()
            .all(|(n, _)| *n != "authorization"),
        "no secret for public clients"
    );

    let exp = 1_700_000_000 + 3600;
    let good = id_token("nonce-123", "client-1", exp);
    let mut ok = m;
    ok.handle(
        Input::Response {
            kind: RequestKind::Exchange,
            result: json(200, &format!(r#"{{"access_token":"A","token_type":"Bearer","expires_in":60,"id_token":"{good}"}}"#)),
        },
        at(2),
    );
    assert!(ok.outcome().unwrap().is_ok());

    let mut bad = started(pkce());
    bad.redirect(
        &Url::parse(&format!("https://app.example.com/cb?code=c1&state={STATE}")).unwrap(),
        at(1),
    );
    let replayed = id_token("someone-elses-nonce", "client-1", exp);
    bad.handle(
        Input::Response {
            kind: RequestKind::Exchange,
            result: json(
                200,
                &format!(r#"{{"access_token":"A","id_token":"{replayed}"}}"#),
            ),
        },
        at(2),
    );
    assert_eq!(bad.outcome().unwrap().unwrap_err(), Error::NonceMismatch);

    // An `exp` so large that `exp * 1000` overflows is refused, never a panic.
    let mut huge = started(pkce());
    huge.redirect(
        &Url::parse(&format!("https://app.example.com/cb?code=c1&state={STATE}")).unwrap(),
        at(1),
    );
    let overflowing = id_token("nonce-123", "client-1", i64::MAX / 10);
    huge.handle(
        Input::Response {
            kind: RequestKind::Exchange,
            result: json(
                200,
                &format!(r#"{{"access_token":"A","id_token":"{overflowing}"}}"#),
            ),
        },
        at(2),
    );
    assert!(matches!(
        huge.outcome().unwrap().unwrap_err(),
        Error::MalformedResponse { .. }
    ));
}

#[test]
fn cancel_timeout_and_late_inputs() {
    let mut m = started(connect());
    m.handle(Input::Cancel, at(1));
    assert_eq!(
        m.state(),
        AuthorizationState::Cancelled {
            by: CancelOrigin::Host
        }
    );
    assert_eq!(
        redirect(&mut m, &format!("code=x&state={STATE}")).0,
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );
    let mut m = started(connect());
    let fx = m.handle(Input::Timer(TimerKind::Deadline), at(900));
    assert_eq!(states(&fx), vec![AuthorizationState::TimedOut]);
}

#[test]
fn kill_and_restore_while_waiting_then_complete() {
    let m = started(connect());
    let snapshot = m.snapshot().unwrap();
    assert!(
        snapshot.contains(STATE),
        "the state is in the snapshot (secure storage only)"
    );
    assert!(!snapshot.contains("secret-1"), "never the client secret");
    let mut restored =
        AuthorizationMachine::restore(&creds(), &snapshot, FlowKind::AiiaConnect).unwrap();
    let fx = restored.handle(Input::Resume, at(30));
    assert!(
        matches!(fx[0], Effect::ArmTimer { timer: TimerKind::Deadline, after } if after == Duration::from_secs(870))
    );
    let (outcome, fx) = redirect(&mut restored, &format!("code={CODE_ENCODED}&state={STATE}"));
    assert_eq!(outcome, RedirectOutcome::CodeAccepted);
    assert_eq!(sent(&fx).len(), 1);
    // A restored PKCE flow keeps its verifier.
    let p = started(pkce());
    let mut restored =
        AuthorizationMachine::restore(&creds(), &p.snapshot().unwrap(), FlowKind::Pkce).unwrap();
    restored.handle(Input::Resume, at(1));
    let (_, fx) = restored.redirect(
        &Url::parse(&format!("https://app.example.com/cb?code=c&state={STATE}")).unwrap(),
        at(2),
    );
    assert!(
        sent(&fx)[0]
            .body
            .as_ref()
            .unwrap()
            .1
            .expose()
            .contains("code_verifier=dBjft")
    );
    // Resuming mid-exchange resends while the code lives.
    let mut m = started(connect());
    redirect(&mut m, &format!("code={CODE_ENCODED}&state={STATE}"));
    let mut restored =
        AuthorizationMachine::restore(&creds(), &m.snapshot().unwrap(), FlowKind::AiiaConnect)
            .unwrap();
    assert_eq!(sent(&restored.handle(Input::Resume, at(20))).len(), 1);
    let mut expired =
        AuthorizationMachine::restore(&creds(), &m.snapshot().unwrap(), FlowKind::AiiaConnect)
            .unwrap();
    assert_eq!(
        states(&expired.handle(Input::Resume, at(120))),
        vec![AuthorizationState::Failed {
            error: Error::CodeExpired.into()
        }]
    );
}

#[test]
fn a_snapshot_is_restored_only_as_its_own_kind() {
    let connect_snapshot = started(connect()).snapshot().unwrap();
    let pkce_snapshot = started(pkce()).snapshot().unwrap();
    assert!(matches!(
        AuthorizationMachine::restore(&creds(), &connect_snapshot, FlowKind::Pkce),
        Err(Error::InvalidSnapshot(_))
    ));
    assert!(matches!(
        AuthorizationMachine::restore(&creds(), &pkce_snapshot, FlowKind::AiiaConnect),
        Err(Error::InvalidSnapshot(_))
    ));
    // A forged envelope: a PKCE flow labelled as a connect snapshot.
    let relabelled = pkce_snapshot.replace("\"kind\":\"pkce\"", "\"kind\":\"aiia_connect\"");
    assert!(matches!(
        AuthorizationMachine::restore(&creds(), &relabelled, FlowKind::AiiaConnect),
        Err(Error::InvalidSnapshot(_))
    ));
}

#[test]
fn a_user_cancel_ends_either_flow_as_cancelled_by_the_user() {
    // One rule for both machines (machine_kit::is_user_cancel): these errors were a Fatal
    // `AuthorizationError` for connect and PKCE flows before, and a user cancel for supervised
    // logins.
    for error in [
        "access_denied",
        "Cancelled",
        "cancelled",
        "canceled",
        "cancel",
        "user_cancelled",
        "UserCancelled",
    ] {
        for mut m in [started(connect()), started(pkce())] {
            let base = m.redirect_pattern().url().clone();
            let url = Url::parse(&format!("{base}?error={error}&state={STATE}")).unwrap();
            let (outcome, fx) = m.redirect(&url, at(1));
            assert_eq!(
                outcome,
                RedirectOutcome::ProviderError(Error::Cancelled {
                    by: CancelOrigin::User
                }),
                "{error}"
            );
            assert_eq!(
                states(&fx),
                vec![AuthorizationState::Cancelled {
                    by: CancelOrigin::User
                }],
                "{error}"
            );
            assert_eq!(
                m.outcome().unwrap().unwrap_err().category(),
                crate::error::ErrorCategory::UserAction
            );
        }
    }
    // Anything else is the provider's error, and a forged cancel is still rejected first.
    let mut m = started(connect());
    let (outcome, _) = redirect(&mut m, &format!("error=cancelled_by_bank&state={STATE}"));
    assert!(matches!(
        outcome,
        RedirectOutcome::ProviderError(Error::AuthorizationError { .. })
    ));
    let mut m = started(connect());
    let (outcome, fx) = redirect(&mut m, "error=Cancelled&state=forged");
    assert_eq!(outcome, RedirectOutcome::Rejected(Error::StateMismatch));
    assert!(fx.is_empty());
}

#[test]
fn a_live_code_is_timed_on_the_monotonic_clock() {
    // The wall clock jumps two minutes ahead while 2 s pass: the code (one minute) still lives,
    // so a transient failure is retried rather than failing the flow with CodeExpired.
    let mut m = started(connect());
    redirect(&mut m, &format!("code={CODE_ENCODED}&state={STATE}"));
    let jumped = Ctx {
        now: at(120).now,
        ..at(2)
    };
    let fx = m.handle(
        Input::Response {
            kind: RequestKind::Exchange,
            result: json(503, ""),
        },
        jumped,
    );
    assert!(matches!(
        fx[..],
        [Effect::ArmTimer {
            timer: TimerKind::Retry(RequestKind::Exchange),
            ..
        }]
    ));
    // After a restore the code's receipt is only known on the wall clock.
    let mut restored =
        AuthorizationMachine::restore(&creds(), &m.snapshot().unwrap(), FlowKind::AiiaConnect)
            .unwrap();
    assert_eq!(
        states(&restored.handle(Input::Resume, jumped)),
        vec![AuthorizationState::Failed {
            error: Error::CodeExpired.into()
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// The diagram in README.md is the machine: every (phase, input) pair is driven, for a connect
// and a PKCE flow, and the edges seen must be exactly the diagram's.

mod diagram {
    use super::*;
    use crate::machine_kit::diagram::{
        CODE_EXPIRED, NOW, Probe, assert_matches, input, lifecycle_probes, observe,
    };

    fn feed(m: &mut AuthorizationMachine, query: &str, secs: i64) -> usize {
        let base = m.redirect_pattern().url().clone();
        let url = Url::parse(&format!("{base}?{query}")).unwrap();
        m.redirect(&url, at(secs)).1.len()
    }

    fn exchange(m: &mut AuthorizationMachine, result: HttpResult, secs: i64) -> usize {
        let kind = RequestKind::Exchange;
        input(m, Input::Response { kind, result }, secs)
    }

    /// Tokens with a valid ID token (checked for PKCE, ignored for connect).
    fn tokens() -> HttpResult {
        let id = id_token("nonce-123", "client-1", 1_700_000_000 + 3600);
        json(
            200,
            &format!(r#"{{"access_token":"A","token_type":"Bearer","id_token":"{id}"}}"#),
        )
    }

    /// The machine in each phase, from `make` (a connect or a PKCE flow, not started).
    fn fixtures(make: fn() -> AuthorizationMachine) -> Vec<Box<dyn Fn() -> AuthorizationMachine>> {
        let exchanging = move || {
            let mut m = started(make());
            feed(&mut m, &format!("code={CODE_ENCODED}&state={STATE}"), 1);
            m
        };
        vec![
            Box::new(make),
            Box::new(move || started(make())),
            Box::new(exchanging),
            Box::new(move || {
                let mut m = exchanging();
                exchange(&mut m, tokens(), 2);
                m
            }),
            Box::new(move || {
                let mut m = started(make());
                feed(&mut m, &format!("error=invalid_scope&state={STATE}"), 1);
                m
            }),
            Box::new(move || {
                let mut m = started(make());
                input(&mut m, Input::Cancel, 1);
                m
            }),
            Box::new(move || {
                let mut m = started(make());
                input(&mut m, Input::Timer(TimerKind::Deadline), 900);
                m
            }),
        ]
    }

    fn probes() -> Vec<Probe<AuthorizationMachine>> {
        use RequestKind::Exchange;
        let p = Probe::plain;
        let late = Probe::guarded;
        let mut probes = lifecycle_probes();
        probes.extend([
            p("exchange ok", |m| exchange(m, tokens(), NOW)),
            p("exchange transient", |m| exchange(m, json(503, ""), NOW)),
            late("exchange transient", "code expired", |m| {
                exchange(m, json(503, ""), CODE_EXPIRED)
            }),
            p("exchange fatal", |m| {
                exchange(m, json(400, r#"{"error":"invalid_grant"}"#), NOW)
            }),
            p("exchange fatal", |m| {
                exchange(m, json(400, r#"{"error":"invalid_request"}"#), NOW)
            }),
            p("redirect code", |m| {
                feed(m, &format!("code={CODE_ENCODED}&state={STATE}"), NOW)
            }),
            p("redirect user cancel", |m| {
                feed(m, &format!("error=access_denied&state={STATE}"), NOW)
            }),
            p("redirect user cancel", |m| {
                feed(m, &format!("error=Cancelled&state={STATE}"), NOW)
            }),
            p("redirect error", |m| {
                feed(m, &format!("error=invalid_scope&state={STATE}"), NOW)
            }),
            // Forged and malformed redirects change nothing: no edge.
            p("redirect forged", |m| {
                feed(m, &format!("code={CODE_ENCODED}&state=forged"), NOW)
            }),
            p("redirect forged", |m| feed(m, "error=access_denied", NOW)),
            p("redirect malformed", |m| {
                feed(m, &format!("code=a&error=b&state={STATE}"), NOW)
            }),
            p("exchange retry timer", |m| {
                input(m, Input::Timer(TimerKind::Retry(Exchange)), NOW)
            }),
            late("exchange retry timer", "code expired", |m| {
                input(m, Input::Timer(TimerKind::Retry(Exchange)), CODE_EXPIRED)
            }),
        ]);
        probes
    }

    #[test]
    fn the_readme_diagram_is_the_machine() {
        for make in [connect as fn() -> AuthorizationMachine, pkce] {
            let fixtures = fixtures(make);
            let (edges, pairs) = observe(&fixtures, |m| m.phase().name(), &probes());
            assert_eq!(pairs, fixtures.len() * probes().len());
            assert_matches(include_str!("README.md"), &edges);
        }
    }

    #[test]
    fn terminal_means_the_same_everywhere() {
        use crate::machine_kit::Machine;
        for fixture in fixtures(connect).iter().chain(&fixtures(pkce)) {
            let m = fixture();
            let terminal = Machine::is_terminal(&m);
            assert_eq!(m.state().is_terminal(), terminal, "{:?}", m.state());
            assert_eq!(m.outcome().is_some(), terminal, "{:?}", m.state());
        }
    }
}

/// Found by fuzzing (snapshot_restore): a snapshot whose authorize endpoint is not a URL was
/// restored, and `state()` of the flow waiting for the user then panicked building the
/// authorize URL. It is refused as an invalid snapshot instead.
#[test]
fn a_snapshot_with_a_broken_authorize_endpoint_is_refused() {
    let snapshot = started(connect()).snapshot().unwrap();
    let broken = snapshot.replace(
        "\"authorize_endpoint\":\"https://api.example.com/v1/oauth/connect\"",
        "\"authorize_endpoint\":\"not a url\"",
    );
    assert_ne!(broken, snapshot);
    assert!(matches!(
        AuthorizationMachine::restore(&creds(), &broken, FlowKind::AiiaConnect),
        Err(Error::InvalidSnapshot(_))
    ));
}
