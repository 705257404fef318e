//! The methods every flow object shares, written once.
//!
//! The core runs every flow behind the same generic handle, [`obauth::FlowHandle<F>`]. UniFFI
//! objects cannot be generic, so each flow is its own exported object ([`crate::SupervisedLogin`],
//! [`crate::AuthorizationFlow`]) with a field `inner: FlowHandle<F>`, and [`flow_object!`] writes
//! the shared methods onto it; only the types differ. The synchronous methods are safe to call
//! from any thread, including a WebView's navigation callback, which cannot wait.

/// `flow_object!(Object, State, ObserverTrait, Output)`: the shared flow methods on `Object`,
/// whose field `inner: obauth::FlowHandle<F>` has states `State` (which `ObserverTrait`
/// receives) and an output that converts into `Output`.
macro_rules! flow_object {
    ($object:ident, $state:ty, $observer:ident, $output:ty) => {
        #[uniffi::export]
        impl $object {
            /// Begins the flow (the first request, the deadline). Calling it again does
            /// nothing.
            pub fn start(&self) {
                self.inner.start();
            }

            /// The current state.
            pub fn state(&self) -> $state {
                self.inner.state()
            }

            /// Hands over a URL the app met (WebView navigation, Universal Link, App Link).
            /// Says whether it was this flow's redirect and what happened.
            pub fn handle_redirect(&self, url: String) -> $crate::types::RedirectOutcome {
                self.inner.handle_redirect(&url)
            }

            /// The WebView navigation policy for `url`: allow, intercept (this flow's
            /// redirect, which is then handled), open outside the app, or block. Call it from
            /// `WKNavigationDelegate.decidePolicyFor` / `WebViewClient.shouldOverrideUrlLoading`.
            pub fn decide_navigation(&self, url: String) -> $crate::types::Navigation {
                self.inner.decide_navigation(&url)
            }

            /// `decideNavigation` for a frame: `isMainFrame` is `false` for a subframe
            /// (`WKNavigationAction.targetFrame?.isMainFrame`,
            /// `WebResourceRequest.isForMainFrame`). A subframe never delivers the redirect
            /// (blocked) nor opens anything outside the app.
            pub fn decide_frame_navigation(
                &self,
                url: String,
                is_main_frame: bool,
            ) -> $crate::types::Navigation {
                self.inner.decide_frame_navigation(&url, is_main_frame)
            }

            /// Continues a flow restored from a snapshot (`restoreSupervisedLogin`,
            /// `restoreConnectFlow`, `restorePkceFlow`): re-arms its deadline and picks up
            /// what was in progress (polling, an exchange). A restored flow accepts its
            /// redirect even before this.
            pub fn resume(&self) {
                self.inner.resume();
            }

            /// The flow as a versioned snapshot, for the matching `restore…` call.
            /// **Contains secrets** (a code in flight, PKCE verifier, tokens once
            /// authenticated): secure storage only.
            pub fn snapshot(&self) -> Result<String, $crate::ObAuthError> {
                Ok(self.inner.snapshot()?)
            }

            /// Saves the snapshot to `storage` under `key` now and after every state change,
            /// so the flow survives the app being killed. A failure of the first save is
            /// returned (`ObAuthError.RetryLater`, code `storage`); later failures are logged
            /// and the flow goes on.
            pub fn persist_to(
                &self,
                storage: ::std::sync::Arc<dyn $crate::storage::SecureStorage>,
                key: String,
            ) -> Result<(), $crate::ObAuthError> {
                let storage = $crate::storage::HostStorage(storage);
                Ok(self.inner.persist_to(::std::sync::Arc::new(storage), key)?)
            }

            /// Cancels the flow: in-flight requests are abandoned and no exchange happens
            /// afterwards.
            pub fn cancel(&self) {
                self.inner.cancel();
            }

            /// The redirect URL this flow waits for (for a wildcard pattern, its prefix).
            pub fn redirect_url(&self) -> String {
                self.inner.redirect_url().to_string()
            }

            /// Waits for the end of the flow: the tokens, or the error (cancelled, failed at
            /// the bank, timed out…). Cancelling the awaiting coroutine / task does not cancel
            /// the flow; call `cancel()` for that (the layers' `signIn()` does). The error
            /// names the flow's `correlationId`.
            pub async fn await_tokens(&self) -> Result<$output, $crate::ObAuthError> {
                $crate::run(&self.inner, |flow| async move { flow.wait().await })
                    .await
                    .map_err(|e| e.with_correlation_id(self.inner.correlation_id()))
            }

            /// The flow's correlation id, sent as `X-Correlation-Id` on each of its requests;
            /// `null`/`nil` before `start()`. Not a secret: show it with errors so a support
            /// ticket can quote it.
            pub fn correlation_id(&self) -> Option<String> {
                self.inner.correlation_id()
            }

            /// Delivers every state from now on, in order, starting with the current one, to
            /// `observer`, on the `obauth-callbacks` thread, until the terminal state. An
            /// observer that throws is logged and keeps receiving states; it never affects the
            /// flow.
            pub fn add_observer(&self, observer: ::std::sync::Arc<dyn $observer>) {
                let states = self.inner.subscribe();
                obauth::host::forward(states, <$state>::name, move |s| observer.on_state(s));
            }
        }
    };
}

pub(crate) use flow_object;
