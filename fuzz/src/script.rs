//! The script format of the machine targets.
//!
//! One command per line (`\n`); the first space separates the command from its argument, which
//! runs to the end of the line and may hold any byte (response bodies stay raw bytes, so invalid
//! UTF-8 reaches the parsers). Unknown commands are skipped, so mutated scripts still mean
//! something. Commands both machine targets understand:
//!
//! ```text
//! at SECS                      the wall clock, in seconds after T0 (may go backwards); when it
//!                              moves forward, as much time passes on the monotonic clock
//! wall SECS                    the wall clock alone (the device's clock was changed)
//! mono SECS                    SECS seconds pass on the monotonic clock alone
//! entropy N                    the next inputs' random number
//! start | resume | cancel      Input::Start / Resume / Cancel
//! timer NAME                   deadline | next-poll | retry-KIND
//! header NAME: VALUE           a header for the next response (kept until it is sent)
//! respond KIND STATUS BODY     Input::Response with that status and body (KIND: initialize,
//!                              status, exchange, refresh, discovery, api)
//! transport KIND WHAT          Input::Response with a transport failure (timeout, network,
//!                              app-token: relay mode's app token was rejected, refused)
//! redirect URL                 Flow::redirect
//! restore                      snapshot, restore from it, and go on with the restored machine
//! ```
//!
//! Before the first of those, configuration lines set up the machine (see each interpreter).
//! `$STATE`, `$NONCE`, `$CLIENT_ID`, `$NOW`, `$EXP` and `$ID_TOKEN` in arguments are replaced
//! with the fixture values, so seeds can carry a valid `state` or a signed-looking ID token and
//! mutations keep them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// One command and its raw argument.
pub struct Line<'a> {
    /// The command word.
    pub cmd: &'a str,
    /// Everything after the first space (no trailing `\r`).
    pub arg: &'a [u8],
}

impl Line<'_> {
    /// The argument as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.arg).into_owned()
    }
}

/// Splits a script into lines; lines whose command is not UTF-8 are skipped.
pub fn lines(data: &[u8]) -> impl Iterator<Item = Line<'_>> {
    data.split(|b| *b == b'\n').filter_map(|raw| {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (cmd, arg) = match raw.iter().position(|b| *b == b' ') {
            Some(i) => (&raw[..i], &raw[i + 1..]),
            None => (raw, &raw[raw.len()..]),
        };
        let cmd = std::str::from_utf8(cmd).ok()?;
        (!cmd.is_empty()).then_some(Line { cmd, arg })
    })
}

/// Splits `KIND REST` (or `STATUS REST`) at the first space.
pub fn word(arg: &[u8]) -> (&str, &[u8]) {
    let (w, rest) = match arg.iter().position(|b| *b == b' ') {
        Some(i) => (&arg[..i], &arg[i + 1..]),
        None => (arg, &arg[arg.len()..]),
    };
    (std::str::from_utf8(w).unwrap_or(""), rest)
}

/// The fixture values placeholders stand for.
#[derive(Clone, Debug, Default)]
pub struct Placeholders {
    /// `$STATE`
    pub state: String,
    /// `$NONCE`
    pub nonce: String,
    /// `$CLIENT_ID`
    pub client_id: String,
    /// `$NOW` (unix seconds); `$EXP` is an hour later.
    pub now_secs: i64,
    /// `$ID_TOKEN`: a JWT built from the last `id-token` payload.
    pub id_token: String,
}

impl Placeholders {
    /// Replaces every placeholder in `bytes`.
    pub fn expand(&self, bytes: &[u8]) -> Vec<u8> {
        if !bytes.contains(&b'$') {
            return bytes.to_vec();
        }
        let pairs: [(&[u8], String); 6] = [
            (b"$ID_TOKEN", self.id_token.clone()),
            (b"$STATE", self.state.clone()),
            (b"$NONCE", self.nonce.clone()),
            (b"$CLIENT_ID", self.client_id.clone()),
            (b"$NOW", self.now_secs.to_string()),
            (b"$EXP", self.now_secs.saturating_add(3600).to_string()),
        ];
        let mut out = Vec::with_capacity(bytes.len() + 64);
        let mut i = 0;
        'outer: while i < bytes.len() {
            if bytes[i] == b'$' {
                for (name, value) in &pairs {
                    if bytes[i..].starts_with(name) {
                        out.extend_from_slice(value.as_bytes());
                        i += name.len();
                        continue 'outer;
                    }
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        out
    }

    /// Sets `$ID_TOKEN` to an unsigned JWT whose payload is `payload` (placeholders expanded).
    pub fn set_id_token(&mut self, payload: &[u8]) {
        let payload = self.expand(payload);
        self.id_token = format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        );
    }
}
