//! The HTML of the hosted pages: the bank's supervised-login pages (`bank`) and the OAuth
//! consent and sign-in pages (`consent`), on one shared frame.
//!
//! Real HTML a WebView or a headless browser can render and click: inline CSS, no scripts, no
//! external resources (nothing here may touch the network). Each choice is its own plain
//! `<form method="post">` with hidden fields, and the buttons carry stable ids (`approve`,
//! `cancel`, `fail`) for browser tests. Pure string building: no HTTP, no state.

pub(crate) mod bank;
pub(crate) mod consent;

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;\
background:#eef2f7;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1c2733}\
main{width:100%;max-width:380px;margin:16px;background:#fff;border-radius:14px;\
box-shadow:0 6px 24px rgba(20,40,80,.12);overflow:hidden}\
header{background:#0b3d6e;color:#fff;padding:18px 22px;display:flex;align-items:center;gap:10px;font-weight:600;font-size:18px}\
.logo{display:inline-flex;width:34px;height:34px;border-radius:8px;background:#f5b324;color:#0b3d6e;\
align-items:center;justify-content:center;font-weight:800}\
section{padding:22px}\
h1{font-size:20px;margin:0 0 8px}\
p{margin:0 0 16px;line-height:1.45;color:#43505e}\
.user{background:#f4f6f9;border-radius:8px;padding:10px 12px;margin-bottom:20px;font-size:14px}\
.user b{display:block;font-size:12px;color:#6b7785;font-weight:600;text-transform:uppercase;letter-spacing:.04em}\
.user code{font-size:15px;word-break:break-all}\
form{margin:0 0 10px}\
button{width:100%;padding:13px;border-radius:9px;font-size:16px;font-weight:600;cursor:pointer;border:1px solid transparent}\
#approve{background:#0b3d6e;color:#fff}\
#cancel{background:#fff;color:#0b3d6e;border-color:#0b3d6e}\
#fail{background:none;border:none;color:#b3261e;font-size:13px;font-weight:500;text-decoration:underline;padding:6px}\
footer{padding:0 22px 18px;font-size:12px;color:#8a94a0}";

/// What differs between the page families around the shared frame.
struct Frame<'a> {
    /// The document `<title>` (escaped here).
    title: &'a str,
    /// CSS added after the shared stylesheet.
    extra_style: &'a str,
    /// The logo's letters, already escaped.
    initials_html: &'a str,
    /// The name in the header bar, already escaped.
    brand_html: &'a str,
    /// Who the sandbox stands in for, in the footer ("the bank", "the provider").
    stand_in_for: &'a str,
}

/// A complete page: the frame around `body`.
fn document(frame: &Frame<'_>, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>{STYLE}{extra_style}</style>\n</head>\n<body>\n<main>\n\
<header><span class=\"logo\">{initials}</span>{brand}</header>\n<section>\n{body}\n</section>\n\
<footer>ObAuth sandbox – a local stand-in for {stand_in_for}. No real accounts are involved.</footer>\n\
</main>\n</body>\n</html>\n",
        title = escape(frame.title),
        extra_style = frame.extra_style,
        initials = frame.initials_html,
        brand = frame.brand_html,
        stand_in_for = frame.stand_in_for,
    )
}

/// The body of a message page: a heading and one paragraph, with stable ids.
fn message_body(title: &str, text: &str) -> String {
    format!(
        "<h1 id=\"message-title\">{}</h1>\n<p id=\"message\">{}</p>",
        escape(title),
        escape(text)
    )
}

/// One choice: a form posting the hidden `field=value` and `decision` to `action`, submitted by
/// the button `#decision`.
fn decision_form(action: &str, field: &str, value: &str, decision: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"{field}\" value=\"{value}\">\
<input type=\"hidden\" name=\"decision\" value=\"{decision}\">\
<button type=\"submit\" id=\"{decision}\">{label}</button></form>\n",
        value = escape(value),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(message_body("<x>", "y").contains("&lt;x&gt;"));
    }
}
