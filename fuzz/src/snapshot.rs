//! Snapshot restore (target `snapshot_restore`).
//!
//! An input whose first non-blank byte is `{` is snapshot text: it goes to all three restores
//! as it is. Any other input is decoded with `arbitrary` into [`Mutations`]: one of the real
//! snapshots the machines write in each phase ([`base_snapshots`]), edited node by node
//! (values replaced with other types, timestamps, URLs, phase names; nodes removed; fields
//! added), then restored, with the partner credentials and (supervised logins) in relay mode.
//! A machine that restores is exercised: state, outcome, Debug, resume, a matching redirect with
//! a code, a status answer reporting another code, the deadline, cancel; after each step the
//! invariants of the machine targets hold (a finished flow is frozen, the last `State` effect
//! is `state()`, `outcome()` agrees, the snapshot is written, restores and re-encodes to the
//! same text), and a supervised login never exchanges the redirect's code (the status did not
//! report it) and exchanges the status's code only on that answer.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use obauth_protocol::authorization::{AuthorizationMachine, AuthorizationState};
use obauth_protocol::flow::{Flow, Input, RedirectOutcome, TimerKind};
use obauth_protocol::http::RequestKind;
use obauth_protocol::snapshot::FlowKind;
use obauth_protocol::supervised::{LoginState, SupervisedLoginMachine};
use obauth_protocol::timestamp::Timestamp;
use serde_json::Value;
use url::Url;

use crate::common::{self, creds, snapshot_of};

/// Edits to one of the base snapshots.
#[derive(Arbitrary, Debug)]
pub struct Mutations {
    /// Which base snapshot (modulo their number).
    pub base: u8,
    /// The edits, in order.
    pub edits: Vec<Edit>,
}

/// One edit; `at` picks a node (modulo the number of nodes, root excluded, in document order).
#[derive(Arbitrary, Debug)]
pub enum Edit {
    /// Replace the node.
    Set {
        /// Which node.
        at: u16,
        /// The new value.
        value: Val,
    },
    /// Remove the node from its object or array.
    Remove {
        /// Which node.
        at: u16,
    },
    /// Add (or replace) a field of the object at or above the node.
    Insert {
        /// Which node.
        at: u16,
        /// The field name, from [`KEYS`].
        key: u8,
        /// Its value.
        value: Val,
    },
}

/// A JSON value to put in.
#[derive(Arbitrary, Debug)]
pub enum Val {
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float (non-finite ones become `null` in JSON).
    Float(f64),
    /// Any text.
    Text(String),
    /// A timestamp as the snapshot format writes it.
    Time(i64),
    /// A word from [`WORDS`].
    Word(u8),
    /// `{}`
    Object,
    /// `[]`
    Array,
}

/// Field names the snapshot formats use.
pub const KEYS: &[&str] = &[
    "version",
    "kind",
    "flow",
    "phase",
    "client_id",
    "user_hash",
    "redirect_url",
    "poll_timeout_ms",
    "timeout_ms",
    "code_lifetime_ms",
    "deadline_at",
    "auth_url",
    "session_id",
    "via",
    "code",
    "received_at",
    "tokens",
    "error",
    "category",
    "message",
    "by",
    "access_token",
    "access_token_expires",
    "login",
    "token",
    "expires",
    "provider_id",
    "supports_unattended",
    "label",
    "subject_id",
    "completed_via",
    "authorize_endpoint",
    "token_endpoint",
    "redirect_uri",
    "redirect_pattern",
    "scope",
    "state",
    "nonce",
    "code_verifier",
    "consent_id",
    "token_type",
    "expires_at",
    "refresh_token",
    "id_token",
    "AiiaConnect",
    "Pkce",
    "accounts_group_name",
    "accounts_group_id",
    "live",
];

/// Values the snapshot formats use, and hostile ones.
pub const WORDS: &[&str] = &[
    "created",
    "initializing",
    "awaiting",
    "exchanging",
    "authenticated",
    "failed",
    "cancelled",
    "not_applicable",
    "timed_out",
    "redirect",
    "poll",
    "User",
    "Host",
    "InvalidInput",
    "RetryLater",
    "UserAction",
    "Reauthenticate",
    "Fatal",
    "supervised_login",
    "aiia_connect",
    "pkce",
    "Pkce",
    "AiiaConnect",
    "client-1",
    "client-2",
    "",
    " ",
    "Bearer",
    "https://app.example.com/aiia/callback",
    "https://mydomain.com/aiia-callback/*",
    "https://mydomain.com/aiia-callback/tenant-7",
    "https://app.example.com/cb",
    "https://api.example.com/v1/oauth/connect",
    "https://api.example.com/v1/oauth/token",
    "https://id.example.com/oidc/authorize",
    "http://127.0.0.1:8123/cb",
    "myapp://callback",
    "com.example.app:/oauth2redirect",
    "http://evil.example.com/cb",
    "https://*.evil.com/cb",
    "https://app.example.com/cb*",
    "javascript:alert(1)",
    "mailto:a@b.c",
    "not a url",
    "::",
    "https://bank.example.com/start?startToken=abc",
    "2030-01-23T13:30:07.138Z",
    "0000-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-23:59",
    "1970-01-01T00:00:00Z",
    "test-user-id",
    "openid",
    "accounts offline_access",
    "\u{0}",
    "\u{1F600}",
];

/// Real snapshots: every phase of every flow, as the machines write them.
pub fn base_snapshots() -> &'static [String] {
    static BASE: OnceLock<Vec<String>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut out = Vec::new();
        for script in crate::seeds::supervised_scripts() {
            if let Some(m) = crate::supervised::run(script.1.as_bytes()) {
                out.push(snapshot_of(&m));
            }
        }
        for script in crate::seeds::authorization_scripts() {
            if let Some((m, _)) = crate::authorization::run(script.1.as_bytes()) {
                out.push(snapshot_of(&m));
            }
        }
        out.sort();
        out.dedup();
        out
    })
}

/// The target's body.
pub fn fuzz(data: &[u8]) {
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        restore_all(&String::from_utf8_lossy(data));
        return;
    }
    let Ok(mutations) = Mutations::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let bases = base_snapshots();
    let base = &bases[usize::from(mutations.base) % bases.len()];
    let mut value: Value = serde_json::from_str(base).expect("a base snapshot is JSON");
    for edit in &mutations.edits {
        apply(&mut value, edit);
    }
    restore_all(&value.to_string());
}

fn to_json(v: &Val) -> Value {
    match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Int(i) => Value::from(*i),
        Val::UInt(u) => Value::from(*u),
        Val::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Val::Text(s) => Value::String(s.clone()),
        Val::Time(ms) => Value::String(Timestamp::from_unix_millis(*ms).to_rfc3339()),
        Val::Word(i) => Value::String(WORDS[usize::from(*i) % WORDS.len()].to_owned()),
        Val::Object => Value::Object(Default::default()),
        Val::Array => Value::Array(Vec::new()),
    }
}

/// JSON pointers of every node below the root, in document order.
fn pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(v, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{prefix}/{i}");
                out.push(p.clone());
                pointers(v, &p, out);
            }
        }
        _ => {}
    }
}

fn apply(root: &mut Value, edit: &Edit) {
    let mut all = Vec::new();
    pointers(root, "", &mut all);
    if all.is_empty() {
        return;
    }
    let pick = |at: u16| all[usize::from(at) % all.len()].clone();
    match edit {
        Edit::Set { at, value } => {
            if let Some(node) = root.pointer_mut(&pick(*at)) {
                *node = to_json(value);
            }
        }
        Edit::Remove { at } => {
            let p = pick(*at);
            let (parent, last) = p.rsplit_once('/').expect("a pointer has a slash");
            let last = last.replace("~1", "/").replace("~0", "~");
            match root.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&last);
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = last.parse::<usize>()
                        && i < items.len()
                    {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
        Edit::Insert { at, key, value } => {
            let mut p = pick(*at);
            loop {
                if let Some(Value::Object(map)) = root.pointer_mut(&p) {
                    map.insert(
                        KEYS[usize::from(*key) % KEYS.len()].to_owned(),
                        to_json(value),
                    );
                    return;
                }
                match p.rsplit_once('/') {
                    Some((parent, _)) => p = parent.to_owned(),
                    None => return,
                }
            }
        }
    }
}

/// Restores `text` as each kind of flow and exercises whatever restores.
pub fn restore_all(text: &str) {
    let c = creds();
    for supervised_creds in [c.clone(), common::relay_creds()] {
        if let Ok(m) = SupervisedLoginMachine::restore(supervised_creds.clone(), text) {
            exercise(
                m,
                move |t| SupervisedLoginMachine::restore(supervised_creds.clone(), t).ok(),
                LoginState::is_terminal,
                None,
                true,
            );
        }
    }
    for kind in [FlowKind::AiiaConnect, FlowKind::Pkce] {
        if let Ok(m) = AuthorizationMachine::restore(&c, text, kind) {
            let state = snapshot_state(text);
            exercise(
                m,
                move |t| AuthorizationMachine::restore(&creds(), t, kind).ok(),
                AuthorizationState::is_terminal,
                state,
                false,
            );
        }
    }
}

/// The `state` a snapshot of an authorization flow holds, for a redirect it accepts.
fn snapshot_state(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.pointer("/flow/state")?.as_str().map(str::to_owned)
}

/// The code the exercise's matching redirect carries.
const REDIRECT_CODE: &str = "fuzz+code/1=";
/// The code the exercise's status answer reports (another session's than the redirect's).
const STATUS_CODE: &str = "status-code-2";

/// Drives a restored machine through resume, a redirect, a status answer, the deadline and
/// cancel, checking the invariants after each step. `confirms_redirects`: a supervised login,
/// whose redirect is only a hint (its code is exchanged only if the status reports it).
pub fn exercise<F, R>(
    mut m: F,
    restore: R,
    is_terminal: fn(&F::State) -> bool,
    state_param: Option<String>,
    confirms_redirects: bool,
) where
    F: Flow + std::fmt::Debug,
    F::State: PartialEq,
    R: Fn(&str) -> Option<F>,
{
    let _ = format!("{m:?} {:?}", m.state());
    let _ = m.outcome();
    check_round_trip(&m, &restore);
    // A snapshot may already hold the redirect's code as the one being exchanged (the
    // fuzzer can write it there); re-sending that is no redirect being trusted.
    let holds_redirect_code = snapshot_of(&m).contains(REDIRECT_CODE);
    let redirect = {
        let mut url = m.redirect_pattern().url().clone();
        url.set_query(None);
        url.query_pairs_mut()
            .append_pair("code", REDIRECT_CODE)
            .append_pair("state", state_param.as_deref().unwrap_or("x"));
        url
    };
    let other = Url::parse("https://evil.example.com/aiia/callback?code=x").expect("fixture");
    let status = || Input::Response {
        kind: RequestKind::Status,
        result: common::response(
            200,
            &[],
            format!(r#"{{"state":"Succeeded","code":"{STATUS_CODE}"}}"#).as_bytes(),
        ),
    };
    let steps: [(i64, Option<Input>, Option<&Url>); 7] = [
        (0, Some(Input::Resume), None),
        (1, None, Some(&other)),
        (2, None, Some(&redirect)),
        (3, Some(Input::Resume), None),
        (4, Some(status()), None),
        (100_000, Some(Input::Timer(TimerKind::Deadline)), None),
        (100_001, Some(Input::Cancel), None),
    ];
    for (secs, input, url) in steps {
        let mono = common::mono_origin().plus(std::time::Duration::from_secs(secs as u64));
        let c = common::ctx(common::at_secs(secs), mono, 9);
        let before = m.state();
        let snapshot_before = snapshot_of(&m);
        let status_step = matches!(
            input,
            Some(Input::Response {
                kind: RequestKind::Status,
                ..
            })
        );
        let effects = match (input, url) {
            (Some(input), _) => m.handle(input, c),
            (None, Some(url)) => {
                let matches = m.redirect_pattern().matches(url);
                let (outcome, effects) = m.redirect(url, c);
                if !matches {
                    assert_eq!(outcome, RedirectOutcome::NotForThisFlow);
                    assert!(effects.is_empty());
                }
                effects
            }
            (None, None) => unreachable!(),
        };
        let _ = format!("{effects:?} {m:?}");
        if confirms_redirects {
            for request in common::sends(&effects) {
                if request.kind != RequestKind::Exchange {
                    continue;
                }
                let code = common::body_field(request, "code");
                assert!(
                    holds_redirect_code || code.as_deref() != Some(REDIRECT_CODE),
                    "a redirect's code the status did not report was exchanged"
                );
                if status_step {
                    assert_eq!(
                        code.as_deref(),
                        Some(STATUS_CODE),
                        "the status answer's code was not the one exchanged"
                    );
                }
            }
        }
        if is_terminal(&before) {
            assert!(effects.is_empty(), "a finished flow acted: {effects:?}");
            assert_eq!(snapshot_of(&m), snapshot_before, "a finished flow changed");
        }
        let state = m.state();
        if let Some(last) = common::last_state(&effects) {
            assert!(last == state, "the last State effect is not state()");
        }
        assert_eq!(m.outcome().is_some(), is_terminal(&state));
        common::check_timers(&effects, None, None);
        check_round_trip(&m, &restore);
    }
}

/// The snapshot of a restored machine restores again and re-encodes to the same text.
fn check_round_trip<F: Flow, R: Fn(&str) -> Option<F>>(m: &F, restore: &R) {
    let text = snapshot_of(m);
    let again = restore(&text).unwrap_or_else(|| panic!("a snapshot does not restore:\n{text}"));
    assert_eq!(
        snapshot_of(&again),
        text,
        "a restored snapshot re-encodes differently"
    );
}
