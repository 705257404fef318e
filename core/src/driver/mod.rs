//! The one driver: it turns the flows' effects into real HTTP requests (reqwest over rustls,
//! verified against the platform's trust store, or the app's own networking through an
//! [`HttpSender`]), tokio timers and state notifications.
//!
//! All flows share it. The flow sits behind a mutex that is held only while the flow computes
//! its effects and the driver spawns them, so hosts can call in from any thread, synchronously
//! (a WebView's navigation callback cannot await), and late responses of abandoned requests or
//! re-armed timers are filtered out by generation numbers before they reach the flow.

mod runner;
mod transport;

pub use runner::{FlowHandle, StateStream};
#[cfg(feature = "reqwest")]
pub use transport::ReqwestSender;
pub use transport::{HttpSender, MAX_BODY, SendFuture, Transport, set_host_sender};
