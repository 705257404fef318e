//! Fault injection: what can go wrong on the wire, queued per endpoint.
//!
//! A client's retry, backoff and error-classification logic can only be tested against a server
//! that misbehaves on demand. Tests queue faults per [`Endpoint`]; each request to that endpoint
//! pops one (FIFO) before anything else happens, so "the first two status calls fail with 503,
//! the third succeeds" is two `inject_fault` calls. This module owns only the faults and their
//! queues; how a popped fault is acted upon (and what its canned answer looks like) lives in
//! `middleware/guard.rs`, and `DropConnection` needs the connection plumbing in `server.rs`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use crate::model::endpoint::Endpoint;

/// One misbehaviour for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Respond with this status (meant for 5xx, any works) and a JSON `{"error": ...}` body;
    /// the request is not processed.
    ServerError(u16),
    /// `429 Too Many Requests` with `Retry-After: N`; the request is not processed.
    TooManyRequests {
        /// The `Retry-After` header value, in seconds.
        retry_after_secs: u64,
    },
    /// Sleep, then process the request normally.
    Delay(Duration),
    /// `200` with `Content-Type: application/json` and a truncated, invalid JSON body; the
    /// request is not processed.
    MalformedJson,
    /// Close the TCP connection without writing any HTTP response; the request is not processed.
    DropConnection,
    /// `400` with the provider's detailed field error, `{"error":"InvalidInput","details":
    /// {"reason":…,"validationErrors":{<field>:[…]}}}`, whose messages echo the request's text
    /// as a real provider's may (so tests can check a client does not repeat it); the request
    /// is not processed.
    InvalidInput {
        /// The field the error names (e.g. `RedirectUrl`).
        field: String,
    },
}

/// Per-endpoint FIFO queues of pending faults.
#[derive(Debug, Default)]
pub(crate) struct FaultQueues {
    queues: Mutex<HashMap<Endpoint, VecDeque<Fault>>>,
}

impl FaultQueues {
    pub fn push(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        let mut queues = self.queues.lock().unwrap();
        let queue = queues.entry(endpoint).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    pub fn pop(&self, endpoint: Endpoint) -> Option<Fault> {
        self.queues
            .lock()
            .unwrap()
            .get_mut(&endpoint)
            .and_then(VecDeque::pop_front)
    }

    pub fn clear(&self) {
        self.queues.lock().unwrap().clear();
    }

    /// How many faults are still queued, per endpoint (for the control API).
    pub fn pending(&self) -> Vec<(Endpoint, usize)> {
        let queues = self.queues.lock().unwrap();
        Endpoint::ALL
            .iter()
            .filter_map(|e| queues.get(e).map(|q| (*e, q.len())))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_are_fifo_per_endpoint() {
        let q = FaultQueues::default();
        q.push(Endpoint::Status, Fault::ServerError(503), 2);
        q.push(Endpoint::Status, Fault::MalformedJson, 1);
        assert_eq!(q.pop(Endpoint::Tokens), None);
        assert_eq!(q.pending(), vec![(Endpoint::Status, 3)]);
        assert_eq!(q.pop(Endpoint::Status), Some(Fault::ServerError(503)));
        assert_eq!(q.pop(Endpoint::Status), Some(Fault::ServerError(503)));
        assert_eq!(q.pop(Endpoint::Status), Some(Fault::MalformedJson));
        assert_eq!(q.pop(Endpoint::Status), None);
    }
}
