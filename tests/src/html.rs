//! Reading the sandbox's simple HTML: attribute values and element text, HTML-unescaped. Shared
//! by the bank-page and consent-page browsers.

/// The value of attribute `name` in the first tag text after `marker`, HTML-unescaped.
pub fn attribute_after(html: &str, marker: &str, name: &str) -> Option<String> {
    let from = html.find(marker)?;
    let rest = &html[from..];
    let tag = &rest[..rest.find('>')?];
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The text of the first element whose opening tag contains `marker`.
pub fn element_text(html: &str, marker: &str) -> Option<String> {
    let from = html.find(marker)?;
    let rest = &html[from..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    Some(unescape(&rest[start..end]))
}

pub fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
