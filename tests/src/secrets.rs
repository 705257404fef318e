//! Checks that credentials, codes and tokens never appear in `Debug` output.
//!
//! `{:?}` is how values end up in logs, crash reports and test failure messages, so every value
//! a host can print (states, tokens, errors, redirect outcomes, the client) must keep the secrets
//! it carries redacted. Each scenario collects the secrets it met into a [`Secrets`] and runs
//! everything printable past it. Besides the whole value, a window from the middle is searched
//! too, so a truncated or re-encoded leak of a long code or token is caught as well.

use std::fmt::Debug;

use obauth::SupervisedTokens;

/// The secret values one scenario met.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    values: Vec<(String, String)>,
}

impl Secrets {
    /// Starts with the client secret.
    pub fn with_client_secret(secret: &str) -> Self {
        let mut s = Secrets::default();
        s.add("client secret", secret);
        s
    }

    /// Adds one secret under a label (for the failure message).
    pub fn add(&mut self, label: &str, value: &str) {
        assert!(!value.is_empty(), "{label} is empty");
        self.values.push((label.to_owned(), value.to_owned()));
    }

    /// Adds the access token and the login token.
    pub fn add_tokens(&mut self, tokens: &SupervisedTokens) {
        self.add("access token", tokens.session.token().expose());
        self.add("login token", tokens.login.token.expose());
    }

    /// Panics if `text` contains any secret (or a 16-character window from its middle).
    pub fn assert_absent(&self, what: &str, text: &str) {
        for (label, value) in &self.values {
            assert!(!text.contains(value.as_str()), "{what} leaks the {label}");
            if value.len() >= 32 {
                let mid = value.len() / 2;
                let window = &value[mid - 8..mid + 8];
                assert!(
                    !text.contains(window),
                    "{what} leaks part of the {label} ({window})"
                );
            }
        }
    }

    /// Panics if the `Debug` output of `value` (plain or pretty) contains a secret.
    pub fn assert_debug_clean<T: Debug + ?Sized>(&self, what: &str, value: &T) {
        self.assert_absent(what, &format!("{value:?}"));
        self.assert_absent(what, &format!("{value:#?}"));
    }

    /// Checks every item of a slice.
    pub fn assert_all_clean<T: Debug>(&self, what: &str, values: &[T]) {
        for v in values {
            self.assert_debug_clean(what, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whole_and_partial_leaks() {
        let code = "qgAA++//AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHHIIII=";
        let mut s = Secrets::with_client_secret("hunter2-secret");
        s.add("code", code);
        s.assert_absent("clean", "nothing to see: Secret([redacted])");
        for leak in [
            format!("x {code} y"),
            format!("{}…", &code[10..36]),
            "client hunter2-secret".to_owned(),
        ] {
            let caught = std::panic::catch_unwind(|| s.assert_absent("leaky", &leak));
            assert!(caught.is_err(), "{leak}");
        }
    }
}
