//! `obauth relay`: the back-end relay (`obauth-relay`) as a command, served until SIGTERM or
//! Ctrl-C.
//!
//! Secrets come only from the environment (`OBAUTH_CLIENT_ID`, `OBAUTH_CLIENT_SECRET`,
//! `OBAUTH_RELAY_KEY`, and the variable named by `--jwt-hs256-secret-env`) and are never
//! printed. Log lines go to stderr (`OBAUTH_LOG=error|warn|info|debug`, default `info`); the
//! base URL is printed alone on stdout once listening, for scripts.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use obauth_relay::{
    AppTokenConfig, AppTokenKey, PartnerCredentials, Relay, RelayConfig, ServeOptions, TlsConfig,
    relay_key_from_env, secret_from_env, serve,
};
use url::Url;

use crate::args::{self, RelayArgs, UsageError};
use crate::exit;

/// The parsed command line (no secrets: those are read from the environment afterwards).
struct Options {
    listen: SocketAddr,
    config: RelayConfig,
    tls: Option<TlsConfig>,
    key_description: String,
}

fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

fn options(a: &RelayArgs) -> Result<Options, UsageError> {
    let listen: SocketAddr = args::required(&a.listen, "listen", None)?
        .parse()
        .map_err(|_| usage("--listen must be ADDR:PORT, e.g. 127.0.0.1:8080 or [::]:8443"))?;
    let upstream = Url::parse(&args::required(&a.upstream, "upstream", None)?)
        .map_err(|e| usage(format!("--upstream is not an absolute URL ({e})")))?;

    let chosen: Vec<&str> = [
        ("jwt-hs256-secret-env", &a.jwt_hs256_secret_env),
        ("jwt-public-key", &a.jwt_public_key),
        ("jwks-url", &a.jwks_url),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(f, _)| f)
    .collect();
    let (key, key_description) = match chosen.as_slice() {
        ["jwt-hs256-secret-env"] => {
            let var = a.jwt_hs256_secret_env.as_deref().unwrap_or_default();
            let secret = secret_from_env(var).map_err(|e| usage(e.to_string()))?;
            (
                AppTokenKey::Hs256(secret),
                format!("HS256, secret from ${var}"),
            )
        }
        ["jwt-public-key"] => {
            let path = a.jwt_public_key.as_deref().unwrap_or_default();
            let pem =
                std::fs::read(path).map_err(|e| usage(format!("--jwt-public-key {path}: {e}")))?;
            (
                AppTokenKey::PublicKeyPem(pem),
                format!("RS256/ES256, public key {path}"),
            )
        }
        ["jwks-url"] => {
            let raw = a.jwks_url.as_deref().unwrap_or_default();
            let url = Url::parse(raw)
                .map_err(|e| usage(format!("--jwks-url is not an absolute URL ({e})")))?;
            let shown = format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.path()
            );
            (
                AppTokenKey::JwksUrl(url),
                format!("RS256/ES256, JWKS {shown}"),
            )
        }
        [] => {
            return Err(usage(
                "one of --jwt-hs256-secret-env VAR, --jwt-public-key PEM_FILE or --jwks-url URL \
                 is required",
            ));
        }
        _ => {
            return Err(usage(
                "give only one of --jwt-hs256-secret-env, --jwt-public-key and --jwks-url",
            ));
        }
    };

    let tls = match (a.tls_cert.as_deref(), a.tls_key.as_deref()) {
        (Some(cert), Some(key)) => Some(
            TlsConfig::from_pem_files(Path::new(cert), Path::new(key))
                .map_err(|e| usage(e.to_string()))?,
        ),
        (None, None) => None,
        _ => return Err(usage("--tls-cert and --tls-key go together")),
    };

    let credentials = PartnerCredentials::from_env().map_err(|e| usage(e.to_string()))?;
    let relay_key = relay_key_from_env().map_err(|e| usage(e.to_string()))?;
    let mut app_token = AppTokenConfig::new(key);
    app_token.issuer = a.jwt_issuer.clone();
    app_token.audience = a.jwt_audience.clone();
    let config = RelayConfig {
        allow_redirects: a.allow_redirect.clone(),
        ..RelayConfig::new(upstream, credentials, relay_key, app_token)
    };
    Ok(Options {
        listen,
        config,
        tls,
        key_description,
    })
}

/// Runs the command; returns the exit code.
pub async fn run(a: RelayArgs) -> i32 {
    install_logger();
    let options = match options(&a) {
        Ok(o) => o,
        Err(e) => return args::usage_error("relay", e),
    };
    let upstream = options.config.upstream.clone();
    let redirects = options.config.allow_redirects.len();
    let limits = options.config.limits.clone();
    let relay = match Relay::new(options.config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let listener = match tokio::net::TcpListener::bind(options.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", options.listen);
            return exit::OTHER;
        }
    };
    let addr = listener.local_addr().unwrap_or(options.listen);
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    log::info!(
        target: "obauth_relay",
        "listening on {scheme}://{addr}; upstream {}://{}{}; app tokens: {}; {redirects} allowed \
         redirect(s); pollTimeout capped at {}s; rate limit {} per subject per instance",
        upstream.scheme(),
        upstream.host_str().unwrap_or_default(),
        upstream.port().map(|p| format!(":{p}")).unwrap_or_default(),
        options.key_description,
        limits.max_poll_timeout.as_secs(),
        limits.rate_limit.map_or_else(
            || "off".to_owned(),
            |r| format!("{}/min (burst {})", r.per_minute, r.burst)
        ),
    );
    let shutdown = shutdown_signal();
    println!("{scheme}://{addr}");
    let _ = std::io::stdout().flush();
    {
        let relay = relay.clone();
        tokio::spawn(async move { relay.warm_up().await });
    }
    let serve_options = ServeOptions {
        tls: options.tls,
        ..ServeOptions::default()
    };
    serve(listener, relay.router(), serve_options, shutdown).await;
    log::info!(target: "obauth_relay", "stopped");
    exit::OK
}

/// SIGTERM (what orchestrators send) or Ctrl-C. The handlers are installed here, at once (not
/// when the returned future is first polled), so a SIGTERM that arrives right after the URL
/// line is printed shuts the relay down gracefully instead of killing it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The relay's log lines, on stderr: `LEVEL target: message`.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("obauth_relay")
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let target = record
                .target()
                .strip_prefix("obauth_relay::")
                .unwrap_or("relay");
            eprintln!("{:<5} {target}: {}", record.level(), record.args());
        }
    }

    fn flush(&self) {}
}

fn install_logger() {
    static LOGGER: StderrLogger = StderrLogger;
    let level = match std::env::var("OBAUTH_LOG").as_deref() {
        Ok("error") => log::LevelFilter::Error,
        Ok("warn") => log::LevelFilter::Warn,
        Ok("debug") => log::LevelFilter::Debug,
        Ok("off") => log::LevelFilter::Off,
        _ => log::LevelFilter::Info,
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}
