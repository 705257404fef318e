//! `obauth`: run open-banking sign-in flows from a terminal, serve the sandbox, run the demo.

mod args;
mod connect;
mod connect_relay;
mod demo;
mod demo_oauth;
mod demo_relay;
mod drive;
mod exit;
mod login;
mod loopback;
mod pkce;
mod progress;
mod qr;
mod refresh;
mod relay_cmd;
mod sandbox_cmd;
mod token;
mod tokens_out;
mod unattended;

use args::Command;

fn main() {
    // The CLI's own plain HTTP clients (the demo's browser) use rustls' process-wide provider;
    // the core configures its own and does not depend on this.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = match args::parse() {
        Ok(cli) => cli,
        Err(code) => std::process::exit(code),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(exit::OTHER);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Login(a) => login::run(a).await,
            Command::Connect(a) => connect::run(a).await,
            Command::Pkce(a) => pkce::run(a).await,
            Command::Token(a) => token::run(a).await,
            Command::Unattended(a) => unattended::run(a).await,
            Command::Refresh(a) => refresh::run(a).await,
            Command::Sandbox(a) => sandbox_cmd::run(a).await,
            Command::Demo => demo::run().await,
            Command::Relay(a) => relay_cmd::run(a).await,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    std::process::exit(code);
}
