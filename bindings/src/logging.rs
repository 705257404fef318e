//! The core's logs, delivered to a host-implemented sink (a UniFFI foreign trait).
//!
//! The core logs through the `log` crate and never logs secrets (client secret, codes and
//! tokens are `Secret`s whose `Debug`/`Display` print `[redacted]`). [`set_log_sink`] installs,
//! once per process, a `log` logger that forwards records to the host (`os_log` / `Logcat`).
//!
//! Why records go through a queue: the core logs from inside a flow's critical section and from
//! its I/O thread, and a host sink is arbitrary code (it may block, throw, or call back into
//! the flow). Records are queued without blocking (dropped, and counted, if the sink falls more
//! than [`QUEUE`] records behind) and delivered in order on the `obauth-callbacks` thread.
//!
//! Only the ObAuth crates' records are forwarded at the chosen level; other crates' (HTTP and
//! TLS stacks, whose debug output is not reviewed for secrets) only at warning and error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use tokio::sync::mpsc::{self, Receiver, Sender};

use crate::error::ObAuthError;
use crate::runtime;

/// Records waiting for the host sink before new ones are dropped.
const QUEUE: usize = 1024;

/// Severity of a log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
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

impl LogLevel {
    fn filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Error => log::LevelFilter::Error,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Trace => log::LevelFilter::Trace,
        }
    }
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

/// Sends the logs of ObAuth at `level` and above to `sink`, replacing any previous sink.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, level: LogLevel) {
    let forwarder = forwarder();
    *forwarder.sink.write().unwrap_or_else(|e| e.into_inner()) = Some(sink);
    *forwarder.level.write().unwrap_or_else(|e| e.into_inner()) = level;
    log::set_max_level(level.filter());
}

/// Stops sending logs to the host.
#[uniffi::export]
pub fn clear_log_sink() {
    log::set_max_level(log::LevelFilter::Off);
    if let Some(forwarder) = FORWARDER.get() {
        *forwarder.sink.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// How many records were dropped because the sink fell behind, since the process started.
#[uniffi::export]
pub fn dropped_log_records() -> u64 {
    FORWARDER
        .get()
        .map_or(0, |f| f.dropped.load(Ordering::Relaxed))
}

struct Forwarder {
    sink: RwLock<Option<Arc<dyn LogSink>>>,
    level: RwLock<LogLevel>,
    queue: Sender<LogRecord>,
    dropped: AtomicU64,
}

static FORWARDER: OnceLock<&'static Forwarder> = OnceLock::new();

/// The process-wide forwarder: installed as the `log` logger and started on first use.
fn forwarder() -> &'static Forwarder {
    FORWARDER.get_or_init(|| {
        let (tx, rx) = mpsc::channel(QUEUE);
        let forwarder: &'static Forwarder = Box::leak(Box::new(Forwarder {
            sink: RwLock::new(None),
            level: RwLock::new(LogLevel::Info),
            queue: tx,
            dropped: AtomicU64::new(0),
        }));
        drop(runtime::callbacks().spawn(deliver(forwarder, rx)));
        if log::set_logger(forwarder).is_err() {
            // Another logger was installed first (e.g. by the host's own Rust code): its choice
            // wins, and the sink receives nothing.
            eprintln!("obauth: a `log` logger is already installed; the log sink stays silent");
        }
        forwarder
    })
}

async fn deliver(forwarder: &'static Forwarder, mut rx: Receiver<LogRecord>) {
    while let Some(record) = rx.recv().await {
        let sink = forwarder
            .sink
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(sink) = sink {
            // A throwing sink loses this record; there is nowhere else to report it.
            let _ = sink.log(record);
        }
    }
}

impl log::Log for Forwarder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        let level = LogLevel::from(metadata.level());
        let ours = metadata.target().starts_with("obauth");
        let wanted = *self.level.read().unwrap_or_else(|e| e.into_inner());
        if ours {
            level <= wanted
        } else {
            level <= wanted.min(LogLevel::Warn)
        }
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let record = LogRecord {
            level: record.level().into(),
            target: record.target().to_owned(),
            message: record.args().to_string(),
        };
        if self.queue.try_send(record).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::mpsc::{Sender, channel};

    use std::time::Duration;

    use super::*;

    struct Collect(Mutex<Sender<LogRecord>>);

    impl LogSink for Collect {
        fn log(&self, record: LogRecord) -> Result<(), ObAuthError> {
            let _ = self.0.lock().unwrap().send(record);
            Ok(())
        }
    }

    #[test]
    fn forwards_our_records_and_filters_others() {
        let (tx, rx) = channel();
        set_log_sink(Arc::new(Collect(Mutex::new(tx))), LogLevel::Debug);
        log::debug!(target: "hyper::proto", "noisy third-party debug");
        log::debug!(target: "obauth::driver", "flow state: Created");
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got.target, "obauth::driver");
        assert_eq!(got.level, LogLevel::Debug);
        assert_eq!(got.message, "flow state: Created");
        clear_log_sink();
        assert!(!log::log_enabled!(target: "obauth::driver", log::Level::Error));
    }
}
