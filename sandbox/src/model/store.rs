//! The sandbox's shared state: sessions, codes, tokens, user scripts and request counters.
//!
//! Everything lives in one plain struct behind one `std::sync::Mutex` (see `state.rs`): requests
//! are few and short, and a single lock makes every transition atomic — there is no window in
//! which a code exists but its session is still `InProgress`, or in which two exchanges of the
//! same code can both succeed. The lock is never held across an `.await`: a long poll takes a
//! `watch` receiver under the lock and waits on it after releasing it.
//!
//! Timed user scripts (`ApproveAfter` and friends) are applied lazily: a session carries its
//! creation instant and its script, and every read first "settles" it, applying the scripted
//! outcome as of its deadline if that has passed. Long polls sleep until the earlier of their own
//! timeout and the scripted deadline, so they still wake on time. This needs no background tasks
//! (nothing to cancel on shutdown) and makes the outcome time exact: `succeeded_at` and the code's
//! issue time are the scripted deadline, not whenever someone happened to look.
//!
//! All methods take `now` from the caller so the logic can be tested without sleeping.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use url::Url;

use crate::clock::later;
use crate::crypto::tokens;
use crate::model::correlation::{CorrelationRecord, LOG_LIMIT};
use crate::model::endpoint::Endpoint;
use crate::model::oauth_store::OAuthStore;
use crate::model::session::{SessionInfo, SessionState};
use crate::model::stats::Stats;
use crate::model::user::{Outcome, UserScript};

/// One supervised-login session.
#[derive(Debug)]
struct Session {
    id: String,
    user_hash: String,
    redirect_url: Url,
    state: SessionState,
    script: UserScript,
    created_at: Instant,
    succeeded_at: Option<Instant>,
    /// The code issued on success. It stays here after exchange or expiry so the status endpoint
    /// keeps reporting it (see `routes/enterprise.rs`); validity is tracked in `Store::codes`.
    code: Option<String>,
    exchanges: u32,
    /// Bumped on every state change; long polls wait on a receiver of it.
    changed: watch::Sender<()>,
    account_id: String,
}

impl Session {
    /// The scripted outcome and when it happens, if the script is a timed one.
    fn scripted(&self) -> Option<(Instant, Outcome)> {
        let (delay, outcome) = match self.script {
            UserScript::ApproveAfter(d) => (d, Outcome::Approve),
            UserScript::FailAfter(d) => (d, Outcome::Fail),
            UserScript::CancelAfter(d) => (d, Outcome::Cancel),
            UserScript::NotApplicableAfter(d) => (d, Outcome::NotApplicable),
            UserScript::WaitForPage | UserScript::NeverFinish => return None,
        };
        Some((later(self.created_at, delay), outcome))
    }

    fn info(&self) -> SessionInfo {
        SessionInfo {
            session_id: self.id.clone(),
            user_hash: self.user_hash.clone(),
            state: self.state,
            created_at: self.created_at,
            succeeded_at: self.succeeded_at,
            exchanges: self.exchanges,
        }
    }
}

#[derive(Debug)]
struct CodeRecord {
    session_id: String,
    issued_at: Instant,
    used: bool,
}

#[derive(Debug)]
struct AccessGrant {
    session_id: String,
    expires_at: Instant,
}

/// A login token: whose it is, until when, whether the bank lets it log in unattended, and
/// whether an unattended login has already replaced it.
#[derive(Debug)]
struct LoginGrant {
    session_id: String,
    user_hash: String,
    expires_at: Instant,
    supports_unattended: bool,
    replaced: bool,
}

/// Why an unattended login was refused: the provider's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnattendedError {
    /// Unknown, replaced by an earlier unattended login, or another user's: `InvalidLoginToken`.
    InvalidLoginToken,
    /// Past its `login.expires`: `LoginTokenExpired`.
    Expired,
    /// The bank does not support unattended logins: `UnattendedNotSupported`.
    NotSupported,
}

impl UnattendedError {
    /// The provider's `error` code.
    pub fn code(self) -> &'static str {
        match self {
            UnattendedError::InvalidLoginToken => "InvalidLoginToken",
            UnattendedError::Expired => "LoginTokenExpired",
            UnattendedError::NotSupported => "UnattendedNotSupported",
        }
    }

    /// The provider's `details.reason`.
    pub fn reason(self) -> &'static str {
        match self {
            UnattendedError::InvalidLoginToken => "The login token is not valid for this user.",
            UnattendedError::Expired => "The login token has expired.",
            UnattendedError::NotSupported => "The bank does not support unattended logins.",
        }
    }
}

/// What the status endpoint needs to answer or to keep waiting.
#[derive(Debug)]
pub(crate) struct StatusView {
    pub state: SessionState,
    pub code: Option<String>,
    /// When a timed script will change the state, if it will.
    pub scripted_at: Option<Instant>,
    /// Fires on the next state change.
    pub changed: watch::Receiver<()>,
}

/// What the hosted login page needs.
#[derive(Debug, Clone)]
pub(crate) struct PageView {
    pub session_id: String,
    pub user_hash: String,
    pub state: SessionState,
}

/// Why a completion was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CompleteError {
    NotFound,
    /// The session already reached this final state.
    Finished(SessionState),
    /// The session's script is `NeverFinish`.
    StillWaiting,
}

/// A successful completion: the new state, the code if approved, and where the user goes next.
#[derive(Debug, Clone)]
pub(crate) struct Completed {
    pub code: Option<String>,
    pub redirect_url: Url,
}

/// Why a code exchange was refused (all map to `400 InvalidCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeError {
    Unknown,
    AlreadyUsed,
    Expired,
}

impl CodeError {
    pub fn message(self) -> &'static str {
        match self {
            CodeError::Unknown => "The code is unknown.",
            CodeError::AlreadyUsed => "The code has already been exchanged.",
            CodeError::Expired => "The code has expired.",
        }
    }
}

/// The tokens created by a successful exchange.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub access_token: String,
    pub login_token: String,
    pub subject_id: String,
    /// `login.supportsUnattended` of the new login token.
    pub supports_unattended: bool,
}

/// Lifetimes the store needs from the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub code: Duration,
    pub access_token: Duration,
    pub login_token: Duration,
    /// Whether the bank supports unattended logins (unless set per user).
    pub supports_unattended: bool,
}

/// All mutable sandbox state. See the module docs for the locking discipline.
#[derive(Debug, Default)]
pub(crate) struct Store {
    sessions: HashMap<String, Session>,
    /// Session ids in creation order, for listings.
    order: Vec<String>,
    start_tokens: HashMap<String, String>,
    codes: HashMap<String, CodeRecord>,
    access: HashMap<String, AccessGrant>,
    logins: HashMap<String, LoginGrant>,
    /// A stable `subjectId` per userHash, like a real bank user behind it.
    subjects: HashMap<String, String>,
    scripts: HashMap<String, UserScript>,
    /// Per-user override of whether their bank supports unattended logins.
    unattended_support: HashMap<String, bool>,
    /// Which correlation id each provider request carried, oldest first.
    correlation: std::collections::VecDeque<CorrelationRecord>,
    stats: Stats,
    /// The OAuth flows' state (connect, client credentials, PKCE); see `model/oauth_store.rs`.
    pub oauth: OAuthStore,
}

/// Moves a session to the final state for `outcome` at instant `at`, issuing a code on approval.
fn finish(
    session: &mut Session,
    codes: &mut HashMap<String, CodeRecord>,
    outcome: Outcome,
    at: Instant,
) {
    session.state = match outcome {
        Outcome::Approve => SessionState::Succeeded,
        Outcome::Fail => SessionState::Failed,
        Outcome::Cancel => SessionState::Cancelled,
        Outcome::NotApplicable => SessionState::NotApplicable,
    };
    if outcome == Outcome::Approve {
        let code = tokens::code();
        codes.insert(
            code.clone(),
            CodeRecord {
                session_id: session.id.clone(),
                issued_at: at,
                used: false,
            },
        );
        session.code = Some(code);
        session.succeeded_at = Some(at);
    }
    session.changed.send_replace(());
}

/// Applies a timed script whose deadline has passed.
fn settle(session: &mut Session, codes: &mut HashMap<String, CodeRecord>, now: Instant) {
    if session.state != SessionState::InProgress {
        return;
    }
    if let Some((at, outcome)) = session.scripted() {
        if now >= at {
            finish(session, codes, outcome, at);
        }
    }
}

impl Store {
    /// Counts one request to a provider endpoint (faulted or not).
    pub fn count(&mut self, endpoint: Endpoint) {
        self.stats.count(endpoint);
    }

    /// The request counters plus the OAuth success counters.
    pub fn stats(&self) -> Stats {
        let c = self.oauth.counters;
        Stats {
            oauth_code_exchanges: c.code_exchanges,
            refresh_grants: c.refresh_grants,
            client_credentials_grants: c.client_credentials_grants,
            client_secret_basic_requests: c.client_secret_basic,
            client_secret_post_requests: c.client_secret_post,
            ..self.stats.clone()
        }
    }

    /// Sets the script for sessions initialized later for `user_hash`.
    pub fn script_user(&mut self, user_hash: &str, script: UserScript) {
        self.scripts.insert(user_hash.to_owned(), script);
    }

    /// Creates an `InProgress` session; returns `(session_id, start_token)`.
    pub fn create_session(
        &mut self,
        user_hash: &str,
        redirect_url: Url,
        default_script: &UserScript,
        now: Instant,
    ) -> (String, String) {
        let id = tokens::session_id();
        let start_token = tokens::start_token();
        let script = self
            .scripts
            .get(user_hash)
            .cloned()
            .unwrap_or_else(|| default_script.clone());
        let (changed, _) = watch::channel(());
        self.sessions.insert(
            id.clone(),
            Session {
                id: id.clone(),
                user_hash: user_hash.to_owned(),
                redirect_url,
                state: SessionState::InProgress,
                script,
                created_at: now,
                succeeded_at: None,
                code: None,
                exchanges: 0,
                changed,
                account_id: tokens::short_id(),
            },
        );
        self.order.push(id.clone());
        self.start_tokens.insert(start_token.clone(), id.clone());
        (id, start_token)
    }

    /// The session's current status, settled as of `now`.
    pub fn status(&mut self, session_id: &str, now: Instant) -> Option<StatusView> {
        let session = self.sessions.get_mut(session_id)?;
        settle(session, &mut self.codes, now);
        Some(StatusView {
            state: session.state,
            code: session.code.clone(),
            scripted_at: session.scripted().map(|(at, _)| at),
            changed: session.changed.subscribe(),
        })
    }

    /// Finds the session behind a hosted-page `startToken`.
    pub fn page(&mut self, start_token: &str, now: Instant) -> Option<PageView> {
        let id = self.start_tokens.get(start_token)?;
        let session = self.sessions.get_mut(id)?;
        settle(session, &mut self.codes, now);
        Some(PageView {
            session_id: session.id.clone(),
            user_hash: session.user_hash.clone(),
            state: session.state,
        })
    }

    /// Completes an `InProgress` session as the user would on the hosted page (or a test by hand).
    /// `NeverFinish` sessions refuse, as their script promises.
    pub fn complete(
        &mut self,
        session_id: &str,
        outcome: Outcome,
        now: Instant,
    ) -> Result<Completed, CompleteError> {
        let session = self
            .sessions
            .get_mut(session_id)
            .ok_or(CompleteError::NotFound)?;
        settle(session, &mut self.codes, now);
        if session.state != SessionState::InProgress {
            return Err(CompleteError::Finished(session.state));
        }
        if session.script == UserScript::NeverFinish {
            return Err(CompleteError::StillWaiting);
        }
        finish(session, &mut self.codes, outcome, now);
        Ok(Completed {
            code: session.code.clone(),
            redirect_url: session.redirect_url.clone(),
        })
    }

    /// Exchanges a code once. Checks "already used" before "expired", so a replay of a used code
    /// is always reported as a replay.
    pub fn exchange(
        &mut self,
        code: &str,
        now: Instant,
        lifetimes: Lifetimes,
    ) -> Result<Grant, CodeError> {
        let record = self.codes.get_mut(code).ok_or(CodeError::Unknown)?;
        if record.used {
            return Err(CodeError::AlreadyUsed);
        }
        if now >= later(record.issued_at, lifetimes.code) {
            return Err(CodeError::Expired);
        }
        record.used = true;
        let session_id = record.session_id.clone();
        let session = self
            .sessions
            .get_mut(&session_id)
            .ok_or(CodeError::Unknown)?;
        session.exchanges += 1;
        self.stats.successful_exchanges += 1;
        let user_hash = session.user_hash.clone();
        Ok(self.grant(session_id, &user_hash, now, lifetimes))
    }

    /// A new session access token and login token for `user_hash` behind `session_id`.
    fn grant(
        &mut self,
        session_id: String,
        user_hash: &str,
        now: Instant,
        lifetimes: Lifetimes,
    ) -> Grant {
        let access_token = tokens::access_token();
        self.access.insert(
            access_token.clone(),
            AccessGrant {
                session_id: session_id.clone(),
                expires_at: later(now, lifetimes.access_token),
            },
        );
        let supports_unattended = self
            .unattended_support
            .get(user_hash)
            .copied()
            .unwrap_or(lifetimes.supports_unattended);
        let login_token = tokens::login_token();
        self.logins.insert(
            login_token.clone(),
            LoginGrant {
                session_id,
                user_hash: user_hash.to_owned(),
                expires_at: later(now, lifetimes.login_token),
                supports_unattended,
                replaced: false,
            },
        );
        let subject_id = self
            .subjects
            .entry(user_hash.to_owned())
            .or_insert_with(tokens::subject_id)
            .clone();
        Grant {
            access_token,
            login_token,
            subject_id,
            supports_unattended,
        }
    }

    /// An unattended login: checks the login token (known, this user's, not replaced, not
    /// expired, the bank supports it, in that order), then issues a new session and a new login
    /// token, which replaces the old one.
    pub fn unattended(
        &mut self,
        user_hash: &str,
        login_token: &str,
        now: Instant,
        lifetimes: Lifetimes,
    ) -> Result<Grant, UnattendedError> {
        let grant = self
            .logins
            .get_mut(login_token)
            .filter(|g| g.user_hash == user_hash && !g.replaced)
            .ok_or(UnattendedError::InvalidLoginToken)?;
        if now >= grant.expires_at {
            return Err(UnattendedError::Expired);
        }
        if !grant.supports_unattended {
            return Err(UnattendedError::NotSupported);
        }
        grant.replaced = true;
        let session_id = grant.session_id.clone();
        self.stats.unattended_logins += 1;
        Ok(self.grant(session_id, user_hash, now, lifetimes))
    }

    /// Whether the bank of `user_hash` supports unattended logins, for login tokens issued from
    /// now on (overrides the configuration).
    pub fn set_unattended_support(&mut self, user_hash: &str, supported: bool) {
        self.unattended_support
            .insert(user_hash.to_owned(), supported);
    }

    /// Makes every login token issued so far expire at `now`; returns how many.
    pub fn expire_login_tokens(&mut self, now: Instant) -> usize {
        for grant in self.logins.values_mut() {
            grant.expires_at = grant.expires_at.min(now);
        }
        self.logins.len()
    }

    /// Records the correlation id one provider request carried.
    pub fn record_correlation(&mut self, endpoint: Endpoint, correlation_id: Option<String>) {
        if self.correlation.len() >= LOG_LIMIT {
            self.correlation.pop_front();
        }
        self.correlation.push_back(CorrelationRecord {
            endpoint: endpoint.as_str(),
            correlation_id,
        });
    }

    /// The correlation log, oldest first.
    pub fn correlation_log(&self) -> Vec<CorrelationRecord> {
        self.correlation.iter().cloned().collect()
    }

    /// Authenticates a session `accessToken` and slides its expiry to `now + lifetime`.
    /// Returns the session's account id, or `None` if the token is unknown or expired.
    pub fn use_access_token(
        &mut self,
        token: &str,
        now: Instant,
        lifetime: Duration,
    ) -> Option<String> {
        let grant = self.access.get_mut(token)?;
        if now >= grant.expires_at {
            return None;
        }
        grant.expires_at = later(now, lifetime);
        let session = self.sessions.get(&grant.session_id)?;
        Some(session.account_id.clone())
    }

    /// A snapshot of one session, settled as of `now`.
    pub fn info(&mut self, session_id: &str, now: Instant) -> Option<SessionInfo> {
        let session = self.sessions.get_mut(session_id)?;
        settle(session, &mut self.codes, now);
        Some(session.info())
    }

    /// Snapshots of all sessions in creation order, settled as of `now`.
    pub fn infos(&mut self, now: Instant) -> Vec<SessionInfo> {
        let mut out = Vec::with_capacity(self.order.len());
        for id in &self.order {
            if let Some(session) = self.sessions.get_mut(id) {
                settle(session, &mut self.codes, now);
                out.push(session.info());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Lifetimes = Lifetimes {
        code: Duration::from_secs(60),
        access_token: Duration::from_secs(900),
        login_token: Duration::from_secs(3600),
        supports_unattended: true,
    };

    fn url() -> Url {
        Url::parse("https://app.example/cb").unwrap()
    }

    /// A session for `user-1234` approved at `t0`; returns its id and code.
    fn approved(store: &mut Store, t0: Instant) -> (String, String) {
        let (id, _) = store.create_session("user-1234", url(), &UserScript::WaitForPage, t0);
        let code = store
            .complete(&id, Outcome::Approve, t0)
            .unwrap()
            .code
            .unwrap();
        (id, code)
    }

    #[test]
    fn approve_then_exchange_once() {
        let mut store = Store::default();
        let t0 = Instant::now();
        let (id, code) = approved(&mut store, t0);
        assert!(store.exchange(&code, t0, LIFE).is_ok());
        assert_eq!(
            store.exchange(&code, t0, LIFE).unwrap_err(),
            CodeError::AlreadyUsed
        );
        assert_eq!(store.info(&id, t0).unwrap().exchanges, 1);
        assert_eq!(store.stats().successful_exchanges, 1);
        assert_eq!(
            store.complete(&id, Outcome::Cancel, t0).unwrap_err(),
            CompleteError::Finished(SessionState::Succeeded)
        );
    }

    #[test]
    fn codes_expire() {
        let mut store = Store::default();
        let t0 = Instant::now();
        let (_, code) = approved(&mut store, t0);
        let t1 = t0 + Duration::from_secs(60);
        assert_eq!(
            store.exchange(&code, t1, LIFE).unwrap_err(),
            CodeError::Expired
        );
        assert_eq!(
            store.exchange("nope", t1, LIFE).unwrap_err(),
            CodeError::Unknown
        );
    }

    #[test]
    fn timed_scripts_settle_at_their_deadline() {
        let mut store = Store::default();
        let t0 = Instant::now();
        let script = UserScript::ApproveAfter(Duration::from_secs(5));
        store.script_user("scripted-user", script);
        let (id, _) = store.create_session("scripted-user", url(), &UserScript::WaitForPage, t0);
        let v = store.status(&id, t0 + Duration::from_secs(4)).unwrap();
        assert_eq!(v.state, SessionState::InProgress);
        assert_eq!(v.scripted_at, Some(t0 + Duration::from_secs(5)));
        let v = store.status(&id, t0 + Duration::from_secs(6)).unwrap();
        assert_eq!(v.state, SessionState::Succeeded);
        assert!(v.code.is_some());
        let info = store.info(&id, t0 + Duration::from_secs(7)).unwrap();
        assert_eq!(info.succeeded_at, Some(t0 + Duration::from_secs(5)));
    }

    #[test]
    fn unattended_logins_replace_the_login_token_and_refuse_what_they_must() {
        let mut store = Store::default();
        let t0 = Instant::now();
        let (_, code) = approved(&mut store, t0);
        let first = store.exchange(&code, t0, LIFE).unwrap();
        assert!(first.supports_unattended);
        assert_eq!(
            store
                .unattended("someone-else", &first.login_token, t0, LIFE)
                .unwrap_err(),
            UnattendedError::InvalidLoginToken
        );
        let second = store
            .unattended("user-1234", &first.login_token, t0, LIFE)
            .unwrap();
        assert_ne!(second.login_token, first.login_token);
        assert!(
            store
                .use_access_token(&second.access_token, t0, LIFE.access_token)
                .is_some()
        );
        // The old login token was replaced.
        assert_eq!(
            store
                .unattended("user-1234", &first.login_token, t0, LIFE)
                .unwrap_err(),
            UnattendedError::InvalidLoginToken
        );
        let late = t0 + LIFE.login_token;
        assert_eq!(
            store
                .unattended("user-1234", &second.login_token, late, LIFE)
                .unwrap_err(),
            UnattendedError::Expired
        );
        assert_eq!(store.stats().unattended_logins, 1);

        // A bank without unattended logins.
        store.set_unattended_support("user-1234", false);
        let (_, code) = approved(&mut store, t0);
        let grant = store.exchange(&code, t0, LIFE).unwrap();
        assert!(!grant.supports_unattended);
        assert_eq!(
            store
                .unattended("user-1234", &grant.login_token, t0, LIFE)
                .unwrap_err(),
            UnattendedError::NotSupported
        );
    }

    #[test]
    fn never_finish_refuses_completion() {
        let mut store = Store::default();
        let t0 = Instant::now();
        let (id, _) = store.create_session("user-1234", url(), &UserScript::NeverFinish, t0);
        assert_eq!(
            store.complete(&id, Outcome::Approve, t0).unwrap_err(),
            CompleteError::StillWaiting
        );
        assert_eq!(store.info(&id, t0).unwrap().state, SessionState::InProgress);
    }

    #[test]
    fn access_tokens_slide() {
        let mut store = Store::default();
        let t0 = Instant::now();
        let life = Lifetimes {
            access_token: Duration::from_secs(10),
            ..LIFE
        };
        let (_, code) = approved(&mut store, t0);
        let token = store.exchange(&code, t0, life).unwrap().access_token;
        let d = |s| t0 + Duration::from_secs(s);
        assert!(
            store
                .use_access_token(&token, d(8), life.access_token)
                .is_some()
        );
        assert!(
            store
                .use_access_token(&token, d(16), life.access_token)
                .is_some()
        );
        assert!(
            store
                .use_access_token(&token, d(26), life.access_token)
                .is_none()
        );
    }
}
