//! Transition tests for the authorization-code machine.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use super::*;
use crate::config::{ClientConfig, Credentials};
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

/// A public client's credentials: the API root is the issuer (as `OidcClient` builds them).
fn oidc_creds() -> Credentials {
    ClientConfig::new("https://id.example.com/oidc", "client-1", "secret-1")
        .validate()
        .unwrap()
}

/// A connect flow with PKCE switched off (for a provider that rejects it).
fn connect_without_pkce() -> AuthorizationMachine {
    let mut p = params();
    p.pkce = false;
    AuthorizationMachine::aiia_connect(&creds(), p, Some("Group A".into()), None, secrets())
        .unwrap()
}

fn pkce() -> AuthorizationMachine {
    pkce_for(AuthorizationParams::new("https://app.example.com/cb"))
}

fn pkce_for(params: AuthorizationParams) -> AuthorizationMachine {
    pkce_at(&oidc_creds(), params).unwrap()
}

/// A PKCE flow of `creds` at the id.example.com endpoints.
fn pkce_at(
    creds: &Credentials,
    params: AuthorizationParams,
) -> Result<AuthorizationMachine, Error> {
    AuthorizationMachine::pkce(
        creds,
        Url::parse("https://id.example.com/oidc/authorize").unwrap(),
        Url::parse("https://id.example.com/oidc/token").unwrap(),
        params,
        secrets(),
    )
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

/// Starts `m`: the authorize URL of the `AwaitingUser` state it enters, and the effects.
fn start_at_authorize(m: &mut AuthorizationMachine) -> (Url, Vec<Effect<AuthorizationState>>) {
    let fx = m.handle(Input::Start, at(0));
    let AuthorizationState::AwaitingUser { authorize_url } = &states(&fx)[0] else {
        panic!()
    };
    (Url::parse(authorize_url).unwrap(), fx)
}

fn started(mut m: AuthorizationMachine) -> AuthorizationMachine {
    m.handle(Input::Start, at(0));
    m
}

#[test]
fn connect_authorize_url_has_every_parameter() {
    let mut m = connect_without_pkce();
    let (url, fx) = start_at_authorize(&mut m);
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
    let mut m = started(connect_without_pkce());
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
    let cancelled = format!("error=access_denied&error_description=User%20said%20no&state={STATE}");
    let (outcome, fx) = redirect(&mut m, &cancelled);
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
    let refused = format!("error=invalid_scope&error_description=bad%20scope&state={STATE}");
    assert_eq!(
        redirect(&mut m, &refused).0,
        RedirectOutcome::ProviderError(Error::AuthorizationError {
            code: "invalid_scope".into(),
            description: Some("bad scope".into())
        })
    );
    assert_eq!(
        crate::test_support::ended_as(&m),
        crate::error::ErrorCategory::Fatal
    );
}

/// Aiia Data: the user cancels or the bank fails, and the provider redirects with only `state`.
/// The flow ends at once with `StartAgain`; the same redirect with a forged or missing state is
/// still refused as forged, and the flow goes on waiting.
#[test]
fn a_redirect_without_code_ends_the_connect_flow_with_start_again() {
    let mut m = started(connect());
    for forged in ["state=forged", "", "consentId=c"] {
        let (outcome, fx) = redirect(&mut m, forged);
        assert_eq!(
            outcome,
            RedirectOutcome::Rejected(Error::StateMismatch),
            "{forged}"
        );
        assert!(fx.is_empty());
    }
    assert!(!crate::machine_kit::Machine::is_terminal(&m));

    let (outcome, fx) = redirect(&mut m, &format!("state={STATE}"));
    assert_eq!(outcome, RedirectOutcome::ProviderError(Error::StartAgain));
    assert!(sent(&fx).is_empty(), "nothing is exchanged");
    assert_eq!(
        states(&fx),
        vec![AuthorizationState::Failed {
            error: Error::StartAgain.into()
        }]
    );
    let error = m.outcome().unwrap().unwrap_err();
    assert_eq!(error, Error::StartAgain);
    assert_eq!(error.category(), crate::error::ErrorCategory::UserAction);
    assert_eq!(error.code(), "start_again");
    // A later redirect, even with a code, changes nothing.
    assert_eq!(
        redirect(&mut m, &format!("code=x&state={STATE}")).0,
        RedirectOutcome::Ignored(crate::flow::IgnoredReason::FlowFinished)
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
        crate::test_support::ended_as(&m),
        crate::error::ErrorCategory::Reauthenticate
    );
}

fn id_token(nonce: &str, aud: &str, exp: i64) -> String {
    let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.sig",
        enc(serde_json::json!({"alg": "HS256", "typ": "JWT"})),
        enc(
            serde_json::json!({"nonce": nonce, "aud": aud, "exp": exp, "iss": "https://id.example.com/oidc", "sub": "u", "iat": exp - 3600})
        )
    )
}

#[test]
fn pkce_sends_the_challenge_and_the_verifier_and_checks_the_nonce() {
    let mut m = pkce();
    let q = authorize_query(&mut m);
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
                crate::test_support::ended_as(&m),
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
        CODE_EXPIRED, NOW, Probe, assert_matches, assert_terminal_agrees, input, lifecycle_probes,
        observe,
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
            p("redirect without code", |m| {
                feed(m, &format!("state={STATE}"), NOW)
            }),
            // A redirect without a code but with a forged or missing state is a forged one.
            p("redirect forged", |m| feed(m, "state=forged", NOW)),
            p("redirect forged", |m| feed(m, "", NOW)),
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
        for fixture in fixtures(connect).iter().chain(&fixtures(pkce)) {
            assert_terminal_agrees(&fixture(), AuthorizationState::is_terminal);
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

fn authorize_query(m: &mut AuthorizationMachine) -> std::collections::HashMap<String, String> {
    start_at_authorize(m).0.query_pairs().into_owned().collect()
}

#[test]
fn the_redirect_uri_is_sent_exactly_as_configured() {
    let mut m = pkce_for(AuthorizationParams::new("https://app.example.com"));
    assert_eq!(
        authorize_query(&mut m)["redirect_uri"],
        "https://app.example.com"
    );
    let (outcome, fx) = m.redirect(
        &Url::parse(&format!("https://app.example.com/?code=c1&state={STATE}")).unwrap(),
        at(1),
    );
    assert_eq!(outcome, RedirectOutcome::CodeAccepted);
    let body = sent(&fx)[0].body.as_ref().unwrap().1.expose().to_owned();
    assert!(
        body.contains("redirect_uri=https%3A%2F%2Fapp.example.com&"),
        "{body}"
    );
}

#[test]
fn no_nonce_without_openid() {
    let mut params = AuthorizationParams::new("https://app.example.com/cb");
    params.scope = Some("api.read offline_access".into());
    let q = authorize_query(&mut pkce_for(params));
    assert!(!q.contains_key("nonce"), "{q:?}");
    assert!(q.contains_key("code_challenge"));
    assert_eq!(authorize_query(&mut pkce())["nonce"], "nonce-123");
}

#[test]
fn error_description_is_form_decoded() {
    let mut m = started(pkce());
    let (outcome, _) = m.redirect(
        &Url::parse(&format!(
            "https://app.example.com/cb?error=invalid_scope&error_description=the+scope+is+unknown&state={STATE}"
        ))
        .unwrap(),
        at(1),
    );
    assert_eq!(
        outcome,
        RedirectOutcome::ProviderError(Error::AuthorizationError {
            code: "invalid_scope".into(),
            description: Some("the scope is unknown".into())
        })
    );
}

#[test]
fn rfc9207_iss_is_checked_and_required_when_promised() {
    let redirect_with = |m: &mut AuthorizationMachine, extra: &str| {
        m.redirect(
            &Url::parse(&format!(
                "https://app.example.com/cb?code=c1&state={STATE}{extra}"
            ))
            .unwrap(),
            at(1),
        )
        .0
    };
    // A wrong issuer is refused whether or not the provider promised `iss`.
    for required in [false, true] {
        let mut m = started(pkce().requiring_response_iss(required));
        let outcome = redirect_with(&mut m, "&iss=https%3A%2F%2Fevil.example.com");
        assert!(
            matches!(
                outcome,
                RedirectOutcome::Rejected(Error::InvalidRedirect(_))
            ),
            "{outcome:?}"
        );
        // The genuine redirect still completes the flow.
        let outcome = redirect_with(&mut m, "&iss=https%3A%2F%2Fid.example.com%2Foidc");
        assert_eq!(outcome, RedirectOutcome::CodeAccepted);
    }
    // Missing: refused only when promised.
    let mut m = started(pkce().requiring_response_iss(true));
    assert!(matches!(
        redirect_with(&mut m, ""),
        RedirectOutcome::Rejected(Error::InvalidRedirect(_))
    ));
    let mut m = started(pkce());
    assert_eq!(redirect_with(&mut m, ""), RedirectOutcome::CodeAccepted);
    // The requirement survives a snapshot.
    let m = started(pkce().requiring_response_iss(true));
    let mut restored =
        AuthorizationMachine::restore(&oidc_creds(), &m.snapshot().unwrap(), FlowKind::Pkce)
            .unwrap();
    assert!(matches!(
        redirect_with(&mut restored, ""),
        RedirectOutcome::Rejected(Error::InvalidRedirect(_))
    ));
}

#[test]
fn the_id_token_must_come_from_this_issuer_and_carry_iat() {
    let exchange = |token: String| {
        let mut m = started(pkce());
        m.redirect(
            &Url::parse(&format!("https://app.example.com/cb?code=c1&state={STATE}")).unwrap(),
            at(1),
        );
        m.handle(
            Input::Response {
                kind: RequestKind::Exchange,
                result: json(
                    200,
                    &format!(r#"{{"access_token":"A","expires_in":60,"id_token":"{token}"}}"#),
                ),
            },
            at(2),
        );
        m.outcome().unwrap()
    };
    let exp = 1_700_000_000 + 3600;
    assert!(exchange(id_token("nonce-123", "client-1", exp)).is_ok());
    let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let token = |claims: serde_json::Value| format!("h.{}.s", enc(claims));
    for claims in [
        serde_json::json!({"nonce":"nonce-123","aud":"client-1","exp":exp,"iat":exp-60,"sub":"u","iss":"https://evil.example.com"}),
        serde_json::json!({"nonce":"nonce-123","aud":"client-1","exp":exp,"sub":"u","iss":"https://id.example.com/oidc"}),
        serde_json::json!({"nonce":"nonce-123","aud":["client-1","other"],"exp":exp,"iat":exp-60,"sub":"u","iss":"https://id.example.com/oidc"}),
        serde_json::json!({"nonce":"nonce-123","aud":"client-1","azp":"other","exp":exp,"iat":exp-60,"sub":"u","iss":"https://id.example.com/oidc"}),
    ] {
        let e = exchange(token(claims.clone())).expect_err(&claims.to_string());
        assert!(matches!(e, Error::MalformedResponse { .. }), "{e:?}");
    }
}

// --- Extra authorize parameters (OIDC Core §3.1.2.1, §11) -------------------------------------

fn pkce_with(params: AuthorizationParams) -> Result<AuthorizationMachine, Error> {
    pkce_at(&creds(), params)
}

fn authorize_pairs(m: &AuthorizationMachine) -> Vec<(String, String)> {
    Url::parse(&m.authorize_url())
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn values<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn pkce_with_offline_access_asks_for_consent_unless_a_prompt_is_chosen() {
    let mut p = AuthorizationParams::new("https://app.example.com/cb");
    p.scope = Some("openid offline_access".into());
    let pairs = authorize_pairs(&pkce_with(p.clone()).unwrap());
    assert_eq!(values(&pairs, "prompt"), ["consent"]);

    p.extras.prompt = Some("login consent".into());
    let pairs = authorize_pairs(&pkce_with(p).unwrap());
    assert_eq!(values(&pairs, "prompt"), ["login consent"]);

    // No offline_access: no prompt.
    assert!(values(&authorize_pairs(&pkce()), "prompt").is_empty());
    // Aiia's connect flow (default scope `accounts offline_access`) is not OpenID Connect.
    assert!(values(&authorize_pairs(&connect()), "prompt").is_empty());
}

#[test]
fn extras_are_sent_once_after_the_flows_own_and_survive_a_snapshot() {
    let mut p = AuthorizationParams::new("https://app.example.com/cb");
    p.extras.login_hint = Some("jane+bank@example.com".into());
    p.extras.ui_locales = Some("da en".into());
    p.extras.max_age_seconds = Some(0);
    p.extras.acr_values = Some("urn:bank:strong".into());
    p.extras
        .params
        .insert("audience".into(), "https://api.example.com".into());
    let m = started(pkce_with(p).unwrap());
    let pairs = authorize_pairs(&m);
    assert_eq!(values(&pairs, "login_hint"), ["jane+bank@example.com"]);
    assert_eq!(values(&pairs, "ui_locales"), ["da en"]);
    assert_eq!(values(&pairs, "max_age"), ["0"]);
    assert_eq!(values(&pairs, "acr_values"), ["urn:bank:strong"]);
    assert_eq!(values(&pairs, "audience"), ["https://api.example.com"]);
    assert_eq!(values(&pairs, "state"), [STATE]);
    assert!(values(&pairs, "prompt").is_empty());

    let restored =
        AuthorizationMachine::restore(&creds(), &m.snapshot().unwrap(), FlowKind::Pkce).unwrap();
    assert_eq!(restored.authorize_url(), m.authorize_url());
}

#[test]
fn an_extra_that_would_override_the_flows_own_is_refused_at_construction() {
    for name in [
        "state",
        "code_challenge",
        "redirect_uri",
        "client_id",
        "nonce",
        "Scope",
    ] {
        let mut p = AuthorizationParams::new("https://app.example.com/cb");
        p.extras.params.insert(name.into(), "evil".into());
        let err = pkce_with(p).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::InvalidInput {
                    field: "authorizeParams",
                    ..
                }
            ),
            "{name}: {err:?}"
        );
    }
    let mut p = params();
    p.extras
        .params
        .insert("response_type".into(), "token".into());
    assert!(matches!(
        AuthorizationMachine::aiia_connect(&creds(), p, None, None, secrets()),
        Err(Error::InvalidInput { .. })
    ));
}

#[test]
fn a_snapshot_whose_extras_override_the_flows_own_is_refused() {
    let mut p = AuthorizationParams::new("https://app.example.com/cb");
    p.extras.params.insert("audience".into(), "x".into());
    let snapshot = started(pkce_with(p).unwrap()).snapshot().unwrap();
    assert!(snapshot.contains("\"audience\""), "{snapshot}");
    let forged = snapshot.replace("\"audience\"", "\"state\"");
    assert!(matches!(
        AuthorizationMachine::restore(&creds(), &forged, FlowKind::Pkce),
        Err(Error::InvalidSnapshot(_))
    ));
}
// --- Defence tests of issue 10 (#1 restored snapshots, #12 PKCE and redirect schemes) --------

fn body_of(req: &HttpRequest) -> serde_json::Value {
    serde_json::from_str(req.body.as_ref().unwrap().1.expose()).unwrap()
}

#[test]
fn connect_sends_s256_pkce_by_default_and_keeps_it_across_a_restore() {
    let mut m = connect();
    let q = authorize_query(&mut m);
    let verifier = secrets().verifier;
    assert_eq!(
        q["code_challenge"],
        crate::oauth::s256_challenge(verifier.expose())
    );
    assert_eq!(q["code_challenge_method"], "S256");
    // The verifier goes with the code, also from a restored flow.
    let mut restored =
        AuthorizationMachine::restore(&creds(), &m.snapshot().unwrap(), FlowKind::AiiaConnect)
            .unwrap();
    restored.handle(Input::Resume, at(1));
    let (_, fx) = redirect(&mut restored, &format!("code={CODE_ENCODED}&state={STATE}"));
    assert_eq!(body_of(sent(&fx)[0])["code_verifier"], verifier.expose());
    // Switched off: neither challenge nor verifier.
    let mut off = started(connect_without_pkce());
    let (_, fx) = redirect(&mut off, &format!("code={CODE_ENCODED}&state={STATE}"));
    assert!(body_of(sent(&fx)[0]).get("code_verifier").is_none());
    // The PKCE flow cannot switch it off.
    let mut p = AuthorizationParams::new("https://app.example.com/cb");
    p.pkce = false;
    assert!(matches!(pkce_with(p), Err(Error::InvalidInput { .. })));
}

#[test]
fn custom_scheme_redirects_need_the_opt_in() {
    let custom = || {
        let mut p = AuthorizationParams::new("myapp://callback/aiia");
        p.redirect_pattern = None;
        p
    };
    let refused = AuthorizationMachine::aiia_connect(&creds(), custom(), None, None, secrets());
    assert!(
        matches!(&refused, Err(Error::InvalidInput { field, .. }) if *field == "redirectUri"),
        "{refused:?}"
    );
    let mut config = ClientConfig::new("https://api.example.com", "client-1", "secret-1");
    config.allow_custom_scheme_redirects = true;
    let opted_in = config.validate().unwrap();
    let m = AuthorizationMachine::aiia_connect(&opted_in, custom(), None, None, secrets()).unwrap();
    // Its snapshot does not restore into a client that did not opt in.
    let snapshot = started(m).snapshot().unwrap();
    assert!(matches!(
        AuthorizationMachine::restore(&creds(), &snapshot, FlowKind::AiiaConnect),
        Err(Error::InvalidSnapshot(_))
    ));
    assert!(AuthorizationMachine::restore(&opted_in, &snapshot, FlowKind::AiiaConnect).is_ok());
}

#[test]
fn a_restored_snapshot_must_agree_with_the_client_configuration() {
    let snapshot = started(connect()).snapshot().unwrap();
    assert!(AuthorizationMachine::restore(&creds(), &snapshot, FlowKind::AiiaConnect).is_ok());
    let edits = [
        // The attack of defect 1: the code and the client secret would go to this host.
        (
            "https://api.example.com/v1/oauth/token",
            "https://evil.example.com/v1/oauth/token",
        ),
        (
            "https://api.example.com/v1/oauth/connect",
            "https://evil.example.com/v1/oauth/connect",
        ),
        (
            "https://api.example.com/v1/oauth/token",
            "http://api.example.com/v1/oauth/token",
        ),
        (REDIRECT, "myapp://callback"),
        (PATTERN, "https://evil.example.com/*"),
        ("\"timeout_ms\":900000", "\"timeout_ms\":0"),
    ];
    for (from, to) in edits {
        assert!(snapshot.contains(from), "{from}");
        let edited = snapshot.replace(from, to);
        let result = AuthorizationMachine::restore(&creds(), &edited, FlowKind::AiiaConnect);
        assert!(
            matches!(result, Err(Error::InvalidSnapshot(_))),
            "{from} -> {to}: {result:?}"
        );
    }
    // Another API root: the snapshot's endpoints are not this client's.
    let other = ClientConfig::new("https://api.other.example", "client-1", "secret-1")
        .validate()
        .unwrap();
    assert!(matches!(
        AuthorizationMachine::restore(&other, &snapshot, FlowKind::AiiaConnect),
        Err(Error::InvalidSnapshot(_))
    ));
    // PKCE endpoints must be https.
    let pkce_snapshot = started(pkce()).snapshot().unwrap();
    let edited = pkce_snapshot.replace(
        "https://id.example.com/oidc/token",
        "http://id.example.com/t",
    );
    assert!(matches!(
        AuthorizationMachine::restore(&creds(), &edited, FlowKind::Pkce),
        Err(Error::InvalidSnapshot(_))
    ));
}

#[test]
fn with_an_integrity_key_only_an_untouched_sealed_snapshot_restores() {
    let key = "integrity-key-from-the-keystore-0123456789";
    let mut config = ClientConfig::new("https://api.example.com", "client-1", "secret-1");
    config.snapshot_key = Some(Secret::new(key));
    let keyed = config.validate().unwrap();
    let m = started(
        AuthorizationMachine::aiia_connect(&keyed, params(), None, None, secrets()).unwrap(),
    );
    let sealed = m.snapshot().unwrap();
    assert!(sealed.starts_with(r#"{"sealed":"hmac-sha256""#), "{sealed}");
    assert!(!sealed.contains(key));
    assert!(AuthorizationMachine::restore(&keyed, &sealed, FlowKind::AiiaConnect).is_ok());
    // An edit that every configuration check accepts (the scope) is still refused.
    let edited = sealed.replace("accounts offline_access", "accounts");
    assert_ne!(edited, sealed);
    assert!(matches!(
        AuthorizationMachine::restore(&keyed, &edited, FlowKind::AiiaConnect),
        Err(Error::InvalidSnapshot(_))
    ));
    // Without the key it cannot be checked; an unsealed snapshot is refused with the key.
    assert!(matches!(
        AuthorizationMachine::restore(&creds(), &sealed, FlowKind::AiiaConnect),
        Err(Error::InvalidSnapshot(_))
    ));
    let plain = started(connect()).snapshot().unwrap();
    assert!(matches!(
        AuthorizationMachine::restore(&keyed, &plain, FlowKind::AiiaConnect),
        Err(Error::InvalidSnapshot(_))
    ));
    // A short key is refused when the client is configured.
    let mut short = ClientConfig::new("https://api.example.com", "client-1", "secret-1");
    short.snapshot_key = Some(Secret::new("short"));
    assert!(matches!(
        short.validate(),
        Err(Error::InvalidInput { field, .. }) if field == "snapshotKey"
    ));
}

#[test]
fn overlong_timeouts_are_refused_not_wrapped() {
    for (timeout, code_lifetime) in [
        (Duration::MAX, Duration::from_secs(60)),
        (Duration::from_secs(60), Duration::MAX),
        // 2^64 ms + 5 ms: `as u64` made this five milliseconds.
        (
            Duration::from_millis(u64::MAX) + Duration::from_millis(6),
            Duration::from_secs(60),
        ),
    ] {
        let mut p = params();
        p.timeout = timeout;
        p.code_lifetime = code_lifetime;
        let result = AuthorizationMachine::aiia_connect(&creds(), p, None, None, secrets());
        assert!(
            matches!(result, Err(Error::InvalidInput { .. })),
            "{timeout:?}: {result:?}"
        );
    }
    assert_eq!(crate::timestamp::whole_millis(Duration::MAX), u64::MAX);
    let mut config = ClientConfig::new("https://api.example.com", "client-1", "secret-1");
    config.request_timeout = Duration::MAX;
    assert!(config.validate().is_err());
}

/// A PKCE flow's endpoints pass the rule a restored snapshot's must pass (found by fuzzing: a
/// flow built with `http://user:pw@host/` as its token endpoint wrote a snapshot that its own
/// restore refused).
#[test]
fn pkce_endpoints_must_be_service_urls_when_built() {
    let good = Url::parse("https://id.example.com/oidc/authorize").unwrap();
    for (authorize, token) in [
        (good.as_str(), "http://id.example.com/oidc/token"),
        (good.as_str(), "http://localhost:secret@t/"),
        (
            "https://user:pw@id.example.com/oidc/authorize",
            "https://id.example.com/t",
        ),
        (
            "http://bank.example.com/authorize",
            "https://id.example.com/t",
        ),
    ] {
        let built = AuthorizationMachine::pkce(
            &oidc_creds(),
            Url::parse(authorize).unwrap(),
            Url::parse(token).unwrap(),
            AuthorizationParams::new("https://app.example.com/cb"),
            secrets(),
        );
        assert!(
            matches!(&built, Err(Error::InvalidInput { .. })),
            "{authorize} {token}: {:?}",
            built.map(|_| ())
        );
    }
}
