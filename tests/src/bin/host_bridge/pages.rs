//! The bridge's own test pages: a bank page whose links leave the WebView.
//!
//! The sandbox's pages (owned elsewhere) never link outside the flow, but real bank pages do:
//! "open the BankID app", a Universal Link to the bank's own app, a stray plain-http link, a
//! script link. `/bank-app-link.html` is such a page, served on the bridge's loopback port (so
//! the WebView may load it: loopback `http` is allowed), for the navigation-policy scenario.
//! `/bank-help.html` is an ordinary link the policy lets the WebView load; the `terms` link is an
//! ordinary https page the policy also allows, which the test uses as its control: the browser
//! does reach for that host (and fails, as nothing but loopback resolves), so the net-log check
//! that proves the other hosts were never contacted is shown to see such attempts.
//!
//! Like the sandbox's pages: inline CSS, no scripts, no external resources, stable ids.

/// The link ids on [`bank_app_link`] and where each one goes.
pub const LINKS: &[(&str, &str, &str)] = &[
    (
        "bankid",
        "Open the BankID app",
        "bankid:///?autostarttoken=7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6&redirect=null",
    ),
    (
        "mobilebank",
        "Continue in the DemoBank app",
        "https://mobilebank.example.com/open?session=42",
    ),
    (
        "plain-http",
        "Old login page (plain http)",
        "http://plain.example.com/login",
    ),
    (
        "script",
        "Script link",
        "javascript:void(document.title='script link ran')",
    ),
    (
        "data",
        "Data link",
        "data:text/html,%3Ch1%3Enot%20your%20bank%3C%2Fh1%3E",
    ),
    ("help", "Help", "/bank-help.html"),
    (
        "terms",
        "Terms (on the bank's website)",
        "https://www.demobank.example/terms",
    ),
];

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;\
background:#eef2f7;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1c2733}\
main{width:100%;max-width:380px;margin:16px;background:#fff;border-radius:14px;\
box-shadow:0 6px 24px rgba(20,40,80,.12);overflow:hidden}\
header{background:#0b3d6e;color:#fff;padding:18px 22px;font-weight:600;font-size:18px}\
section{padding:22px}\
h1{font-size:20px;margin:0 0 8px}\
p{margin:0 0 16px;line-height:1.45;color:#43505e}\
a{display:block;padding:12px;margin:0 0 10px;border-radius:9px;border:1px solid #0b3d6e;\
color:#0b3d6e;text-decoration:none;font-weight:600;text-align:center}\
a#bankid{background:#0b3d6e;color:#fff}\
footer{padding:0 22px 18px;font-size:12px;color:#8a94a0}";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
<header>DemoBank</header>\n<section>\n{body}\n</section>\n\
<footer>ObAuth host bridge test page: every link here is decided by the core's navigation policy.</footer>\n\
</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

/// The bank page with links that leave the WebView.
pub fn bank_app_link() -> String {
    let links: String = LINKS
        .iter()
        .map(|(id, label, href)| {
            format!(
                "<a id=\"{id}\" href=\"{href}\">{label}</a>\n",
                href = escape(href),
                label = escape(label)
            )
        })
        .collect();
    layout(
        "Confirm with your bank app",
        &format!(
            "<h1>Confirm with your bank app</h1>\n\
<p>Open BankID or the DemoBank app to approve the login.</p>\n{links}"
        ),
    )
}

/// The page behind the page's ordinary link.
pub fn bank_help() -> String {
    layout(
        "Help",
        "<h1 id=\"help-title\">Help</h1>\n<p>Approve the login in your bank app, then return here.</p>",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_has_every_link_escaped_and_no_script_tags() {
        let html = bank_app_link();
        for (id, _, _) in LINKS {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("void(document.title=&#39;script link ran&#39;)"));
        assert!(!html.contains("<script"));
    }
}
