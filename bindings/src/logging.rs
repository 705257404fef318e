//! The core's logs, delivered to a host-implemented sink (a UniFFI foreign trait): the level and
//! record types as the host sees them, and an adapter to the core's forwarder
//! (`obauth::host::logs`: a queue, the `obauth-callbacks` thread, ObAuth's records at the chosen
//! level and other crates' at warning and above only).

use std::sync::Arc;

use obauth::host::logs;

use crate::ObAuthError;

/// Severity of a log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
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

impl From<log::Level> for LogLevel {
    fn from(level: log::Level) -> Self {
        match level {
            log::Level::Error => LogLevel::Error,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Info => LogLevel::Info,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Trace => LogLevel::Trace,
        }
    }
}

impl From<LogLevel> for log::LevelFilter {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => log::LevelFilter::Error,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Trace => log::LevelFilter::Trace,
        }
    }
}

/// One log record, secrets already redacted by the core.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LogRecord {
    /// Severity.
    pub level: LogLevel,
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
    fn log(&self, r: logs::Record) {
        let record = LogRecord {
            level: r.level.into(),
            target: r.target,
            message: r.message,
        };
        // A throwing sink loses this record; there is nowhere else to report it.
        let _ = self.0.log(record);
    }
}

/// Sends the logs of ObAuth at `level` and above to `sink`, replacing any previous sink.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, level: LogLevel) {
    logs::set_sink(Arc::new(HostSink(sink)), level.into());
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
