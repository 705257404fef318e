//! The RFC 8252 loopback redirect listener.
//!
//! When the redirect URL is `http://127.0.0.1:PORT/…` (or `localhost`, `[::1]`), the CLI plays
//! the part a mobile app's Universal Link handler plays: it receives the browser's request for
//! the redirect, hands the full URL to the core, and answers the browser with a short page.
//! Everything that is not this flow's redirect (a favicon request, a stray URL) gets a 404; the
//! core alone decides what a redirect means.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use obauth::RedirectOutcome;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::{Host, Url};

/// A bound loopback listener for one redirect URL.
pub struct LoopbackListener {
    listener: TcpListener,
    origin: String,
    traffic: Arc<Traffic>,
}

/// What the listener has done: answered redirects, and connections still being answered.
#[derive(Default)]
pub struct Traffic {
    answered: AtomicUsize,
    active: AtomicUsize,
}

impl Traffic {
    /// Waits (at most `grace`) until the browser has been answered: the login may end by polling
    /// a moment before the browser arrives at the redirect, and it deserves its "you can close
    /// this window" page rather than a reset connection when the CLI exits.
    pub async fn settle(&self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline
            && (self.answered.load(Ordering::SeqCst) == 0 || self.active.load(Ordering::SeqCst) > 0)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl LoopbackListener {
    /// Binds the host and port of `redirect` (which must be a loopback http URL with a port).
    pub async fn bind(redirect: &Url) -> Result<Self, String> {
        let port = redirect
            .port()
            .ok_or("the loopback redirect URL needs an explicit port")?;
        let ip: std::net::IpAddr = match redirect.host() {
            Some(Host::Ipv4(ip)) => ip.into(),
            Some(Host::Ipv6(ip)) => ip.into(),
            _ => std::net::Ipv4Addr::LOCALHOST.into(), // localhost
        };
        let listener = TcpListener::bind(SocketAddr::new(ip, port))
            .await
            .map_err(|e| format!("cannot listen on {ip}:{port} for the redirect: {e}"))?;
        let origin = format!(
            "http://{}:{port}",
            redirect.host_str().unwrap_or("127.0.0.1")
        );
        Ok(LoopbackListener {
            listener,
            origin,
            traffic: Arc::default(),
        })
    }

    /// The listener's traffic counters (see [`Traffic::settle`]).
    pub fn traffic(&self) -> Arc<Traffic> {
        self.traffic.clone()
    }

    /// Serves redirects until the task is aborted; `handle` is the flow's redirect handler.
    pub async fn serve<H>(self, handle: H)
    where
        H: Fn(&str) -> RedirectOutcome + Clone + Send + 'static,
    {
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                continue;
            };
            let handle = handle.clone();
            let origin = self.origin.clone();
            let traffic = self.traffic.clone();
            traffic.active.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let answered =
                    tokio::time::timeout(Duration::from_secs(10), answer(stream, &origin, handle))
                        .await;
                if matches!(answered, Ok(Ok(true))) {
                    traffic.answered.fetch_add(1, Ordering::SeqCst);
                }
                traffic.active.fetch_sub(1, Ordering::SeqCst);
            });
        }
    }
}

/// Answers one connection; `Ok(true)` when it was this flow's redirect.
async fn answer<H: Fn(&str) -> RedirectOutcome>(
    mut stream: TcpStream,
    origin: &str,
    handle: H,
) -> std::io::Result<bool> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buf.len() > 16 * 1024 {
            return Ok(false);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head
        .lines()
        .next()
        .and_then(|line| {
            let mut parts = line.split_whitespace();
            (parts.next() == Some("GET"))
                .then(|| parts.next())
                .flatten()
        })
        .filter(|t| t.starts_with('/'));
    let outcome = target.map(|t| handle(&format!("{origin}{t}")));
    let ours = !matches!(outcome, None | Some(RedirectOutcome::NotForThisFlow));
    let (status, message) = match outcome {
        None | Some(RedirectOutcome::NotForThisFlow) => ("404 Not Found", "Not found.".to_owned()),
        Some(RedirectOutcome::CodeAccepted) => (
            "200 OK",
            "Signed in. You can close this window and return to the terminal.".to_owned(),
        ),
        Some(RedirectOutcome::ProviderError(e)) => (
            "200 OK",
            format!("The sign-in ended: {e}. You can close this window."),
        ),
        Some(RedirectOutcome::Ignored(_)) => (
            "200 OK",
            "This sign-in has already been handled. You can close this window.".to_owned(),
        ),
        Some(RedirectOutcome::Rejected(e)) => (
            "400 Bad Request",
            format!("This redirect was rejected: {e}."),
        ),
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>ObAuth</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><p>{}</p></body></html>",
        escape(&message)
    );
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await?;
    Ok(ours)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
