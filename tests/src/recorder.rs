//! Records every state a login reports through `subscribe()`, with the instant it arrived.
//!
//! The host app only ever learns about a login through its state stream, so the tests assert
//! on exactly that stream (order, nothing skipped, one terminal state) rather than on internal
//! fields. The instant of arrival is what a UI would see, which is also what the detection
//! latency benchmark measures.

use std::time::{Duration, Instant};

use obauth::{LoginState, SupervisedLogin};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A state and the instant the subscriber received it.
#[derive(Clone, Debug)]
pub struct Stamped {
    /// When the recorder task received it.
    pub at: Instant,
    /// The state.
    pub state: LoginState,
}

/// A background subscriber of one login.
pub struct Recorder {
    seen: watch::Receiver<Vec<Stamped>>,
    task: JoinHandle<()>,
}

/// How long any helper waits for a login to make progress before failing the test.
pub const PATIENCE: Duration = Duration::from_secs(15);

impl Recorder {
    /// Subscribes to `login` now (call before `start()` to see `Created` first).
    pub fn attach(login: &SupervisedLogin) -> Recorder {
        let mut stream = login.subscribe();
        let (tx, seen) = watch::channel(Vec::new());
        let task = tokio::spawn(async move {
            while let Some(state) = stream.next().await {
                let at = Instant::now();
                tx.send_modify(|v| v.push(Stamped { at, state }));
            }
        });
        Recorder { seen, task }
    }

    /// Waits until a state matching `pred` has been received and returns it.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&LoginState) -> bool) -> Stamped {
        let mut rx = self.seen.clone();
        let found = tokio::time::timeout(PATIENCE, async {
            let seen = rx
                .wait_for(|v| v.iter().any(|s| pred(&s.state)))
                .await
                .expect("recorder alive");
            seen.iter()
                .find(|s| pred(&s.state))
                .cloned()
                .expect("just matched")
        })
        .await;
        match found {
            Ok(s) => s,
            Err(_) => panic!(
                "no {what} state within {PATIENCE:?}; saw {:?}",
                self.names()
            ),
        }
    }

    /// Waits for `AwaitingUser` and returns `(auth_url, session_id)`.
    pub async fn awaiting_user(&self) -> (String, String) {
        let s = self
            .wait_for("awaiting_user", |s| {
                matches!(s, LoginState::AwaitingUser { .. })
            })
            .await;
        match s.state {
            LoginState::AwaitingUser {
                auth_url,
                session_id,
            } => (auth_url, session_id),
            _ => unreachable!(),
        }
    }

    /// The states received so far.
    pub fn so_far(&self) -> Vec<Stamped> {
        self.seen.borrow().clone()
    }

    /// The names of the states received so far (for failure messages).
    pub fn names(&self) -> Vec<&'static str> {
        self.seen.borrow().iter().map(|s| s.state.name()).collect()
    }

    /// Waits for the stream to end (it ends right after the terminal state) and returns every
    /// state received, in order.
    pub async fn finish(self) -> Vec<Stamped> {
        let names = self.names();
        if tokio::time::timeout(PATIENCE, self.task).await.is_err() {
            panic!("the state stream did not end within {PATIENCE:?}; saw {names:?}");
        }
        self.seen.borrow().clone()
    }

    /// Like [`Recorder::finish`], states only.
    pub async fn finish_states(self) -> Vec<LoginState> {
        self.finish().await.into_iter().map(|s| s.state).collect()
    }
}
