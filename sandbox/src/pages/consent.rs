//! The HTML of the hosted OAuth pages: the Aiia consent page ("Aiia — connect your bank") and
//! the OIDC sign-in page of `/oidc/authorize`.
//!
//! Same frame and rules as the bank's pages (`pages/mod.rs`). Each choice is a plain
//! `<form method="post">` with hidden `request` and `decision` fields, and the buttons carry the
//! stable ids `approve` and `cancel`. The page shows who is asking (`#client`) and for
//! what (`#scopes`, one `<li data-scope="...">` per scope), so a browser test can check that the
//! request it made is the one the user is shown.

use crate::pages::{self, Frame, document, escape, message_body};

/// Extra CSS for the scope list.
const EXTRA_STYLE: &str = "\
h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#6b7785;margin:0 0 8px}\
ul.scopes{list-style:none;margin:0 0 20px;padding:0}\
ul.scopes li{padding:8px 0;border-bottom:1px solid #edf0f4;font-size:14px;line-height:1.4}\
ul.scopes li:last-child{border-bottom:none}\
ul.scopes code{font-weight:600;color:#0b3d6e}";

/// What a scope lets the client do, in words for the user.
fn describe(scope: &str) -> &'static str {
    match scope {
        "accounts" => "Accounts and transactions: full access to account and transaction data.",
        "offline_access" => {
            "Persistent access: keep access to your data until you revoke it (otherwise 24 hours)."
        }
        "openid" => "Confirm who you are.",
        "profile" => "Your basic profile.",
        "banking.ais.read" => "Read your account information.",
        "banking.channel.psd2" => "Use the PSD2 APIs on your behalf.",
        _ => "Access as described by the app.",
    }
}

/// A complete page: `brand` in the header bar, `title` as the document title.
fn layout(brand: &str, title: &str, body: &str) -> String {
    let initials: String = brand.chars().take(2).collect();
    let frame = Frame {
        title,
        extra_style: EXTRA_STYLE,
        initials_html: &escape(&initials),
        brand_html: &escape(brand),
        stand_in_for: "the provider",
    };
    document(&frame, body)
}

fn scope_list(scopes: &[String]) -> String {
    let items: String = scopes
        .iter()
        .map(|s| {
            format!(
                "<li data-scope=\"{s}\"><code>{s}</code> – {d}</li>",
                s = escape(s),
                d = escape(describe(s))
            )
        })
        .collect();
    format!("<h2>Requested access</h2>\n<ul class=\"scopes\" id=\"scopes\">{items}</ul>\n")
}

fn decision_form(action: &str, request_id: &str, decision: &str, label: &str) -> String {
    pages::decision_form(action, "request", request_id, decision, label)
}

/// What the consent page shows about one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConsentView<'a> {
    pub request_id: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a [String],
    /// The bank the user connects (the sandbox's `provider_id`).
    pub bank: &'a str,
    pub accounts_group_name: Option<&'a str>,
    pub accounts_group_id: Option<&'a str>,
}

/// The Aiia consent page: "Aiia — connect your bank".
pub(crate) fn aiia_consent(view: &ConsentView<'_>) -> String {
    let group = match (view.accounts_group_name, view.accounts_group_id) {
        (None, None) => String::new(),
        (name, id) => format!(
            "<div class=\"user\"><b>Accounts group</b><code id=\"accounts-group\">{}</code>\
<code id=\"accounts-group-id\">{}</code></div>\n",
            escape(name.unwrap_or_default()),
            escape(id.unwrap_or_default())
        ),
    };
    let action = "/v1/oauth/connect/decision";
    let body = format!(
        "<h1>Connect your bank</h1>\n\
<p><b id=\"client\">{client}</b> would like to access your bank data through Aiia.</p>\n\
<div class=\"user\"><b>Bank</b><code id=\"bank\">{bank}</code></div>\n{group}{scopes}{approve}{cancel}",
        client = escape(view.client_id),
        bank = escape(view.bank),
        scopes = scope_list(view.scopes),
        approve = decision_form(action, view.request_id, "approve", "Allow and connect"),
        cancel = decision_form(action, view.request_id, "cancel", "Cancel"),
    );
    layout("Aiia", "Aiia — connect your bank", &body)
}

/// The OIDC sign-in and consent page of `/oidc/authorize`.
pub(crate) fn oidc_login(view: &ConsentView<'_>) -> String {
    let action = "/oidc/authorize/decision";
    let body = format!(
        "<h1>Sign in to {bank}</h1>\n\
<p><b id=\"client\">{client}</b> wants you to sign in and share access with it.</p>\n\
<div class=\"user\"><b>Signed in as</b><code id=\"user\">sandbox user</code></div>\n\
{scopes}{approve}{cancel}",
        bank = escape(view.bank),
        client = escape(view.client_id),
        scopes = scope_list(view.scopes),
        approve = decision_form(action, view.request_id, "approve", "Sign in and allow"),
        cancel = decision_form(action, view.request_id, "cancel", "Cancel"),
    );
    layout(view.bank, &format!("Sign in – {}", view.bank), &body)
}

/// A message page (errors: unknown client, unregistered redirect, expired request, ...).
pub(crate) fn message(brand: &str, title: &str, text: &str) -> String {
    layout(brand, title, &message_body(title, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(scopes: &'a [String]) -> ConsentView<'a> {
        ConsentView {
            request_id: "req\"1",
            client_id: "<client>",
            scopes,
            bank: "DemoBank",
            accounts_group_name: Some("Group & co"),
            accounts_group_id: Some("g-1"),
        }
    }

    #[test]
    fn consent_page_has_buttons_scopes_and_no_scripts() {
        let scopes = vec!["accounts".to_owned(), "offline_access".to_owned()];
        let html = aiia_consent(&view(&scopes));
        assert!(html.contains("<title>Aiia — connect your bank</title>"));
        for id in ["approve", "cancel"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
            assert!(html.contains(&format!("name=\"decision\" value=\"{id}\"")));
        }
        assert!(html.contains("data-scope=\"offline_access\""));
        assert!(html.contains("action=\"/v1/oauth/connect/decision\""));
        assert!(html.contains("value=\"req&quot;1\""));
        assert!(html.contains("&lt;client&gt;"));
        assert!(html.contains("Group &amp; co"));
        assert!(html.contains("id=\"accounts-group-id\">g-1<"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }

    #[test]
    fn oidc_page_posts_to_its_own_decision() {
        let scopes = vec!["openid".to_owned()];
        let html = oidc_login(&view(&scopes));
        assert!(html.contains("action=\"/oidc/authorize/decision\""));
        assert!(html.contains("id=\"approve\"") && html.contains("id=\"cancel\""));
        assert!(html.contains("Sign in to DemoBank"));
    }
}
