//! The bank's hosted supervised-login pages: the login page, the message pages and the small
//! "returning to the app" body of a redirect.
//!
//! Each decision on the login page is its own form with hidden `startToken` and `decision`
//! fields, posted to `/v1/authentication/start/decision`; the buttons are `#approve`, `#cancel`
//! and `#fail`.

use crate::pages::{Frame, decision_form, document, escape, message_body};

/// The login page's form target.
const DECISION_ACTION: &str = "/v1/authentication/start/decision";

/// A complete bank page: `bank` in the header bar, `title – bank` as the document title.
fn layout(bank: &str, title: &str, body: &str) -> String {
    let bank_html = escape(bank);
    let initials_html: String = bank_html.chars().take(2).collect();
    let frame = Frame {
        title: &format!("{title} – {bank}"),
        extra_style: "",
        initials_html: &initials_html,
        brand_html: &bank_html,
        stand_in_for: "the bank",
    };
    document(&frame, body)
}

/// The login page: who is logging in, and Approve / Cancel / Reject.
pub fn login(bank: &str, user_hash: &str, start_token: &str) -> String {
    let form = |decision, label| {
        decision_form(DECISION_ACTION, "startToken", start_token, decision, label)
    };
    let body = format!(
        "<h1>Log in to {bank}</h1>\n\
<p>An app is asking to access your accounts. Approve to continue, or cancel to go back.</p>\n\
<div class=\"user\"><b>User</b><code id=\"user-hash\">{user}</code></div>\n\
{approve}{cancel}{fail}",
        bank = escape(bank),
        user = escape(user_hash),
        approve = form("approve", "Approve"),
        cancel = form("cancel", "Cancel"),
        fail = form("fail", "Reject (login fails at bank)"),
    );
    layout(bank, "Log in", &body)
}

/// A page with a heading and one paragraph (errors, "already finished", "still waiting").
pub fn message(bank: &str, title: &str, text: &str) -> String {
    layout(bank, title, &message_body(title, text))
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
    fn messages_escape() {
        assert!(message("DemoBank", "<x>", "y").contains("&lt;x&gt;"));
    }
}
