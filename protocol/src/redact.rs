//! What of a URL may be logged.
//!
//! The URLs a flow handles carry credentials in their query: the bank page's `startToken`, the
//! authorize URL's `state`, `nonce` and PKCE challenge, a redirect's `code`. Logs, crash reports
//! and `Debug` output get [`url_for_log`]: scheme, host, port and path, and the *names* of the
//! query parameters with every value replaced — enough to debug a flow, nothing to replay it.

/// `https://bank.example.com/start?startToken=[redacted]` for
/// `https://bank.example.com/start?startToken=abc`. Text that is not a URL is replaced whole.
pub fn url_for_log(text: &str) -> String {
    let Ok(url) = url::Url::parse(text) else {
        return "[redacted: not a URL]".to_owned();
    };
    let mut out = format!("{}:", url.scheme());
    if let Some(host) = url.host_str() {
        out.push_str("//");
        out.push_str(host);
        if let Some(port) = url.port() {
            out.push_str(&format!(":{port}"));
        }
    }
    out.push_str(url.path());
    if url.query().is_some() {
        let names: Vec<String> = url
            .query_pairs()
            .map(|(name, _)| format!("{name}=[redacted]"))
            .collect();
        out.push('?');
        out.push_str(&names.join("&"));
    }
    if url.fragment().is_some() {
        out.push_str("#[redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_shape_and_drops_every_value() {
        assert_eq!(
            url_for_log("https://bank.example.com:8443/start?startToken=abc%3D%3D&lang=da#frag"),
            "https://bank.example.com:8443/start?startToken=[redacted]&lang=[redacted]#[redacted]"
        );
        assert_eq!(
            url_for_log("https://api.example.com/v1/oauth/connect"),
            "https://api.example.com/v1/oauth/connect"
        );
        assert_eq!(url_for_log("not a url s3cr3t"), "[redacted: not a URL]");
        assert!(!url_for_log("myapp:/cb?code=SECRET").contains("SECRET"));
        assert!(!url_for_log("https://u:SECRET@h.example/").contains("SECRET"));
    }

    /// Every type that carries a provider credential and can be printed with `{:?}` keeps it
    /// out: the states (bank page / authorize URL), the status answer (its code), a redirect's
    /// query (code, state), and an error about a malformed header value (untrusted text).
    #[test]
    fn debug_output_never_shows_provider_credentials() {
        use crate::authorization::AuthorizationState;
        use crate::redirect::RedirectQuery;
        use crate::supervised::{LoginState, StatusResponse};
        let secret = "S3CRET-marker";
        let printed = [
            format!(
                "{:?}",
                LoginState::AwaitingUser {
                    auth_url: format!("https://bank.example.com/start?startToken={secret}"),
                    session_id: "s-1".into(),
                }
            ),
            format!(
                "{:#?}",
                AuthorizationState::AwaitingUser {
                    authorize_url: format!(
                        "https://id.example.com/a?state={secret}&nonce={secret}"
                    ),
                }
            ),
            format!(
                "{:?}",
                serde_json::from_str::<StatusResponse>(&format!(
                    r#"{{"state":"Succeeded","code":"{secret}"}}"#
                ))
                .unwrap()
            ),
            format!(
                "{:?}",
                RedirectQuery::parse(
                    &url::Url::parse(&format!(
                        "https://app.example.com/cb?code={secret}&state={secret}"
                    ))
                    .unwrap()
                )
                .unwrap()
            ),
            crate::timestamp::Timestamp::parse_rfc3339(secret)
                .unwrap_err()
                .to_string(),
        ];
        for text in printed {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
