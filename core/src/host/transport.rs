//! A completion-shaped host transport as the core's [`HttpSender`]: the host starts a request,
//! returns at once and later reports the outcome through a [`Completion`], from any thread — the
//! shape of `URLSession.dataTask` and of a Java executor, and one a foreign callback can carry
//! (the FFI's `HttpTransport`). The core keeps every decision (time-out, body limit, headers)
//! in its transport around this sender; a request it stopped waiting for (time-out, cancelled
//! flow) may still complete, and the answer is dropped.

use std::sync::{Arc, Mutex};

use obauth_protocol::http::{HttpRequest, HttpResult, TransportFailure};
use tokio::sync::oneshot;

use crate::driver::{HttpSender, SendFuture};

/// Where the host reports one request's outcome. Only the first report counts; dropped without
/// one, the request fails as a network failure.
pub struct Completion(Mutex<Option<oneshot::Sender<HttpResult>>>);

impl Completion {
    /// Reports the outcome: a response of any status, or why there was none.
    pub fn complete(&self, result: HttpResult) {
        let sender = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            // The core may have stopped waiting (time-out, cancelled flow): nothing to do then.
            let _ = sender.send(result);
        }
    }
}

/// A sender that hands each request with its [`Completion`] to `start`, which returns at once
/// (it fails only if the request cannot be started at all). Install it with
/// [`set_host_sender`](crate::transport::set_host_sender).
pub fn sender<F>(start: F) -> Arc<dyn HttpSender>
where
    F: Fn(HttpRequest, Completion) -> Result<(), TransportFailure> + Send + Sync + 'static,
{
    Arc::new(CompletionSender(start))
}

struct CompletionSender<F>(F);

impl<F> HttpSender for CompletionSender<F>
where
    F: Fn(HttpRequest, Completion) -> Result<(), TransportFailure> + Send + Sync,
{
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        let (sender, answer) = oneshot::channel();
        let started = (self.0)(request, Completion(Mutex::new(Some(sender))));
        Box::pin(async move {
            started?;
            answer.await.unwrap_or_else(|_| {
                Err(TransportFailure::Network(
                    "the host transport dropped the request without an answer".into(),
                ))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use obauth_protocol::http::{HttpResponse, Method, RequestKind};
    use obauth_protocol::secret::Secret;
    use url::Url;

    use super::*;

    fn request() -> HttpRequest {
        HttpRequest {
            kind: RequestKind::Discovery,
            method: Method::Get,
            url: Url::parse("https://example.com/x").unwrap(),
            headers: vec![("accept", Secret::new("application/json"))],
            body: None,
            timeout: Duration::from_secs(1),
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn response(status: u16) -> HttpResult {
        Ok(HttpResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        })
    }

    #[test]
    fn the_first_report_from_another_thread_is_the_answer() {
        let (tx, rx) = mpsc::channel::<Completion>();
        let sender = sender(move |_, completion| {
            tx.send(completion).unwrap();
            Ok(())
        });
        std::thread::spawn(move || {
            let completion = rx.recv().unwrap();
            completion.complete(response(503));
            completion.complete(response(200));
        });
        let answer = block_on(sender.send(request())).unwrap();
        assert_eq!(answer.status, 503);
    }

    #[test]
    fn a_dropped_completion_or_a_refused_start_is_a_failure() {
        let dropped = sender(|_, completion| {
            drop(completion);
            Ok(())
        });
        let Err(TransportFailure::Network(detail)) = block_on(dropped.send(request())) else {
            panic!("not a network failure");
        };
        assert!(detail.contains("without an answer"));
        let refused = sender(|_, _| Err(TransportFailure::Timeout));
        assert_eq!(
            block_on(refused.send(request())).unwrap_err(),
            TransportFailure::Timeout
        );
    }
}
