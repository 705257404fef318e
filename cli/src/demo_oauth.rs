//! The demo's OAuth scenarios: Aiia Data connect (with a forged redirect refused and a token
//! refresh), client credentials the Aritma way and the Apiture way, authorization code + PKCE
//! for a public client, and a connect flow that survives the app being killed.

use std::sync::Arc;
use std::time::Duration;

use obauth::{
    AuthorizationFlow, AuthorizationParams, AuthorizationState, ClientAuth,
    ClientCredentialsConfig, MemoryStorage, OidcClient, PkceConfig, RedirectOutcome, SecureStorage,
};
use obauth_sandbox::{Sandbox, browser};

use crate::demo::Demo;
use crate::demo_relay::REDIRECT as CONNECT_REDIRECT;
use crate::progress::{Progress, Render};
const OIDC_REDIRECT: &str = "https://app.example.com/oidc/callback";

fn watch(flow: &AuthorizationFlow) -> tokio::task::JoinHandle<()> {
    let progress = Progress::start();
    let mut states = flow.subscribe();
    tokio::spawn(async move {
        while let Some(state) = states.next().await {
            progress.line(&state.describe());
        }
    })
}

async fn authorize_url(flow: &AuthorizationFlow) -> Result<String, String> {
    let mut states = flow.subscribe();
    while let Some(state) = states.next().await {
        if let AuthorizationState::AwaitingUser { authorize_url } = state {
            return Ok(authorize_url);
        }
    }
    Err("the flow ended before the user was asked".into())
}

/// Connect through the relay: the provider's consent page, a forged redirect refused, the
/// genuine code exchanged at the relay (which adds the partner's Basic authentication), a
/// refresh through the relay.
pub async fn connect(d: &Demo) -> Result<String, String> {
    let client = d.relay.client("demo-user-connect", false)?;
    let flow = client
        .relay_connect_flow(
            d.relay.consent(),
            AuthorizationParams::new(CONNECT_REDIRECT),
            None,
            None,
        )
        .map_err(|e| e.to_string())?;
    let printer = watch(&flow);
    flow.start();
    let location = browser::click(&authorize_url(&flow).await?, "approve").await?;
    let forged = location.replace("state=", "state=forged");
    let forged_outcome = flow.decide_navigation(&forged);
    let outcome = flow.decide_navigation(&location);
    let tokens = flow.wait().await.map_err(|e| e.to_string())?;
    let _ = printer.await;
    let manager = client.connect_tokens(tokens.clone(), Duration::from_secs(60));
    let refreshed = manager.force_renewal().await.map_err(|e| e.to_string())?;
    if refreshed.access_token == tokens.access_token {
        return Err("the refresh returned the same access token".into());
    }
    Ok(format!(
        "forged state: {forged_outcome:?}; genuine redirect: {outcome:?}; consent {}; refreshed once \
         (refresh token rotated: {})",
        tokens.consent_id.as_deref().unwrap_or("-"),
        refreshed.refresh_token != tokens.refresh_token
    ))
}

/// Client credentials: Aritma (token URL, client_secret_post) and Apiture (discovery,
/// client_secret_basic).
pub async fn client_credentials(sandbox: &Sandbox) -> Result<String, String> {
    let oidc = OidcClient::new().map_err(|e| e.to_string())?;
    let mut lines = Vec::new();
    for (style, token_url, issuer, auth) in [
        (
            "Aritma: token URL + client_secret_post",
            Some(format!("{}/connect/token", sandbox.base_url())),
            None,
            ClientAuth::Post,
        ),
        (
            "Apiture: OIDC discovery + client_secret_basic",
            None,
            Some(sandbox.issuer()),
            ClientAuth::Basic,
        ),
    ] {
        let manager = oidc
            .client_credentials(
                ClientCredentialsConfig {
                    token_url,
                    issuer,
                    client_id: sandbox.client_id().to_owned(),
                    client_secret: sandbox.client_secret().into(),
                    scope: Some("banking.channel.psd2 banking.ais.read".into()),
                    client_auth: auth,
                },
                Duration::from_secs(60),
            )
            .await
            .map_err(|e| e.to_string())?;
        let token = manager.fresh_token().await.map_err(|e| e.to_string())?;
        let again = manager.fresh_token().await.map_err(|e| e.to_string())?;
        if again.access_token != token.access_token {
            return Err("a valid token was not reused".into());
        }
        lines.push(format!(
            "{style}: {} token, expires in {} s, scope {:?}",
            token.token_type,
            token.expires_in(obauth::timestamp::now()).unwrap_or(0),
            token.scope.as_deref().unwrap_or("")
        ));
    }
    Ok(lines.join("; "))
}

/// Authorization code + PKCE for a public client.
pub async fn pkce(sandbox: &Sandbox) -> Result<String, String> {
    let oidc = OidcClient::new().map_err(|e| e.to_string())?;
    let config = PkceConfig {
        issuer: sandbox.issuer(),
        client_id: sandbox.public_client_id().to_owned(),
    };
    let mut params = AuthorizationParams::new(OIDC_REDIRECT);
    params.scope = Some("openid offline_access".into());
    let flow = oidc
        .pkce_flow(&config, params)
        .await
        .map_err(|e| e.to_string())?;
    let printer = watch(&flow);
    flow.start();
    let location = browser::click(&authorize_url(&flow).await?, "approve").await?;
    let outcome = flow.handle_redirect(&location);
    let tokens = flow.wait().await.map_err(|e| e.to_string())?;
    let _ = printer.await;
    Ok(format!(
        "redirect {outcome:?}; S256 verifier accepted by the provider; ID token nonce checked; refresh token: {}",
        tokens.refresh_token.is_some()
    ))
}

/// A connect flow (through the relay) snapshotted to secure storage, the app killed,
/// restored, and completed.
pub async fn kill_and_restore(d: &Demo) -> Result<String, String> {
    let storage: Arc<dyn SecureStorage> = Arc::new(MemoryStorage::default());
    let authorize = {
        let client = d.relay.client("demo-user-restore", false)?;
        let flow = client
            .relay_connect_flow(
                d.relay.consent(),
                AuthorizationParams::new(CONNECT_REDIRECT),
                None,
                None,
            )
            .map_err(|e| e.to_string())?;
        flow.persist_to(storage.clone(), "connect-flow")
            .map_err(|e| e.to_string())?;
        flow.start();
        authorize_url(&flow).await?
        // The app is killed here: the flow and the client are dropped.
    };
    let location = browser::click(&authorize, "approve").await?;
    let client = d.relay.client("demo-user-restore", false)?;
    let snapshot = storage
        .load("connect-flow")
        .map_err(|e| e.to_string())?
        .ok_or("no snapshot in storage")?;
    let flow = client
        .restore_relay_connect_flow(d.relay.consent(), &snapshot)
        .map_err(|e| e.to_string())?;
    let printer = watch(&flow);
    flow.resume();
    let outcome = flow.handle_redirect(&location);
    let result = flow.wait().await;
    let _ = printer.await;
    result.map_err(|e| e.to_string())?;
    if outcome != RedirectOutcome::CodeAccepted {
        return Err(format!("the restored flow answered {outcome:?}"));
    }
    Ok(format!(
        "restored from a {}-byte snapshot (state, timestamps; no secret, no app token) and completed",
        snapshot.len()
    ))
}
