//! Running a [`Flow`]: effects in, inputs out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use url::Url;

use crate::error::Error;
use crate::flow::{Ctx, Effect, Flow, Input, RedirectOutcome, TimerKind};
use crate::http::{HttpResult, RequestKind};
use crate::navigation::{Navigation, NavigationPolicy};

use super::transport::Transport;

struct Inner<F: Flow> {
    flow: F,
    generation: u64,
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

struct Shared<F: Flow> {
    inner: Mutex<Inner<F>>,
    transport: Transport,
    runtime: Handle,
    latest: watch::Sender<F::State>,
}

/// A running flow. Cheap to clone; all clones drive the same flow. When the last clone is
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
    /// Wraps a flow; nothing happens until an input arrives (usually [`Input::Start`]).
    pub fn new(flow: F, transport: Transport, runtime: Handle) -> Self {
        let (latest, _) = watch::channel(flow.state());
        FlowHandle {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner {
                    flow,
                    generation: 0,
                    requests: HashMap::new(),
                    timers: HashMap::new(),
                    subscribers: Vec::new(),
                }),
                transport,
                runtime,
                latest,
            }),
        }
    }

    /// Feeds an input (start, cancel).
    pub fn input(&self, input: Input) {
        let mut inner = self.shared.lock();
        let effects = inner.flow.handle(input, Ctx::live());
        Shared::apply(&self.shared, &mut inner, effects);
    }

    /// Offers a URL to the flow and says what it did with it. Synchronous, callable from any
    /// thread (e.g. inside a WebView navigation callback).
    pub fn redirect(&self, url: &str) -> RedirectOutcome {
        let Ok(url) = Url::parse(url.trim()) else {
            return RedirectOutcome::NotForThisFlow;
        };
        let mut inner = self.shared.lock();
        let (outcome, effects) = inner.flow.redirect(&url, Ctx::live());
        Shared::apply(&self.shared, &mut inner, effects);
        outcome
    }

    /// Decides what the WebView does with `url`; this flow's redirect is handed to the flow.
    pub fn navigate(&self, url: &str, policy: &NavigationPolicy) -> Navigation {
        let pattern = self.with_flow(|f| f.redirect_pattern().clone());
        match policy.classify(url, &pattern) {
            Some(decision) => decision,
            None => Navigation::Intercept(self.redirect(url)),
        }
    }

    /// The current state.
    pub fn state(&self) -> F::State {
        self.shared.latest.borrow().clone()
    }

    /// The result, once the flow has finished.
    pub fn outcome(&self) -> Option<Result<F::Output, Error>> {
        self.shared.lock().flow.outcome()
    }

    /// Reads the flow under the lock (e.g. to snapshot it).
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

    /// Waits until the flow finishes and returns its result.
    pub async fn wait(&self) -> Result<F::Output, Error> {
        let mut changes = self.shared.latest.subscribe();
        loop {
            if let Some(outcome) = self.outcome() {
                return outcome;
            }
            // The sender lives as long as `self`, so this cannot fail.
            let _ = changes.changed().await;
        }
    }
}

impl<F: Flow> Shared<F> {
    fn lock(&self) -> MutexGuard<'_, Inner<F>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn feed(weak: &Weak<Self>, input: Input) {
        if let Some(shared) = weak.upgrade() {
            let mut inner = shared.lock();
            let effects = inner.flow.handle(input, Ctx::live());
            Shared::apply(&shared, &mut inner, effects);
        }
    }

    fn apply(this: &Arc<Self>, inner: &mut Inner<F>, effects: Vec<Effect<F::State>>) {
        for effect in effects {
            match effect {
                Effect::Send(request) => {
                    inner.generation += 1;
                    let (id, kind) = (inner.generation, request.kind);
                    let weak = Arc::downgrade(this);
                    let transport = this.transport.clone();
                    let task = this.runtime.spawn(async move {
                        let result = transport.execute(request).await;
                        Shared::respond(&weak, kind, id, result);
                    });
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
                    let task = this.runtime.spawn(async move {
                        tokio::time::sleep(after).await;
                        Shared::fire(&weak, timer, id);
                    });
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
                    inner
                        .subscribers
                        .retain(|tx| tx.send(state.clone()).is_ok());
                    this.latest.send_replace(state);
                }
            }
        }
        if inner.flow.outcome().is_some() {
            inner.subscribers.clear();
        }
    }

    fn respond(weak: &Weak<Self>, kind: RequestKind, id: u64, result: HttpResult) {
        let Some(shared) = weak.upgrade() else { return };
        let mut inner = shared.lock();
        if inner.requests.get(&kind).map(|(current, _)| *current) != Some(id) {
            return; // replaced or aborted while the response was on its way
        }
        inner.requests.remove(&kind);
        let effects = inner
            .flow
            .handle(Input::Response { kind, result }, Ctx::live());
        Shared::apply(&shared, &mut inner, effects);
    }

    fn fire(weak: &Weak<Self>, timer: TimerKind, id: u64) {
        let Some(shared) = weak.upgrade() else { return };
        {
            let mut inner = shared.lock();
            if inner.timers.get(&timer).map(|(current, _)| *current) != Some(id) {
                return;
            }
            inner.timers.remove(&timer);
        }
        Shared::feed(weak, Input::Timer(timer));
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
