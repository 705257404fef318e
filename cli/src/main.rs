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
mod progress;
mod relay_cmd;
mod sandbox_cmd;
mod token;
mod unattended;

/// The usage text.
pub const USAGE: &str = "\
usage:
  obauth login   --api-url URL --client-id ID --client-secret SECRET --user-hash HASH
                 --redirect-url URL [--poll-timeout SECS] [--timeout SECS]
  obauth login   --relay-url URL --app-token TOKEN --redirect-url URL
                 [--poll-timeout SECS] [--timeout SECS]
  obauth unattended --api-url URL --client-id ID --client-secret SECRET --user-hash HASH
                 --login-token TOKEN
  obauth connect --api-url URL --client-id ID --client-secret SECRET --redirect-uri URI
                 [--scope SCOPE] [--timeout SECS]
  obauth connect --relay-url URL --app-token TOKEN --api-url URL --client-id ID
                 --redirect-uri URI [--scope SCOPE] [--timeout SECS]
  obauth token   (--token-url URL | --issuer URL) --client-id ID --client-secret SECRET
                 [--scope SCOPE] [--client-auth post|basic]
  obauth sandbox [--port N]
  obauth demo
  obauth relay   --listen ADDR:PORT --upstream URL
                 (--jwt-hs256-secret-env VAR | --jwt-public-key PEM_FILE | --jwks-url URL)
                 [--jwt-issuer ISS] [--jwt-audience AUD] [--allow-redirect URL_OR_PATTERN]...
                 [--tls-cert PEM_FILE --tls-key PEM_FILE]

Credentials may also come from OBAUTH_CLIENT_ID / OBAUTH_CLIENT_SECRET (the relay reads them,
and its key OBAUTH_RELAY_KEY, only from the environment), the app token from OBAUTH_APP_TOKEN,
the login token of unattended from OBAUTH_LOGIN_TOKEN.
Exit codes: 0 ok, 2 invalid input (nothing sent), 3 cancelled, 4 failed at the bank,
5 timed out, 6 unauthorized (or app token refused), 7 provider/network unavailable,
8 protocol error, 9 login token refused (start a supervised login), 1 other.";

fn main() {
    // The CLI's own plain HTTP clients (the demo's browser) use rustls' process-wide provider;
    // the core configures its own and does not depend on this.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
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
        match args.first().map(String::as_str) {
            Some("login") => login::run(&args[1..]).await,
            Some("connect") => connect::run(&args[1..]).await,
            Some("token") => token::run(&args[1..]).await,
            Some("unattended") => unattended::run(&args[1..]).await,
            Some("sandbox") => sandbox_cmd::run(&args[1..]).await,
            Some("demo") => demo::run(&args[1..]).await,
            Some("relay") => relay_cmd::run(&args[1..]).await,
            Some("-h" | "--help" | "help") => {
                println!("{USAGE}");
                exit::OK
            }
            Some(other) => {
                eprintln!("error: unknown command {other:?}\n{USAGE}");
                exit::INVALID_INPUT
            }
            None => {
                eprintln!("{USAGE}");
                exit::INVALID_INPUT
            }
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    std::process::exit(code);
}
