//! Running one flow from the terminal: progress on stderr, the redirect from a loopback
//! listener or from a line on stdin, Ctrl-C as cancel, and a backstop after the deadline.
//! `login`, `connect` and `pkce` share it.

use std::time::Duration;

use obauth::flow::Flow;
use obauth::{AuthorizationFlow, Error, FlowHandle, RedirectOutcome};
use tokio::io::AsyncBufReadExt;

use crate::exit;
use crate::loopback::LoopbackListener;
use crate::progress::{Progress, Render};
use crate::tokens_out::{self, Field};

/// How long a finished login waits for the browser to reach the loopback redirect.
const BROWSER_GRACE: Duration = Duration::from_secs(2);

/// Where the redirect comes from.
pub enum RedirectSource {
    /// A loopback listener (RFC 8252); the flow's own polling may win too.
    Loopback(LoopbackListener),
    /// One line on stdin: the URL the browser was redirected to.
    Stdin,
    /// Nowhere (the supervised login's polling delivers the code).
    None,
}

impl RedirectSource {
    /// The loopback listener when the redirect URL is loopback http, else `fallback`.
    pub async fn for_flow<F: Flow>(
        flow: &FlowHandle<F>,
        fallback: RedirectSource,
    ) -> Result<Self, String> {
        let redirect = flow.redirect_url();
        if redirect.scheme() == "http" && obauth::validate::is_loopback(&redirect) {
            Ok(RedirectSource::Loopback(
                LoopbackListener::bind(&redirect).await?,
            ))
        } else {
            Ok(fallback)
        }
    }
}

/// Starts `flow` and waits for its end (or Ctrl-C, or the backstop after `timeout`); `qr`
/// also shows the auth URL as a QR code when stderr is a terminal.
pub async fn drive<F>(
    flow: &FlowHandle<F>,
    source: RedirectSource,
    timeout: Duration,
    qr: bool,
) -> Result<F::Output, Error>
where
    F: Flow,
    F::State: Render,
{
    let progress = Progress::start().with_qr(qr);
    let mut states = flow.subscribe();
    let printer = tokio::spawn(async move {
        while let Some(state) = states.next().await {
            progress.state(&state);
        }
    });
    let mut listener = None;
    let mut traffic = None;
    let mut stdin = None;
    match source {
        RedirectSource::Loopback(l) => {
            progress.line(&format!(
                "listening for the redirect on {}",
                flow.redirect_url()
            ));
            traffic = Some(l.traffic());
            let flow = flow.clone();
            listener = Some(tokio::spawn(
                l.serve(move |url: &str| flow.handle_redirect(url)),
            ));
        }
        RedirectSource::Stdin => {
            let flow = flow.clone();
            stdin = Some(tokio::spawn(async move {
                let mut line = String::new();
                let mut reader = tokio::io::BufReader::new(tokio::io::stdin());
                match reader.read_line(&mut line).await {
                    Ok(n) if n > 0 => match flow.handle_redirect(line.trim()) {
                        RedirectOutcome::Rejected(e) => Err(e),
                        RedirectOutcome::NotForThisFlow => Err(Error::InvalidRedirect(
                            "the URL on stdin is not this flow's redirect".into(),
                        )),
                        _ => Ok(()),
                    },
                    _ => Err(Error::InvalidRedirect("no redirect URL on stdin".into())),
                }
            }));
        }
        RedirectSource::None => {}
    }
    flow.start();
    let stdin_failed = async {
        match &mut stdin {
            Some(task) => match task.await {
                Ok(Err(e)) => e,
                _ => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    };
    let outcome = tokio::select! {
        outcome = flow.wait() => outcome,
        error = stdin_failed => {
            // A forged, stale or foreign redirect on stdin: nothing was exchanged; stop here.
            flow.cancel();
            Err(error)
        }
        _ = tokio::signal::ctrl_c() => {
            flow.cancel();
            flow.wait().await
        }
        // Backstop only: the flow's own deadline ends it first.
        _ = tokio::time::sleep(timeout + Duration::from_secs(5)) => {
            flow.cancel();
            Err(Error::TimedOut(timeout))
        }
    };
    if let Some(task) = listener {
        if let Some(traffic) = traffic {
            traffic.settle(BROWSER_GRACE).await;
        }
        task.abort();
    }
    if let Some(task) = stdin {
        task.abort();
    }
    let _ = printer.await;
    outcome
}

/// Runs an authorization-code flow (`connect`, `pkce`) to its end: the redirect on a loopback
/// listener for a loopback redirect URI, else as a pasted line on stdin; on success the token
/// object with `fields` on stdout. Returns the exit code.
pub async fn run_authorization(
    flow: &AuthorizationFlow,
    timeout: Duration,
    qr: bool,
    fields: &[Field],
) -> i32 {
    let source = match RedirectSource::for_flow(flow, RedirectSource::Stdin).await {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return exit::OTHER;
        }
    };
    if matches!(source, RedirectSource::Stdin) {
        eprintln!("after approving, paste the URL the browser was redirected to, then press Enter");
    }
    tokens_out::print(drive(flow, source, timeout, qr).await, fields)
}
