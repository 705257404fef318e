//! # `host_bridge`: the native host app, played for a real browser
//!
//! ObAuth's host apps (the iOS and Android samples) own a WebView and the flows; for every
//! navigation the WebView is about to make they ask the core (`decide_navigation`) and obey:
//! load it, hand it to the flow (intercept), open it outside the app, or block it. The browser
//! end-to-end tests (`tests/browser/`) drive headless Chromium from Node, and this binary is the
//! host app's other half: it owns real flows through the obauth core's public API, exactly as the
//! samples do, against an in-process sandbox, and answers the browser's "may I load this URL?"
//! questions over a small JSON API on 127.0.0.1 (see [`api`]).
//!
//! ```text
//!  Node test ──POST /flows──────────────▶ host_bridge ── Client / OidcClient ──▶ sandbox (per flow)
//!  Chromium  ──paused navigation (CDP)──▶ Node ──POST /flows/{id}/navigate──▶ decide_navigation
//!            ◀── continue / abort ──────────────── allow | intercept | open_externally | block
//! ```
//!
//! Why a bridge rather than driving Chromium from Rust: Playwright's `CDPSession` gives the
//! test both the Fetch domain (every http(s) navigation, redirects included, paused before it
//! leaves the browser) and the Page domain (custom-scheme navigations, which never reach Fetch),
//! with click / screenshot helpers on top; the Rust side stays what a host app really is.
//!
//! Usage: `host_bridge [--port N] [--ready-file PATH]`. It listens on `127.0.0.1:N` (`0`, the
//! default, picks a free port), prints `host_bridge: listening on http://127.0.0.1:PORT`, and
//! writes that URL to `PATH` once it accepts connections (how `tests/browser/run.sh` finds it).
//! It runs until killed.
//!
//! Modules: [`api`] (routes), [`flows`] (flows, sandboxes, decisions, reports), [`pages`] (the
//! bridge's own bank page with links that leave the WebView).

mod api;
mod flows;
mod pages;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;

use tokio::net::TcpListener;

struct Args {
    port: u16,
    ready_file: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        ready_file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--port" => {
                let value = it.next().ok_or("--port needs a value")?;
                args.port = value
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {value}"))?;
            }
            "--ready-file" => {
                args.ready_file = Some(it.next().ok_or("--ready-file needs a path")?.into());
            }
            "-h" | "--help" => {
                return Err("usage: host_bridge [--port N] [--ready-file PATH]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

async fn run(args: Args) -> Result<(), String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let base = format!("http://127.0.0.1:{port}");
    if let Some(path) = &args.ready_file {
        // Write then rename, so a reader never sees half a URL.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("{base}\n"))
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!("host_bridge: listening on {base}");
    axum::serve(listener, api::router(api::Bridge::default()))
        .await
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("host_bridge: {message}");
            return ExitCode::from(2);
        }
    };
    // A host app's runtime is small; two workers are plenty for a handful of flows.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("host_bridge: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("host_bridge: {message}");
            ExitCode::FAILURE
        }
    }
}
