//! `--qr`: the auth URL as a QR code on stderr, so a phone can open it.
//!
//! Only when stderr is a terminal: a QR code is for eyes, and piped stderr stays the
//! machine-readable lines it always was (`auth_url: …`, progress, `error: …`). Rendered with
//! Unicode half blocks (two modules a character, `qrcode`'s `Dense1x2`), light modules drawn so
//! the code reads on the usual dark terminal background, with the standard quiet zone.

use std::io::IsTerminal;

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// The QR code of `text` as lines of half blocks; `None` if it is too long for any QR version.
pub fn render(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// Shows `url` as a QR code on stderr when `wanted` and stderr is a terminal; else nothing.
pub fn show(url: &str, wanted: bool) {
    if !wanted || !std::io::stderr().is_terminal() {
        return;
    }
    match render(url) {
        Some(code) => eprintln!("{code}"),
        None => eprintln!("(the auth URL is too long for a QR code)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_renders_as_half_blocks_with_a_quiet_zone() {
        let url = "https://id.example.com/oidc/authorize?client_id=app&state=abc";
        let text = render(url).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // A version-3+ code is at least 29 modules wide, plus 4 quiet modules on each side;
        // two rows a line.
        let width = lines[0].chars().count();
        assert!(width >= 29 + 8, "{width}");
        assert!(lines.iter().all(|l| l.chars().count() == width));
        assert!(lines.len() * 2 >= width - 1 && lines.len() * 2 <= width + 1);
        assert!(text.chars().all(|c| " ▀▄█\n".contains(c)), "{text}");
        // The quiet zone is light: drawn as full blocks on a dark terminal.
        assert!(lines[0].chars().all(|c| c == '█'), "{}", lines[0]);
        // Different URLs, different codes.
        assert_ne!(render(&format!("{url}x")).unwrap(), text);
    }

    #[test]
    fn a_url_too_long_for_any_version_is_none() {
        assert!(render(&"a".repeat(8000)).is_none());
    }
}
