//! A scripted user's browser for the sandbox's own pages.
//!
//! The demo and the tests need "a person clicks Approve" without a real browser: load the page
//! the flow handed out (following the provider's own redirects, as a WebView does), find the
//! form whose button has the given id, submit its hidden fields, and report where the provider
//! redirects the browser next — the URL a WebView would then try to load and the app must
//! intercept. It speaks plain HTTP/1.1 to the loopback sandbox and nothing else (no TLS, no
//! connection reuse); real-browser tests use Chromium instead.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

/// Loads `page_url` (following redirects within the sandbox), clicks the button with id
/// `button_id` (`approve`, `cancel`, `fail`) and returns the `Location` the provider redirects
/// to.
pub async fn click(page_url: &str, button_id: &str) -> Result<String, String> {
    let mut url = Url::parse(page_url).map_err(|e| format!("not a URL: {e}"))?;
    let mut page = None;
    for _ in 0..5 {
        let response = send(&url, "GET", None).await?;
        match response.status {
            200 => {
                page = Some(response.body);
                break;
            }
            300..=399 => {
                let location = response.location.ok_or("a redirect without Location")?;
                url = url.join(&location).map_err(|e| e.to_string())?;
            }
            status => return Err(format!("the page answered {status}")),
        }
    }
    let html = page.ok_or("too many redirects")?;
    let (action, fields) =
        find_form(&html, button_id).ok_or_else(|| format!("no form with a button #{button_id}"))?;
    let target = url.join(&action).map_err(|e| e.to_string())?;
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in &fields {
        body.append_pair(name, value);
    }
    let response = send(&target, "POST", Some(body.finish())).await?;
    match (response.status, response.location) {
        (300..=399, Some(location)) => {
            Ok(target.join(&location).map(String::from).unwrap_or(location))
        }
        (status, _) => Err(format!("the form answered {status} without a redirect")),
    }
}

struct Response {
    status: u16,
    location: Option<String>,
    body: String,
}

async fn send(url: &Url, method: &str, form: Option<String>) -> Result<Response, String> {
    if url.scheme() != "http" {
        return Err(format!(
            "the scripted browser only speaks plain http, not {}",
            url.scheme()
        ));
    }
    let host = url.host_str().ok_or("no host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let body = form.unwrap_or_default();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/html\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = TcpStream::connect((host, port))
            .await
            .map_err(|e| e.to_string())?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| "the page did not answer in time".to_owned())??;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("a malformed HTTP response")?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("a malformed status line")?;
    let location = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("location"))
        .map(|(_, value)| value.trim().to_owned());
    Ok(Response {
        status,
        location,
        body: body.to_owned(),
    })
}

/// The action and hidden fields of the form containing `id="{button_id}"`.
fn find_form(html: &str, button_id: &str) -> Option<(String, Vec<(String, String)>)> {
    let marker = format!("id=\"{button_id}\"");
    html.split("<form").skip(1).find_map(|chunk| {
        let form = chunk.split("</form>").next()?;
        if !form.contains(&marker) {
            return None;
        }
        let action = attribute(form, "action").unwrap_or_default();
        let fields = form
            .split("<input")
            .skip(1)
            .filter(|input| attribute(input, "type").as_deref() == Some("hidden"))
            .filter_map(|input| {
                Some((
                    attribute(input, "name")?,
                    attribute(input, "value").unwrap_or_default(),
                ))
            })
            .collect();
        Some((action, fields))
    })
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_clicked_form() {
        let html = r#"<form method="post" action="/a"><input type="hidden" name="request" value="r&amp;1"><input type="hidden" name="decision" value="approve"><button id="approve">OK</button></form>
<form method="post" action="/b"><input type="hidden" name="decision" value="cancel"><button id="cancel">No</button></form>"#;
        let (action, fields) = find_form(html, "approve").unwrap();
        assert_eq!(action, "/a");
        assert_eq!(
            fields,
            vec![
                ("request".into(), "r&1".into()),
                ("decision".into(), "approve".into())
            ]
        );
        assert_eq!(find_form(html, "cancel").unwrap().0, "/b");
        assert!(find_form(html, "fail").is_none());
    }
}
