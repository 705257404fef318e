//! The core's logs, delivered to a host's sink (`os_log`, Logcat).
//!
//! The core logs through the `log` crate and never logs secrets (client secret, codes and tokens
//! are `Secret`s whose `Debug`/`Display` print `[redacted]`). [`set_sink`] installs, once per
//! process, a `log` logger that forwards records to the sink.
//!
//! Why records go through a queue: the core logs from inside a flow's critical section and from
//! its I/O thread, and a host sink is arbitrary code (it may block, throw, or call back into the
//! flow). Records are queued without blocking (dropped, and counted, if the sink falls more than
//! [`QUEUE`] records behind) and delivered in order on the `obauth-callbacks` thread.
//!
//! Only the ObAuth crates' records are forwarded at the chosen level; other crates' (HTTP and
//! TLS stacks, whose debug output is not reviewed for secrets) only at warning and error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use log::{Level, LevelFilter};
use tokio::sync::mpsc::{self, Receiver, Sender};

/// Records waiting for the sink before new ones are dropped.
pub const QUEUE: usize = 1024;

/// One log record, secrets already redacted by the core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Severity.
    pub level: Level,
    /// The Rust module that logged it (e.g. `obauth::driver::runner`).
    pub target: String,
    /// The message.
    pub message: String,
}

/// Receives the records, in order, on the `obauth-callbacks` thread.
pub trait Sink: Send + Sync {
    /// One record. A sink that fails loses that record, nothing else.
    fn log(&self, record: Record);
}

/// Sends ObAuth's records at `level` and above (other crates' at warning and above only) to
/// `sink`, replacing any previous sink.
pub fn set_sink(sink: Arc<dyn Sink>, level: LevelFilter) {
    let forwarder = forwarder();
    *forwarder.sink.write().unwrap_or_else(|e| e.into_inner()) = Some(sink);
    *forwarder.level.write().unwrap_or_else(|e| e.into_inner()) = level;
    log::set_max_level(level);
}

/// Stops sending records to the sink.
pub fn clear_sink() {
    log::set_max_level(LevelFilter::Off);
    if let Some(forwarder) = FORWARDER.get() {
        *forwarder.sink.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// How many records were dropped because the sink fell behind, since the process started.
pub fn dropped() -> u64 {
    FORWARDER
        .get()
        .map_or(0, |f| f.dropped.load(Ordering::Relaxed))
}

struct Forwarder {
    sink: RwLock<Option<Arc<dyn Sink>>>,
    level: RwLock<LevelFilter>,
    queue: Sender<Record>,
    dropped: AtomicU64,
}

static FORWARDER: OnceLock<&'static Forwarder> = OnceLock::new();

/// The process-wide forwarder: installed as the `log` logger and started on first use.
fn forwarder() -> &'static Forwarder {
    FORWARDER.get_or_init(|| {
        let (tx, rx) = mpsc::channel(QUEUE);
        let forwarder: &'static Forwarder = Box::leak(Box::new(Forwarder {
            sink: RwLock::new(None),
            level: RwLock::new(LevelFilter::Info),
            queue: tx,
            dropped: AtomicU64::new(0),
        }));
        drop(super::callbacks().spawn(deliver(forwarder, rx)));
        if log::set_logger(forwarder).is_err() {
            // Another logger was installed first (e.g. by the host's own Rust code): its choice
            // wins, and the sink receives nothing.
            eprintln!("obauth: a `log` logger is already installed; the log sink stays silent");
        }
        forwarder
    })
}

async fn deliver(forwarder: &'static Forwarder, mut rx: Receiver<Record>) {
    while let Some(record) = rx.recv().await {
        let sink = forwarder
            .sink
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(sink) = sink {
            sink.log(record);
        }
    }
}

impl log::Log for Forwarder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        let wanted = *self.level.read().unwrap_or_else(|e| e.into_inner());
        if metadata.target().starts_with("obauth") {
            metadata.level() <= wanted
        } else {
            metadata.level() <= wanted.min(LevelFilter::Warn)
        }
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let record = Record {
            level: record.level(),
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

    struct Collect(Mutex<Sender<Record>>);

    impl Sink for Collect {
        fn log(&self, record: Record) {
            let _ = self.0.lock().unwrap().send(record);
        }
    }

    #[test]
    fn forwards_our_records_and_filters_others() {
        let (tx, rx) = channel();
        set_sink(Arc::new(Collect(Mutex::new(tx))), LevelFilter::Debug);
        log::debug!(target: "hyper::proto", "noisy third-party debug");
        log::debug!(target: "obauth::driver", "flow state: Created");
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got.target, "obauth::driver");
        assert_eq!(got.level, Level::Debug);
        assert_eq!(got.message, "flow state: Created");
        clear_sink();
        assert!(!log::log_enabled!(target: "obauth::driver", Level::Error));
    }
}
