//! Optional one-line-per-request logging to stderr (`SandboxConfig::log_requests`).
//!
//! Meant for watching a demo or debugging a client, so it must never leak what it is watching:
//! it prints the method, the path, the names of query parameters (values only for the harmless
//! `pollTimeout`), the status and the duration. Codes, tokens and secrets travel in bodies,
//! headers and the `startToken` query value, none of which are printed. A request whose response
//! is never written (connection dropped by a fault or by the client) is logged when its handler
//! is dropped.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::state::App;

/// Query parameters whose values are safe to print.
const SHOWN_QUERY_VALUES: &[&str] = &["pollTimeout"];

/// The request target with secret-bearing query values redacted.
fn redacted_target(path: &str, query: Option<&str>) -> String {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return path.to_owned();
    };
    let params: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            if SHOWN_QUERY_VALUES.contains(&k.as_ref()) {
                format!("{k}={v}")
            } else {
                format!("{k}=…")
            }
        })
        .collect();
    format!("{path}?{}", params.join("&"))
}

struct LogLine {
    method: String,
    target: String,
    started: Instant,
    status: Option<StatusCode>,
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let ms = self.started.elapsed().as_millis();
        match self.status {
            Some(status) => eprintln!(
                "sandbox: {} {} -> {} ({ms} ms)",
                self.method,
                self.target,
                status.as_u16()
            ),
            None => eprintln!(
                "sandbox: {} {} -> no response, connection closed ({ms} ms)",
                self.method, self.target
            ),
        }
    }
}

/// Middleware over the whole router.
pub(crate) async fn access_log(State(app): State<App>, req: Request, next: Next) -> Response {
    if !app.config.log_requests {
        return next.run(req).await;
    }
    let mut line = LogLine {
        method: req.method().to_string(),
        target: redacted_target(req.uri().path(), req.uri().query()),
        started: Instant::now(),
        status: None,
    };
    let response = next.run(req).await;
    line.status = Some(response.status());
    response
}

#[cfg(test)]
mod tests {
    use super::redacted_target;

    #[test]
    fn redacts_query_values() {
        assert_eq!(redacted_target("/a", None), "/a");
        assert_eq!(
            redacted_target("/v1/authentication/start", Some("startToken=mgAA%2B%3D")),
            "/v1/authentication/start?startToken=…"
        );
        assert_eq!(
            redacted_target("/s", Some("pollTimeout=5")),
            "/s?pollTimeout=5"
        );
    }
}
