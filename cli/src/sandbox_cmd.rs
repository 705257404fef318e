//! `obauth sandbox`: the embedded provider, served until Ctrl-C, for trying the flows by hand.

use obauth_sandbox::{Sandbox, SandboxConfig};

use crate::args::{self, SandboxArgs, UsageError};
use crate::exit;

/// Runs the command; returns the exit code.
pub async fn run(a: SandboxArgs) -> i32 {
    let port = match a
        .port
        .as_deref()
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| UsageError("--port must be a number from 0 to 65535".into()))
        })
        .transpose()
    {
        Ok(p) => p.unwrap_or(0),
        Err(e) => return args::usage_error("sandbox", e),
    };
    let config = SandboxConfig {
        port,
        log_requests: true,
        ..SandboxConfig::default()
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the sandbox on port {port}: {e}");
            return exit::OTHER;
        }
    };
    let base = sandbox.base_url();
    eprintln!("ObAuth sandbox listening on {base}");
    eprintln!("  client id:     {}", sandbox.client_id());
    eprintln!(
        "  client secret: {} (sandbox credential)",
        sandbox.client_secret()
    );
    eprintln!("  public client: {} (PKCE)", sandbox.public_client_id());
    eprintln!("  OIDC issuer:   {}", sandbox.issuer());
    eprintln!("Try, in another terminal:");
    eprintln!(
        "  OBAUTH_CLIENT_ID={} OBAUTH_CLIENT_SECRET={} obauth login --api-url {base} \\\n    \
         --user-hash test-user-id --redirect-url http://127.0.0.1:8765/callback",
        sandbox.client_id(),
        sandbox.client_secret()
    );
    eprintln!("then open the printed auth_url in a browser. Ctrl-C stops the sandbox.");
    // Also print the base URL on stdout so scripts can pick it up.
    println!("{base}");
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    exit::OK
}
