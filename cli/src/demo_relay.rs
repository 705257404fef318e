//! The demo's production shape: an `obauth relay` (in process, on a loopback port) in front of
//! the embedded sandbox, and the app's clients in relay mode. The relay holds the partner
//! credentials; the "app" holds only app tokens, minted here as the integrator's own sign-in
//! would (HS256, demo-only keys generated for this run and never printed).

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use obauth::{Client, ClientConfig, ConsentPage, Error, Secret};
use obauth_relay::{
    AppTokenConfig, AppTokenKey, PartnerCredentials, Relay, RelayConfig, ServeOptions, serve,
};
use obauth_sandbox::Sandbox;
use tokio::sync::oneshot;

/// The redirect the demo's app registers (also on the relay's allowlist).
pub const REDIRECT: &str = "https://app.example.com/aiia/callback";

/// A relay serving on a loopback port until [`DemoRelay::shutdown`].
pub struct DemoRelay {
    relay: Relay,
    url: String,
    app_secret: String,
    consent: ConsentPage,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// Demo-only key material for one run: 48 hex characters from std's randomly keyed hasher (the
/// demo's keys protect nothing; a real relay reads its keys from the environment).
fn demo_key(label: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for i in 0..3u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write(label.as_bytes());
        h.write_u8(i);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

impl DemoRelay {
    /// Starts a relay for `sandbox` with the demo's redirect allowed.
    pub async fn start(sandbox: &Sandbox) -> Result<DemoRelay, String> {
        let app_secret = demo_key("app-token");
        let upstream = sandbox
            .base_url()
            .parse()
            .map_err(|e| format!("sandbox URL: {e}"))?;
        let config = RelayConfig {
            allow_redirects: vec![REDIRECT.into()],
            ..RelayConfig::new(
                upstream,
                PartnerCredentials {
                    client_id: sandbox.client_id().to_owned(),
                    client_secret: obauth_relay::Secret::from(sandbox.client_secret()),
                },
                obauth_relay::Secret::from(demo_key("relay").as_str()),
                AppTokenConfig::new(AppTokenKey::Hs256(obauth_relay::Secret::from(
                    app_secret.as_str(),
                ))),
            )
        };
        let relay = Relay::new(config).map_err(|e| format!("relay: {e}"))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("relay: cannot listen: {e}"))?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            relay.router(),
            ServeOptions::default(),
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(DemoRelay {
            relay,
            url,
            app_secret,
            consent: ConsentPage::new(sandbox.base_url(), sandbox.client_id()),
            stop: Some(stop),
            task,
        })
    }

    /// The relay's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The provider's consent page for Aiia Data connect (its URL and the public client id).
    pub fn consent(&self) -> &ConsentPage {
        &self.consent
    }

    /// The `userHash` the relay derives for the app user `subject`.
    pub fn user_hash(&self, subject: &str) -> String {
        self.relay.user_hash("", subject)
    }

    /// An app token for `subject`, valid for `lifetime` seconds (negative: already expired).
    fn mint(&self, subject: &str, lifetime: i64) -> Secret {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs() as i64;
        let claims = serde_json::json!({ "sub": subject, "exp": now + lifetime });
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(self.app_secret.as_bytes()),
        )
        .unwrap_or_default();
        Secret::new(token)
    }

    /// The app's client in relay mode for the signed-in user `subject`. Its app token source
    /// plays the integrator's back end: a forced refresh mints a new token. With `expired_first`, the
    /// first token handed out has already expired (the relay refuses it once).
    pub fn client(&self, subject: &str, expired_first: bool) -> Result<Client, String> {
        let current = Mutex::new(self.mint(subject, if expired_first { -120 } else { 600 }));
        let fresh = self.mint(subject, 600);
        let provider = move |force_refresh: bool| -> Result<Secret, Error> {
            let mut current = current.lock().unwrap_or_else(|e| e.into_inner());
            if force_refresh {
                *current = fresh.clone();
            }
            Ok(current.clone())
        };
        Client::new(ClientConfig::relay(self.url.clone(), provider)).map_err(|e| e.to_string())
    }

    /// Stops the relay and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}
