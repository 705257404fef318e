//! A loopback HTTP proxy in front of a live sandbox that rewrites fixed strings in request
//! targets and bodies, and counts how often each rewrite applied.
//!
//! Golden snapshots name things only the sandbox that produced them knew: a supervised-login
//! session id and the `startToken` of its hosted page, an authorization code that was received
//! but not yet exchanged. A fresh sandbox knows none of them, so a restored flow that resumes
//! polling its old session, or resends its old code, could only be refused. The proxy stands in
//! for "the same provider, still remembering": the test opens a live session (or obtains a live
//! code for the golden flow's own request), and the proxy maps the golden value to the live one
//! on the way in. Nothing else is touched, and the hit counts prove that the restored flow really
//! sent the golden value.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::Response;
use obauth_e2e::browser::plain_http;

struct Rewrite {
    from: String,
    to: String,
    hits: usize,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    rewrites: Mutex<Vec<Rewrite>>,
}

impl Shared {
    fn apply(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for rewrite in self.rewrites.lock().unwrap().iter_mut() {
            let hits = text.matches(rewrite.from.as_str()).count();
            if hits > 0 {
                rewrite.hits += hits;
                text = text.replace(rewrite.from.as_str(), &rewrite.to);
            }
        }
        text
    }
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Listens on a random loopback port and forwards everything to `upstream`
    /// (`http://127.0.0.1:PORT`, no trailing slash).
    pub async fn start(upstream: &str) -> Proxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("the proxy binds a loopback port");
        let port = listener.local_addr().expect("a bound address").port();
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            http: plain_http(),
            rewrites: Mutex::new(Vec::new()),
        });
        let router = Router::new().fallback(forward).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Proxy {
            base_url: format!("http://127.0.0.1:{port}"),
            shared,
            task,
        }
    }

    /// `http://127.0.0.1:PORT` of the proxy.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Replaces `from` by `to` in every request target (path and query) and body from now on.
    pub fn rewrite(&self, from: &str, to: &str) {
        assert!(!from.is_empty() && from != to, "a useless rewrite");
        self.shared.rewrites.lock().unwrap().push(Rewrite {
            from: from.to_owned(),
            to: to.to_owned(),
            hits: 0,
        });
    }

    /// How many times `from` was replaced so far.
    pub fn hits(&self, from: &str) -> usize {
        self.shared
            .rewrites
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.from == from)
            .map(|r| r.hits)
            .sum()
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .expect("a readable request body");
    let body = String::from_utf8(body.to_vec()).expect("a text request body");
    let (target, body) = (shared.apply(&target), shared.apply(&body));
    let mut upstream = shared
        .http
        .request(parts.method, format!("{}{target}", shared.upstream));
    for (name, value) in &parts.headers {
        // The client's Host is kept, as a transparent proxy does: the sandbox names its issuer
        // (and the ID token's `iss`) after it, so the flow sees the issuer it was built for.
        // reqwest sets the length of the possibly rewritten body.
        if name != header::CONTENT_LENGTH {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream
        .body(body)
        .send()
        .await
        .expect("the sandbox answers the proxy");
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != header::TRANSFER_ENCODING
            && name != header::CONTENT_LENGTH
            && name != header::CONNECTION
        {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.expect("the sandbox's answer body");
    response
        .body(Body::from(bytes))
        .expect("a valid proxied response")
}
