//! Running a [`Flow`]: effects in, inputs out, and the host-facing handle of every flow.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use url::Url;

use crate::error::Error;
use crate::flow::{Effect, Flow, Input, RedirectOutcome, TimerKind};
use crate::http::{HttpRequest, HttpResult, RequestKind, TransportFailure};
use crate::navigation::{Navigation, NavigationPolicy};
use crate::snapshot::SecureStorage;
use crate::storage::Kept;

use super::transport::Transport;

/// A snapshot listener: called with every new snapshot, in order.
type SnapshotListener = Arc<dyn Fn(&str) + Send + Sync>;

struct Inner<F: Flow> {
    flow: F,
    generation: u64,
    snapshot_seq: u64,
    requests: HashMap<RequestKind, (u64, AbortHandle)>,
    timers: HashMap<TimerKind, (u64, AbortHandle)>,
    subscribers: Vec<mpsc::UnboundedSender<F::State>>,
}

impl<F: Flow> Inner<F> {
    fn stop_all(&mut self) {
        let requests = self.requests.drain().map(|(_, (_, task))| task);
        let timers = self.timers.drain().map(|(_, (_, task))| task);
        for task in requests.chain(timers) {
            task.abort();
        }
    }
}

impl<F: Flow> Drop for Inner<F> {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[derive(Default)]
struct Persistence {
    listeners: Vec<SnapshotListener>,
    published_seq: u64,
}

/// A snapshot to hand to the listeners once the flow lock is released.
type Pending = Option<(u64, String)>;

struct Shared<F: Flow> {
    inner: Mutex<Inner<F>>,
    transport: Transport,
    runtime: Handle,
    navigation: NavigationPolicy,
    latest: watch::Sender<F::State>,
    has_listeners: AtomicBool,
    persistence: Mutex<Persistence>,
    published: tokio::sync::Notify,
}

/// A running flow, as the host app drives it: start, hand over URLs, observe, cancel, wait,
/// snapshot and resume. Cheap to clone; all clones drive the same flow. When the last clone is
/// dropped, the flow's requests and timers are abandoned.
pub struct FlowHandle<F: Flow> {
    shared: Arc<Shared<F>>,
}

impl<F: Flow> Clone for FlowHandle<F> {
    fn clone(&self) -> Self {
        FlowHandle {
            shared: self.shared.clone(),
        }
    }
}

impl<F: Flow> FlowHandle<F> {
    /// Wraps a flow; nothing happens until [`FlowHandle::start`] (or [`FlowHandle::resume`] for
    /// a restored flow).
    pub fn new(
        flow: F,
        transport: Transport,
        runtime: Handle,
        navigation: NavigationPolicy,
    ) -> Self {
        let (latest, _) = watch::channel(flow.state());
        FlowHandle {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner {
                    flow,
                    generation: 0,
                    snapshot_seq: 0,
                    requests: HashMap::new(),
                    timers: HashMap::new(),
                    subscribers: Vec::new(),
                }),
                transport,
                runtime,
                navigation,
                latest,
                has_listeners: AtomicBool::new(false),
                persistence: Mutex::new(Persistence::default()),
                published: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Begins the flow. Calling it again does nothing.
    pub fn start(&self) {
        self.input(Input::Start);
    }

    /// Continues a flow restored from a snapshot: re-arms its deadline and picks up what was in
    /// progress (polling, an exchange). A restored flow also accepts its redirect without this.
    pub fn resume(&self) {
        self.input(Input::Resume);
    }

    /// Cancels the flow: in-flight requests are abandoned and nothing is exchanged afterwards.
    pub fn cancel(&self) {
        self.input(Input::Cancel);
    }

    fn input(&self, input: Input) {
        let pending = {
            let mut inner = self.shared.lock();
            let effects = inner.flow.handle(input, crate::live::ctx());
            Shared::apply(&self.shared, &mut inner, effects)
        };
        self.shared.publish(pending);
    }

    /// Hands over a URL the host met (WebView navigation, Universal Link, App Link, loopback
    /// request) and says what the flow did with it. Synchronous, callable from any thread.
    pub fn handle_redirect(&self, url: &str) -> RedirectOutcome {
        let Ok(url) = Url::parse(url.trim()) else {
            return RedirectOutcome::NotForThisFlow;
        };
        let (outcome, pending) = {
            let mut inner = self.shared.lock();
            let (outcome, effects) = inner.flow.redirect(&url, crate::live::ctx());
            (outcome, Shared::apply(&self.shared, &mut inner, effects))
        };
        self.shared.publish(pending);
        outcome
    }

    /// The WebView navigation policy for `url`: allow, intercept (this flow's redirect, which is
    /// then handled, with the outcome), open outside the app, or block. Call it from
    /// `WKNavigationDelegate` / `shouldOverrideUrlLoading`.
    pub fn decide_navigation(&self, url: &str) -> Navigation {
        self.decide_frame_navigation(url, true)
    }

    /// [`FlowHandle::decide_navigation`] for the main frame (`is_main_frame`) or a subframe: a
    /// subframe never delivers the redirect nor opens anything outside the app.
    pub fn decide_frame_navigation(&self, url: &str, is_main_frame: bool) -> Navigation {
        let (pattern, hosts) = self.with_flow(|f| (f.redirect_pattern().clone(), f.web_hosts()));
        match self
            .shared
            .navigation
            .decide(url, &pattern, &hosts, is_main_frame)
        {
            Some(decision) => decision,
            None => Navigation::Intercept(self.handle_redirect(url)),
        }
    }

    /// The redirect URL this flow waits for (for a wildcard pattern, its prefix).
    pub fn redirect_url(&self) -> Url {
        self.with_flow(|f| f.redirect_pattern().url().clone())
    }

    /// The current state.
    pub fn state(&self) -> F::State {
        self.shared.latest.borrow().clone()
    }

    /// The flow's correlation id, sent as `X-Correlation-Id` on each of its requests (`None`
    /// before [`FlowHandle::start`]). Not a secret: show it with errors so a support ticket
    /// can quote it; the provider finds every request of the flow by it.
    pub fn correlation_id(&self) -> Option<String> {
        self.shared.lock().flow.correlation_id().map(String::from)
    }

    /// The result, once the flow has finished.
    pub fn outcome(&self) -> Option<Result<F::Output, Error>> {
        self.shared.lock().flow.outcome()
    }

    /// The flow's current snapshot (secrets included: secure storage only; see
    /// [`crate::snapshot`]). A snapshot that cannot be written is an error, never an empty
    /// string.
    pub fn snapshot(&self) -> Result<String, Error> {
        self.shared.lock().flow.snapshot()
    }

    /// Calls `listener` with a new snapshot after every state change, in order, outside the
    /// flow's lock. This is how the host is told that the snapshot changed.
    pub fn on_snapshot(&self, listener: impl Fn(&str) + Send + Sync + 'static) {
        let mut persistence = self
            .shared
            .persistence
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        persistence.listeners.push(Arc::new(listener));
        self.shared.has_listeners.store(true, Ordering::SeqCst);
    }

    /// Saves the snapshot to `storage` under `key` now and after every state change. Storage
    /// failures later on are logged (the flow goes on); the first save's failure is returned.
    pub fn persist_to(
        &self,
        storage: Arc<dyn SecureStorage>,
        key: impl Into<String>,
    ) -> Result<(), Error> {
        let snapshot = self.snapshot()?;
        let kept = Kept::new(storage, key);
        kept.save(&snapshot)?;
        self.on_snapshot(move |snapshot| kept.save_or_log(Ok(snapshot), "the flow snapshot"));
        Ok(())
    }

    /// Reads the flow under the lock.
    pub fn with_flow<R>(&self, read: impl FnOnce(&F) -> R) -> R {
        read(&self.shared.lock().flow)
    }

    /// Every state from now on, in order, starting with the current one. The stream ends after
    /// the terminal state.
    pub fn subscribe(&self) -> StateStream<F::State> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inner = self.shared.lock();
        let _ = tx.send(inner.flow.state());
        if inner.flow.outcome().is_none() {
            inner.subscribers.push(tx);
        }
        StateStream { rx }
    }

    /// Waits until the flow finishes and returns its result. By then every snapshot listener
    /// has been handed the final snapshot.
    pub async fn wait(&self) -> Result<F::Output, Error> {
        let mut changes = self.shared.latest.subscribe();
        let outcome = loop {
            if let Some(outcome) = self.outcome() {
                break outcome;
            }
            // The sender lives as long as `self`, so this cannot fail.
            let _ = changes.changed().await;
        };
        loop {
            let published = self.shared.published.notified();
            let target = self.shared.lock().snapshot_seq;
            let done = self
                .shared
                .persistence
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .published_seq;
            if done >= target {
                return outcome;
            }
            published.await;
        }
    }
}

impl<F: Flow> Shared<F> {
    fn lock(&self) -> MutexGuard<'_, Inner<F>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a snapshot taken under the flow lock to the listeners, dropping it if a newer one
    /// was already published (two threads may race here).
    fn publish(&self, pending: Pending) {
        let Some((seq, snapshot)) = pending else {
            return;
        };
        let mut persistence = self.persistence.lock().unwrap_or_else(|e| e.into_inner());
        if seq <= persistence.published_seq {
            return;
        }
        persistence.published_seq = seq;
        for listener in &persistence.listeners {
            listener(&snapshot);
        }
        drop(persistence);
        self.published.notify_waiters();
    }

    fn apply(this: &Arc<Self>, inner: &mut Inner<F>, effects: Vec<Effect<F::State>>) -> Pending {
        let mut changed = false;
        for effect in effects {
            match effect {
                Effect::Send(request) => {
                    inner.generation += 1;
                    let (id, kind) = (inner.generation, request.kind);
                    let weak = Arc::downgrade(this);
                    // The request runs in its own task so that a panic in it (a TLS verifier
                    // that was never initialised, say) comes back as a failure instead of
                    // leaving the flow waiting until its deadline.
                    let sending = send_task(&this.runtime, this.transport.clone(), request);
                    let task = spawn_boxed(
                        &this.runtime,
                        Box::pin(async move {
                            let result = match sending.await {
                                Ok(result) => result,
                                Err(e) if e.is_panic() => Err(TransportFailure::Network(
                                    "internal error: the request task panicked".into(),
                                )),
                                Err(_) => return, // aborted with the flow
                            };
                            Shared::respond(&weak, kind, id, result);
                        }),
                    );
                    if let Some((_, old)) = inner.requests.insert(kind, (id, task.abort_handle())) {
                        old.abort();
                    }
                }
                Effect::Abort(kind) => {
                    if let Some((_, task)) = inner.requests.remove(&kind) {
                        task.abort();
                    }
                }
                Effect::ArmTimer { timer, after } => {
                    inner.generation += 1;
                    let id = inner.generation;
                    let weak = Arc::downgrade(this);
                    let task = spawn_boxed(
                        &this.runtime,
                        Box::pin(async move {
                            tokio::time::sleep(after).await;
                            Shared::fire(&weak, timer, id);
                        }),
                    );
                    if let Some((_, old)) = inner.timers.insert(timer, (id, task.abort_handle())) {
                        old.abort();
                    }
                }
                Effect::CancelTimer(timer) => {
                    if let Some((_, task)) = inner.timers.remove(&timer) {
                        task.abort();
                    }
                }
                Effect::Stop => inner.stop_all(),
                Effect::State(state) => {
                    log::debug!("flow state: {state:?}");
                    changed = true;
                    // `state()` first: an observer told of this state must read it back.
                    this.latest.send_replace(state.clone());
                    inner
                        .subscribers
                        .retain(|tx| tx.send(state.clone()).is_ok());
                }
            }
        }
        if inner.flow.outcome().is_some() {
            inner.subscribers.clear();
        }
        if !changed || !this.has_listeners.load(Ordering::SeqCst) {
            return None;
        }
        match inner.flow.snapshot() {
            Ok(snapshot) => {
                inner.snapshot_seq += 1;
                Some((inner.snapshot_seq, snapshot))
            }
            // The listeners keep the last snapshot that could be written; nothing is owed to
            // `wait()` for this one.
            Err(e) => {
                log::warn!("could not write the flow snapshot: {e}");
                None
            }
        }
    }

    fn respond(weak: &Weak<Self>, kind: RequestKind, id: u64, result: HttpResult) {
        let Some(shared) = weak.upgrade() else { return };
        let pending = {
            let mut inner = shared.lock();
            if inner.requests.get(&kind).map(|(current, _)| *current) != Some(id) {
                return; // replaced or aborted while the response was on its way
            }
            inner.requests.remove(&kind);
            let effects = inner
                .flow
                .handle(Input::Response { kind, result }, crate::live::ctx());
            Shared::apply(&shared, &mut inner, effects)
        };
        shared.publish(pending);
    }

    fn fire(weak: &Weak<Self>, timer: TimerKind, id: u64) {
        let Some(shared) = weak.upgrade() else { return };
        let pending = {
            let mut inner = shared.lock();
            if inner.timers.get(&timer).map(|(current, _)| *current) != Some(id) {
                return;
            }
            inner.timers.remove(&timer);
            let effects = inner.flow.handle(Input::Timer(timer), crate::live::ctx());
            Shared::apply(&shared, &mut inner, effects)
        };
        shared.publish(pending);
    }
}

/// A task of the driver, boxed: tokio's task machinery (harness, vtable, join handle) is then
/// compiled once, not once per flow type and effect, which is most of what a spawn costs in the
/// size of the mobile library (issue 13). The boxing costs one allocation per request or timer.
type Task = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

fn spawn_boxed(runtime: &Handle, task: Task) -> tokio::task::JoinHandle<()> {
    runtime.spawn(task)
}

/// Sends `request` in a task of its own (not generic: one instantiation for every flow type).
/// Dropping the returned handle aborts it.
fn send_task(
    runtime: &Handle,
    transport: Transport,
    request: HttpRequest,
) -> AbortOnDrop<HttpResult> {
    AbortOnDrop(runtime.spawn(async move { transport.execute(request).await }))
}

/// A task handle that aborts its task when dropped (when the request's outer task is aborted).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The states of one flow, in order. See [`FlowHandle::subscribe`].
pub struct StateStream<S> {
    rx: mpsc::UnboundedReceiver<S>,
}

impl<S> StateStream<S> {
    /// The next state; `None` after the terminal state has been delivered.
    pub async fn next(&mut self) -> Option<S> {
        self.rx.recv().await
    }

    /// The next state if one is already waiting.
    pub fn try_next(&mut self) -> Option<S> {
        self.rx.try_recv().ok()
    }
}
