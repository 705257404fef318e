//! The core's logs, delivered to a host-implemented sink (a UniFFI foreign trait): the level and
//! record types as the host sees them, and an adapter to the core's forwarder
//! (`obauth::host::logs`: a queue, the `obauth-callbacks` thread, ObAuth's records at the chosen
//! level and other crates' at warning and above only).

use std::sync::Arc;

pub use log::Level as LogLevel;
use log::Level;
use obauth::host::logs;
pub use obauth::host::logs::Record as LogRecord;
use obauth::host::logs::Record;

use crate::ObAuthError;

/// Severity of a log record.
#[uniffi::remote(Enum)]
#[uniffi(name = "LogLevel")]
pub enum Level {
    /// Something failed.
    Error,
    /// Something unexpected that the core recovered from.
    Warn,
    /// Milestones of a flow.
    Info,
    /// State transitions and requests (paths and statuses only).
    Debug,
    /// Everything.
    Trace,
}

/// One log record, secrets already redacted by the core.
#[uniffi::remote(Record)]
#[uniffi(name = "LogRecord")]
pub struct Record {
    /// Severity.
    pub level: Level,
    /// The Rust module that logged it (e.g. `obauth::driver::runner`).
    pub target: String,
    /// The message.
    pub message: String,
}

/// Receives the core's logs. Implemented by the host app (e.g. forwarding to `os_log` or
/// `android.util.Log`).
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    /// One record. Called in order on the `obauth-callbacks` thread (shared with state
    /// observers: return quickly). Throwing is allowed: the record is lost, nothing else
    /// happens.
    fn log(&self, record: LogRecord) -> Result<(), ObAuthError>;
}

/// The host's sink as the core's.
struct HostSink(Arc<dyn LogSink>);

impl logs::Sink for HostSink {
    fn log(&self, record: LogRecord) {
        // A throwing sink loses this record; there is nowhere else to report it.
        let _ = self.0.log(record);
    }
}

/// Sends the logs of ObAuth at `level` and above to `sink`, replacing any previous sink.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, level: LogLevel) {
    logs::set_sink(Arc::new(HostSink(sink)), level.to_level_filter());
}

/// Stops sending logs to the host.
#[uniffi::export]
pub fn clear_log_sink() {
    logs::clear_sink();
}

/// How many records were dropped because the sink fell behind, since the process started.
#[uniffi::export]
pub fn dropped_log_records() -> u64 {
    logs::dropped()
}
