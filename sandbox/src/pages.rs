//! The HTML of the hosted bank pages: the login page and the message pages.
//!
//! Real HTML a WebView or a headless browser can render and click: inline CSS, no scripts, no
//! external resources (nothing here may touch the network). Each decision is its own plain
//! `<form method="post">` with hidden `startToken` and `decision` fields, and the buttons carry
//! stable ids (`approve`, `cancel`, `fail`) for browser tests.

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

pub(crate) const STYLE: &str = "\
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

/// A complete page around `body`.
fn layout(bank: &str, title: &str, body: &str) -> String {
    let bank = escape(bank);
    let initials: String = bank.chars().take(2).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title} – {bank}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
<header><span class=\"logo\">{initials}</span>{bank}</header>\n<section>\n{body}\n</section>\n\
<footer>ObAuth sandbox – a local stand-in for the bank. No real accounts are involved.</footer>\n\
</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

fn decision_form(start_token: &str, decision: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/v1/authentication/start/decision\">\
<input type=\"hidden\" name=\"startToken\" value=\"{token}\">\
<input type=\"hidden\" name=\"decision\" value=\"{decision}\">\
<button type=\"submit\" id=\"{decision}\">{label}</button></form>\n",
        token = escape(start_token),
    )
}

/// The login page: who is logging in, and Approve / Cancel / Reject.
pub fn login(bank: &str, user_hash: &str, start_token: &str) -> String {
    let body = format!(
        "<h1>Log in to {bank}</h1>\n\
<p>An app is asking to access your accounts. Approve to continue, or cancel to go back.</p>\n\
<div class=\"user\"><b>User</b><code id=\"user-hash\">{user}</code></div>\n\
{approve}{cancel}{fail}",
        bank = escape(bank),
        user = escape(user_hash),
        approve = decision_form(start_token, "approve", "Approve"),
        cancel = decision_form(start_token, "cancel", "Cancel"),
        fail = decision_form(start_token, "fail", "Reject (login fails at bank)"),
    );
    layout(bank, "Log in", &body)
}

/// A page with a heading and one paragraph (errors, "already finished", "still waiting").
pub fn message(bank: &str, title: &str, text: &str) -> String {
    let body = format!(
        "<h1 id=\"message-title\">{}</h1>\n<p id=\"message\">{}</p>",
        escape(title),
        escape(text)
    );
    layout(bank, title, &body)
}

/// The small body of a `302` to the app, for clients that show it instead of following.
pub fn redirecting(bank: &str, location: &str) -> String {
    let body = format!(
        "<h1>Returning to the app…</h1>\n<p><a id=\"continue\" href=\"{}\">Continue</a></p>",
        escape(location)
    );
    layout(bank, "Returning to the app", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_page_has_forms_and_ids() {
        let html = login("DemoBank", "user-1234", "ab+/c==");
        for id in ["approve", "cancel", "fail"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
            assert!(html.contains(&format!("name=\"decision\" value=\"{id}\"")));
        }
        assert!(html.contains("value=\"ab+/c==\""));
        assert!(html.contains("action=\"/v1/authentication/start/decision\""));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn escapes() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(message("DemoBank", "<x>", "y").contains("&lt;x&gt;"));
    }
}
