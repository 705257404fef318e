//! Token endpoint answers, discovery documents, provider error bodies and token renewal.
//!
//! Input: a first line naming the mode, then the body (the rest of the input):
//! - `token exchange|refresh [NOW_SECS]`: `parse_token_response`; an accepted token is
//!   non-empty, expires no earlier than now, and stores and reloads unchanged (`to_json`);
//! - `tokenset`: `TokenSet::from_json` (stored tokens); what loads re-stores identically;
//! - `discovery ISSUER`: `discovery::parse`; an accepted document names the issuer asked for
//!   and only HTTPS (or loopback) endpoints;
//! - `error STATUS KIND`: `http::classify` + `oauth_failure` + `provider_error_code`; error
//!   codes are short and printable only;
//! - `renewal refresh|refresh-expired|client-credentials|session`: the renewal machine, each
//!   further line one answer (`STATUS BODY`, `timeout`, `network`); it ends within its retry
//!   budget and only renews with a token.
//!
//! Any other first line: the whole input goes through every parser.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use obauth_fuzz::common::{self, number};
use obauth_protocol::backoff::RetryPolicy;
use obauth_protocol::error::Error;
use obauth_protocol::flow::Ctx;
use obauth_protocol::http::{HttpResponse, RequestKind, classify, provider_error_code};
use obauth_protocol::oauth::{
    ClientAuth, TokenEndpoint, TokenSet, TokenWire, discovery, oauth_failure, parse_token_response,
};
use obauth_protocol::renewal::{
    RENEWAL_ATTEMPTS, Renewal, RenewalMachine, RenewalOutcome, RenewalStep,
};
use obauth_protocol::secret::Secret;
use obauth_protocol::session::AccessSession;
use obauth_protocol::timestamp::Timestamp;
use obauth_protocol::validate;
use url::Url;

fn ok(body: &[u8]) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: body.to_vec(),
    }
}

fn check_stored(t: &TokenSet) {
    let json = t.to_json().expect("a parsed token set writes");
    let back = TokenSet::from_json(&json)
        .unwrap_or_else(|e| panic!("a stored token set does not load: {e}\n{json}"));
    assert_eq!(&back, t, "a token set changed through storage");
    assert_eq!(back.to_json().expect("a read token set writes"), json);
}

fn token(kind: RequestKind, body: &[u8], now: Timestamp) {
    if let Ok(t) = parse_token_response(kind, &ok(body), now) {
        assert!(!t.access_token.is_empty());
        assert!(t.expires_at.is_none_or(|at| at >= now));
        assert!(t.refresh_token.as_ref().is_none_or(|r| !r.is_empty()));
        let _ = (t.authorization(), t.expires_in(now), format!("{t:?}"));
        check_stored(&t);
    }
}

fn tokenset(body: &[u8]) {
    if let Ok(t) = TokenSet::from_json(&String::from_utf8_lossy(body)) {
        check_stored(&t);
    }
}

fn discover(issuer: &str, body: &[u8]) {
    let Ok(issuer) = Url::parse(issuer.trim()) else {
        return;
    };
    let _ = discovery::request(&issuer, Duration::from_secs(5));
    if let Ok(meta) = discovery::parse(&issuer, &ok(body)) {
        assert_eq!(
            meta.issuer.trim_end_matches('/'),
            issuer.as_str().trim_end_matches('/')
        );
        assert!(validate::service_url("t", &meta.token_endpoint, false).is_ok());
        if let Some(a) = &meta.authorization_endpoint {
            assert!(validate::service_url("a", a, false).is_ok());
        }
    }
}

fn error(status: u16, kind: RequestKind, body: &[u8]) {
    let now = common::at_secs(0);
    let response = HttpResponse {
        status,
        headers: Vec::new(),
        body: body.to_vec(),
    };
    if let Some(code) = provider_error_code(body) {
        assert!(!code.is_empty() && code.chars().count() <= 64);
        assert!(
            code.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-. ".contains(c)),
            "{code:?}"
        );
        assert_eq!(code, code.trim());
    }
    match classify(kind, Ok(response), now) {
        Ok(r) => assert!((200..300).contains(&r.status)),
        Err(f) => {
            assert!(!(200..300).contains(&status));
            let f = oauth_failure(f);
            let e = &f.error;
            let _ = (
                e.to_string(),
                e.category(),
                e.code(),
                e.is_transient(),
                format!("{e:?}"),
            );
            if *e == Error::InvalidGrant {
                assert!((400..500).contains(&status));
            }
        }
    }
}

fn endpoint() -> TokenEndpoint {
    TokenEndpoint {
        url: Url::parse("https://id.example.com/connect/token").expect("fixture"),
        wire: TokenWire::Form(ClientAuth::Basic),
        client_id: common::CLIENT_ID.into(),
        client_secret: Some(Secret::new(common::CLIENT_SECRET)),
        timeout: Duration::from_secs(10),
    }
}

fn renewal(variant: &str, answers: &[u8]) {
    let now = common::at_secs(0);
    let current = |expires_secs: i64| TokenSet {
        access_token: Secret::new("old-access"),
        token_type: "Bearer".into(),
        expires_at: Some(common::at_secs(expires_secs)),
        refresh_token: Some(Secret::new("rt-1")),
        scope: None,
        id_token: Some(Secret::new("old-id-token")),
        consent_id: Some("consent-1".into()),
        issued_at: None,
    };
    let (how, current) = match variant {
        "client-credentials" => (
            Renewal::ClientCredentials {
                endpoint: endpoint(),
                scope: Some("accounts".into()),
            },
            None,
        ),
        "session" => (
            Renewal::Session(AccessSession::new(Secret::new("s"), common::at_secs(60))),
            Some(current(60)),
        ),
        "refresh-expired" => (Renewal::RefreshToken(endpoint()), Some(current(-5))),
        _ => (Renewal::RefreshToken(endpoint()), Some(current(3600))),
    };
    let had_current = current.is_some();
    let mut m = RenewalMachine::new(&how, current, RetryPolicy::default());
    let mut step = m.start(now);
    let mut sends = 0u32;
    let mut lines = answers.split(|b| *b == b'\n').enumerate();
    loop {
        step = match step {
            RenewalStep::Send(request) => {
                sends += 1;
                assert!(
                    sends <= RENEWAL_ATTEMPTS,
                    "more than {RENEWAL_ATTEMPTS} attempts"
                );
                assert!(matches!(
                    request.kind,
                    RequestKind::Refresh | RequestKind::ClientCredentials
                ));
                let Some((i, line)) = lines.next() else {
                    return;
                };
                let (status, body) = obauth_fuzz::script::word(line);
                let result = match status {
                    "timeout" | "network" | "refused" => common::transport_failure(status),
                    s => common::response(number(s).unwrap_or(200), &[], body),
                };
                let ctx = Ctx {
                    now: common::at_secs(i as i64),
                    mono: common::mono_origin().plus(Duration::from_secs(i as u64)),
                    entropy: 5,
                };
                m.on_response(result, ctx)
            }
            RenewalStep::Wait(delay) => {
                assert!(delay <= common::MAX_RETRY_DELAY);
                m.on_retry_timer()
            }
            RenewalStep::Done(outcome) => {
                match &outcome {
                    RenewalOutcome::Renewed(t) => {
                        assert!(!t.access_token.is_empty());
                        check_stored(t);
                    }
                    RenewalOutcome::KeptCurrent(t) => {
                        assert!(had_current);
                        assert_eq!(t.access_token.expose(), "old-access");
                    }
                    RenewalOutcome::Reauthenticate(e) | RenewalOutcome::Failed(e) => {
                        let _ = e.to_string();
                    }
                }
                return;
            }
        };
    }
}

fuzz_target!(init: obauth_fuzz::maybe_write_seeds("token_and_discovery"), |data: &[u8]| {
    let (first, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let first = String::from_utf8_lossy(first);
    let mut words = first.split(' ');
    let mode = words.next().unwrap_or_default();
    let arg1 = words.next().unwrap_or_default();
    let arg2 = words.next().unwrap_or_default();
    match mode {
        "token" => {
            let kind = common::request_kind(arg1).unwrap_or(RequestKind::Exchange);
            let now = common::at_secs(number(arg2).unwrap_or(0));
            token(kind, body, now);
        }
        "tokenset" => tokenset(body),
        "discovery" => discover(arg1, body),
        "error" => error(
            number(arg1).unwrap_or(400),
            common::request_kind(arg2).unwrap_or(RequestKind::Exchange),
            body,
        ),
        "renewal" => renewal(arg1, body),
        _ => {
            let now = common::at_secs(0);
            token(RequestKind::Exchange, data, now);
            tokenset(data);
            discover("https://id.example.com/oidc", data);
            error(400, RequestKind::Exchange, data);
        }
    }
});
