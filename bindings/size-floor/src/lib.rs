//! # The size floor: ObAuth's dependency stack and nothing of ObAuth
//!
//! `bindings/scripts/measure-size.sh` builds this crate and `obauth-ffi` side by side, with the
//! same profile, link flags and crate type, and prints `ffi / floor`: what ObAuth's own code
//! and its generic instantiations cost on top of the libraries it cannot ship without. The one
//! exported async method touches each dependency the way the core does (a tokio runtime on its
//! own thread, a reqwest client over rustls with the platform verifier, JSON, URLs, base64,
//! a thiserror error crossing the FFI), so the linker keeps what ObAuth keeps.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use tokio::runtime::Handle;

/// The one error type crossing the boundary.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FloorError {
    /// Anything that went wrong; the message says what.
    #[error("{message}")]
    Failed {
        /// What went wrong.
        message: String,
    },
}

fn failed(e: impl std::fmt::Display) -> FloorError {
    FloorError::Failed {
        message: e.to_string(),
    }
}

/// The answer's fields ObAuth-like code would read.
#[derive(serde::Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    detail: Option<String>,
}

fn runtime() -> Handle {
    static IO: OnceLock<Handle> = OnceLock::new();
    IO.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("floor: no runtime: {e}"));
        let handle = runtime.handle().clone();
        std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));
        handle
    })
    .clone()
}

fn client() -> Result<reqwest::Client, FloorError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(failed)?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(failed)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(failed)
}

/// Posts `body` (base64-encoded) to `url` and returns the JSON answer's `status` and `detail`.
#[uniffi::export]
pub async fn fetch_status(url: String, body: Vec<u8>) -> Result<String, FloorError> {
    let url = url::Url::parse(&url).map_err(failed)?;
    let task = runtime().spawn(async move {
        let response = client()?
            .post(url)
            .body(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body))
            .send()
            .await
            .map_err(failed)?;
        let bytes = response.bytes().await.map_err(failed)?;
        let answer: Answer = serde_json::from_slice(&bytes).map_err(failed)?;
        Ok(format!(
            "{} {}",
            answer.status,
            answer.detail.unwrap_or_default()
        ))
    });
    task.await.map_err(failed)?
}

uniffi::setup_scaffolding!();
