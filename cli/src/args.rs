//! The command line, declared with `clap` (derive): every command and flag in one place, so
//! `--help` on each command, `--version`, and usage errors that show the usage of the command at
//! hand come from the ecosystem's parser rather than hand-written code.
//!
//! Two things stay here by hand, because the contract fixed them before the parser:
//! - Flags whose value may come from the environment (`--client-id` / `OBAUTH_CLIENT_ID`, …) and
//!   the cross-flag rules (`--token-url` xor `--issuer`, relay mode refusing partner flags) are
//!   checked by the commands, with the `error: missing --client-id (or OBAUTH_CLIENT_ID)` lines
//!   the contract tests read. Flags are therefore optional to clap and typed as text; the
//!   commands read them with [`required`] and [`seconds`].
//! - An unknown flag is reported as `error: unknown option --NAME` (the pre-clap wording, which
//!   scripts and tests match), followed by the command's usage.
//!
//! Every usage problem exits 2 ([`crate::exit::INVALID_INPUT`], clap's own code for usage
//! errors too): nothing was sent.

use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::exit;

/// Environment variables and exit codes, shown after the top-level help.
const AFTER_HELP: &str = "\
Credentials may also come from OBAUTH_CLIENT_ID / OBAUTH_CLIENT_SECRET (the relay reads them,
and its key OBAUTH_RELAY_KEY, only from the environment), the app token from OBAUTH_APP_TOKEN,
the login token of unattended from OBAUTH_LOGIN_TOKEN, the refresh token from
OBAUTH_REFRESH_TOKEN.
Exit codes: 0 ok, 2 invalid input (nothing sent), 3 cancelled, 4 failed at the bank,
5 timed out, 6 unauthorized (or app token refused), 7 provider/network unavailable,
8 protocol error, 9 login or refresh token refused (sign in again), 1 other.";

/// `obauth`: run open-banking sign-in flows from a terminal, serve the sandbox or the relay, run
/// the demo.
#[derive(Debug, Parser)]
#[command(
    name = "obauth",
    version,
    about = "Run open-banking sign-in flows from a terminal; serve the sandbox or the relay; run the demo",
    after_help = AFTER_HELP,
    arg_required_else_help = true
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A complete Aiia Enterprise supervised login (partner credentials or an app's relay).
    Login(LoginArgs),
    /// A new Aiia Enterprise session from a stored login token, without the user.
    Unattended(UnattendedArgs),
    /// The Aiia Data connect flow (authorization code, confidential client).
    Connect(ConnectArgs),
    /// OpenID Connect authorization code + PKCE for a public client.
    Pkce(PkceArgs),
    /// The client-credentials grant (Aritma, Apiture).
    Token(TokenArgs),
    /// The refresh-token grant at a token endpoint.
    Refresh(RefreshArgs),
    /// Serve the embedded provider sandbox until Ctrl-C.
    Sandbox(SandboxArgs),
    /// Run every flow end to end against the embedded sandbox.
    Demo,
    /// Serve the partner-credential relay until SIGTERM or Ctrl-C.
    Relay(RelayArgs),
}

/// `--qr`: the auth URL as a QR code too, when stderr is a terminal.
#[derive(Debug, Args, Clone, Copy)]
pub struct QrFlag {
    /// Also show the auth URL as a QR code (only when stderr is a terminal), to open it on a
    /// phone.
    #[arg(long)]
    pub qr: bool,
}

/// The provider and the partner's credentials (direct mode), shared by the Aiia commands.
#[derive(Debug, Args)]
pub struct PartnerArgs {
    /// The provider's API root, e.g. https://api.nordicapigateway.com.
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    pub api_url: Option<String>,
    /// The partner's client id [or OBAUTH_CLIENT_ID].
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub client_id: Option<String>,
    /// The partner's client secret [or OBAUTH_CLIENT_SECRET]; never printed.
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    pub client_secret: Option<String>,
}

impl PartnerArgs {
    /// Whether any of the flags was given (relay mode refuses them).
    pub fn given(&self) -> Option<&'static str> {
        [
            ("api-url", &self.api_url),
            ("client-id", &self.client_id),
            ("client-secret", &self.client_secret),
        ]
        .into_iter()
        .find_map(|(flag, value)| value.is_some().then_some(flag))
    }

    /// The client configuration, the id and secret from the flags or the environment.
    pub fn config(&self) -> Result<obauth::ClientConfig, UsageError> {
        Ok(obauth::ClientConfig::new(
            required(&self.api_url, "api-url", None)?,
            required(&self.client_id, "client-id", Some("OBAUTH_CLIENT_ID"))?,
            required(
                &self.client_secret,
                "client-secret",
                Some("OBAUTH_CLIENT_SECRET"),
            )?,
        ))
    }
}

/// The deadline, relay mode and `--qr`, shared by `login` and `connect` (in this order after
/// each command's own flags). In relay mode `login` needs none of [`PartnerArgs`]; `connect`
/// still names the consent page (`--api-url`, `--client-id`) and only the secret moves to the
/// relay, which is why `connect` words `--relay-url`'s help its own way.
#[derive(Debug, Args)]
pub struct FlowArgs {
    /// The overall deadline in seconds.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true)]
    pub timeout: Option<String>,
    /// Relay mode: the app's relay (`obauth relay`) instead of partner credentials.
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    pub relay_url: Option<String>,
    /// Relay mode: the app token the relay checks [or OBAUTH_APP_TOKEN].
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub app_token: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub qr: QrFlag,
}

impl FlowArgs {
    /// Relay mode's client configuration: the app token from the flag or the environment (asked
    /// for first), then the relay's URL.
    pub fn relay_config(&self) -> Result<obauth::ClientConfig, UsageError> {
        let token = obauth::Secret::new(required(
            &self.app_token,
            "app-token",
            Some("OBAUTH_APP_TOKEN"),
        )?);
        Ok(obauth::ClientConfig::relay(
            required(&self.relay_url, "relay-url", None)?,
            fixed_token(token),
        ))
    }
}

/// The one app token the command line gave: there is no fresher one to ask for, so a refusal
/// is final.
fn fixed_token(
    token: obauth::Secret,
) -> impl Fn(bool) -> Result<obauth::Secret, obauth::Error> + Send + Sync {
    move |force_refresh| {
        if force_refresh {
            Err(obauth::Error::AppTokenRejected)
        } else {
            Ok(token.clone())
        }
    }
}

/// `obauth login`.
#[derive(Debug, Args)]
#[command(override_usage = "\
obauth login --api-url URL --client-id ID --client-secret SECRET --user-hash HASH
                    --redirect-url URL [--poll-timeout SECS] [--timeout SECS] [--qr]
       obauth login --relay-url URL --app-token TOKEN --redirect-url URL
                    [--poll-timeout SECS] [--timeout SECS] [--qr]")]
pub struct LoginArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub partner: PartnerArgs,
    /// The user at the provider (8 to 64 of a-z A-Z 0-9 -).
    #[arg(long, value_name = "HASH", allow_hyphen_values = true)]
    pub user_hash: Option<String>,
    /// Where the bank sends the user when done (loopback http is listened on).
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    pub redirect_url: Option<String>,
    /// The status long-poll window in seconds.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true)]
    pub poll_timeout: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flow: FlowArgs,
}

/// `obauth unattended`.
#[derive(Debug, Args)]
#[command(override_usage = "\
obauth unattended --api-url URL --client-id ID --client-secret SECRET --user-hash HASH
                         --login-token TOKEN")]
pub struct UnattendedArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub partner: PartnerArgs,
    /// The user at the provider (8 to 64 of a-z A-Z 0-9 -).
    #[arg(long, value_name = "HASH", allow_hyphen_values = true)]
    pub user_hash: Option<String>,
    /// The stored login token [or OBAUTH_LOGIN_TOKEN]; the new one replaces it.
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub login_token: Option<String>,
}

/// `obauth connect`.
#[derive(Debug, Args)]
#[command(override_usage = "\
obauth connect --api-url URL --client-id ID --client-secret SECRET --redirect-uri URI
                      [--scope SCOPE] [--timeout SECS] [--qr]
       obauth connect --relay-url URL --app-token TOKEN --api-url URL --client-id ID
                      --redirect-uri URI [--scope SCOPE] [--timeout SECS] [--qr]")]
#[command(mut_arg("relay_url", |arg| arg.help(
    "Relay mode: the app's relay (`obauth relay`) exchanges the code; no client secret"
)))]
pub struct ConnectArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub partner: PartnerArgs,
    /// The registered redirect URI (loopback http is listened on; else paste the redirect on
    /// stdin).
    #[arg(long, value_name = "URI", allow_hyphen_values = true)]
    pub redirect_uri: Option<String>,
    /// Requested scopes, space-delimited (default: accounts offline_access).
    #[arg(long, value_name = "SCOPE", allow_hyphen_values = true)]
    pub scope: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flow: FlowArgs,
}

/// `obauth pkce`.
#[derive(Debug, Args)]
#[command(override_usage = "\
obauth pkce --issuer URL --client-id ID --redirect-uri URI [--scope SCOPE] [--prompt P]
                   [--param NAME=VALUE]... [--timeout SECS] [--qr]")]
pub struct PkceArgs {
    /// The OpenID Connect issuer; endpoints come from its discovery document.
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    pub issuer: Option<String>,
    /// The public client id [or OBAUTH_CLIENT_ID].
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub client_id: Option<String>,
    /// The registered redirect URI (loopback http is listened on; else paste the redirect on
    /// stdin).
    #[arg(long, value_name = "URI", allow_hyphen_values = true)]
    pub redirect_uri: Option<String>,
    /// Requested scopes, space-delimited (default: openid).
    #[arg(long, value_name = "SCOPE", allow_hyphen_values = true)]
    pub scope: Option<String>,
    /// OpenID Connect prompt (none, login, consent, select_account). Default: consent when the
    /// scope has offline_access, else none sent.
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    pub prompt: Option<String>,
    /// Another authorize parameter (login_hint=…, ui_locales=…, max_age=…, acr_values=…, or
    /// any the provider documents); repeatable. The flow's own parameters are refused.
    #[arg(long, value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub param: Vec<String>,
    /// The overall deadline in seconds.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true)]
    pub timeout: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub qr: QrFlag,
}

/// The token endpoint and the client, shared by `token` and `refresh`.
#[derive(Debug, Args)]
pub struct TokenClientArgs {
    /// The token endpoint (give this or --issuer).
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    pub token_url: Option<String>,
    /// The issuer whose discovery document names the token endpoint.
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    pub issuer: Option<String>,
    /// The client id [or OBAUTH_CLIENT_ID].
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub client_id: Option<String>,
    /// The client secret [or OBAUTH_CLIENT_SECRET]; never printed.
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    pub client_secret: Option<String>,
    /// Client authentication: client_secret_post (post), client_secret_basic (basic) or, for
    /// refresh, a public client (none).
    #[arg(long, value_name = "METHOD", allow_hyphen_values = true)]
    pub client_auth: Option<String>,
}

/// `obauth token`.
#[derive(Debug, Args)]
#[command(override_usage = "\
obauth token (--token-url URL | --issuer URL) --client-id ID --client-secret SECRET
                    [--scope SCOPE] [--client-auth post|basic]")]
pub struct TokenArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub client: TokenClientArgs,
    /// Requested scopes, space-delimited.
    #[arg(long, value_name = "SCOPE", allow_hyphen_values = true)]
    pub scope: Option<String>,
}

/// `obauth refresh`.
#[derive(Debug, Args)]
#[command(override_usage = "\
obauth refresh (--token-url URL | --issuer URL) --client-id ID [--client-secret SECRET]
                      [--client-auth post|basic|none] --refresh-token TOKEN")]
pub struct RefreshArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub client: TokenClientArgs,
    /// The refresh token to redeem [or OBAUTH_REFRESH_TOKEN]; never printed except as the
    /// answer's own.
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub refresh_token: Option<String>,
}

/// `obauth sandbox`.
#[derive(Debug, Args)]
#[command(override_usage = "obauth sandbox [--port N]")]
pub struct SandboxArgs {
    /// The loopback port (0: any free port).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub port: Option<String>,
}

/// `obauth relay`.
#[derive(Debug, Args)]
#[command(override_usage = "\
obauth relay --listen ADDR:PORT --upstream URL
                    (--jwt-hs256-secret-env VAR | --jwt-public-key PEM_FILE | --jwks-url URL)
                    [--jwt-issuer ISS] [--jwt-audience AUD] [--allow-redirect URL_OR_PATTERN]...
                    [--tls-cert PEM_FILE --tls-key PEM_FILE]")]
pub struct RelayArgs {
    /// Where to listen, e.g. 127.0.0.1:8080 or [::]:8443.
    #[arg(long, value_name = "ADDR:PORT", allow_hyphen_values = true)]
    pub listen: Option<String>,
    /// The provider's API root the relay forwards to (https unless loopback).
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    pub upstream: Option<String>,
    /// App tokens are HS256 JWTs; the secret is in this environment variable.
    #[arg(long, value_name = "VAR", allow_hyphen_values = true)]
    pub jwt_hs256_secret_env: Option<String>,
    /// App tokens are RS256/ES256 JWTs verified with this PEM public key.
    #[arg(long, value_name = "PEM_FILE", allow_hyphen_values = true)]
    pub jwt_public_key: Option<String>,
    /// App tokens are verified with the keys of this JWKS.
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    pub jwks_url: Option<String>,
    /// The `iss` app tokens must carry.
    #[arg(long, value_name = "ISS", allow_hyphen_values = true)]
    pub jwt_issuer: Option<String>,
    /// The `aud` app tokens must carry.
    #[arg(long, value_name = "AUD", allow_hyphen_values = true)]
    pub jwt_audience: Option<String>,
    /// A redirect URL (or pattern ending in /*) apps may use; repeatable.
    #[arg(long, value_name = "URL_OR_PATTERN", allow_hyphen_values = true)]
    pub allow_redirect: Vec<String>,
    /// TLS certificate chain (PEM); serve https.
    #[arg(long, value_name = "PEM_FILE", allow_hyphen_values = true)]
    pub tls_cert: Option<String>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "PEM_FILE", allow_hyphen_values = true)]
    pub tls_key: Option<String>,
}

/// A usage problem found after parsing (a missing flag, a bad number, conflicting flags):
/// printed as `error: …` with the command's usage, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl From<String> for UsageError {
    fn from(message: String) -> Self {
        UsageError(message)
    }
}

/// Parses the process's arguments, or prints what clap or the contract asks (help and version
/// on stdout with 0; a usage error on stderr with the command's usage) and returns the exit code.
pub fn parse() -> Result<Cli, i32> {
    Cli::try_parse().map_err(report_clap_error)
}

fn report_clap_error(error: clap::Error) -> i32 {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            return exit::OK;
        }
        ErrorKind::UnknownArgument => {
            if let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg)
                && let Some(flag) = arg.strip_prefix("--")
            {
                let name = flag.split_once('=').map_or(flag, |(name, _)| name);
                eprintln!("error: unknown option --{name}");
                let mut help = "obauth --help".to_owned();
                if let Some(ContextValue::StyledStr(usage)) = error.get(ContextKind::Usage) {
                    eprintln!("\n{usage}");
                    // `Usage: obauth COMMAND …`: point at that command's help.
                    let text = usage.to_string();
                    if let Some(command) = text
                        .split_whitespace()
                        .nth(2)
                        .filter(|c| !c.starts_with('<'))
                    {
                        help = format!("obauth {command} --help");
                    }
                }
                eprintln!("\nFor more information, try '{help}'.");
                return exit::INVALID_INPUT;
            }
        }
        _ => {}
    }
    let _ = error.print();
    exit::INVALID_INPUT
}

/// Prints a usage error found by a command, with that command's usage; returns exit code 2.
pub fn usage_error(command: &str, error: UsageError) -> i32 {
    eprintln!("error: {}", error.0);
    let mut cli = Cli::command();
    if let Some(sub) = cli.find_subcommand_mut(command) {
        eprintln!("\n{}", sub.render_usage());
    }
    eprintln!("\nFor more information, try 'obauth {command} --help'.");
    exit::INVALID_INPUT
}

/// A required flag's value, or its environment variable's.
pub fn required(
    value: &Option<String>,
    flag: &str,
    env: Option<&str>,
) -> Result<String, UsageError> {
    if let Some(v) = value {
        return Ok(v.clone());
    }
    if let Some(var) = env
        && let Ok(v) = std::env::var(var)
        && !v.is_empty()
    {
        return Ok(v);
    }
    Err(UsageError(match env {
        Some(var) => format!("missing --{flag} (or {var})"),
        None => format!("missing --{flag}"),
    }))
}

/// An optional positive whole number of seconds.
pub fn seconds(value: &Option<String>, flag: &str) -> Result<Option<Duration>, UsageError> {
    value
        .as_deref()
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    UsageError(format!(
                        "--{flag} must be a positive whole number of seconds"
                    ))
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("obauth").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn both_spellings_repeats_and_errors() {
        let Command::Pkce(p) = parse(&[
            "pkce",
            "--issuer",
            "https://id.example.com",
            "--param=login_hint=jane",
            "--param",
            "ui_locales=da",
            "--client-id",
            "-starts-with-a-dash",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        assert_eq!(p.issuer.as_deref(), Some("https://id.example.com"));
        assert_eq!(p.param, ["login_hint=jane", "ui_locales=da"]);
        assert_eq!(p.client_id.as_deref(), Some("-starts-with-a-dash"));
        assert!(!p.qr.qr);
        let twice = parse(&["token", "--scope", "a", "--scope", "b"]).unwrap_err();
        assert_eq!(twice.kind(), ErrorKind::ArgumentConflict);
        let unknown = parse(&["login", "--bogus", "1"]).unwrap_err();
        assert_eq!(unknown.kind(), ErrorKind::UnknownArgument);
        let missing = parse(&["connect", "--scope"]).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::InvalidValue);
        assert!(parse(&["demo", "extra"]).is_err());
    }

    /// `login` and `connect` share [`FlowArgs`]; `connect` keeps its own words for
    /// `--relay-url` (only the secret moves to the relay there).
    #[test]
    fn login_and_connect_share_the_flow_flags_with_their_own_relay_help() {
        let cli = Cli::command();
        let help = |command: &str, flag: &str| {
            let sub = cli.find_subcommand(command).unwrap();
            let arg = sub
                .get_arguments()
                .find(|a| a.get_long() == Some(flag))
                .unwrap_or_else(|| panic!("{command} --{flag}"));
            arg.get_help().unwrap().to_string()
        };
        assert_eq!(
            help("login", "relay-url"),
            "Relay mode: the app's relay (`obauth relay`) instead of partner credentials"
        );
        assert_eq!(
            help("connect", "relay-url"),
            "Relay mode: the app's relay (`obauth relay`) exchanges the code; no client secret"
        );
        for flag in ["timeout", "app-token", "qr"] {
            assert_eq!(help("login", flag), help("connect", flag), "{flag}");
        }
        let Command::Connect(c) = parse(&[
            "connect",
            "--relay-url",
            "http://127.0.0.1:9",
            "--app-token",
            "t",
            "--timeout",
            "5",
            "--qr",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        assert_eq!(c.flow.relay_url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(c.flow.app_token.as_deref(), Some("t"));
        assert_eq!(c.flow.timeout.as_deref(), Some("5"));
        assert!(c.flow.qr.qr);
    }

    #[test]
    fn seconds_must_be_positive_whole_numbers() {
        assert_eq!(
            seconds(&Some("5".into()), "t").unwrap(),
            Some(Duration::from_secs(5))
        );
        assert_eq!(seconds(&None, "t").unwrap(), None);
        for bad in ["0", "-1", "1.5", "soon"] {
            assert!(seconds(&Some(bad.into()), "t").is_err(), "{bad}");
        }
    }
}
