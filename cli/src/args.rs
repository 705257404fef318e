//! Command-line parsing, by hand: the contract is small and fixed, and a parser crate would
//! double the CLI's build time. Accepts `--flag value` and `--flag=value`.

use std::collections::HashMap;
use std::time::Duration;

/// A usage problem: printed as `error: …` with exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

/// Parsed flags of one subcommand.
pub struct Flags {
    values: HashMap<String, Vec<String>>,
}

impl Flags {
    /// Parses `args` allowing only the flags in `known` (names without dashes), each at most
    /// once.
    pub fn parse(args: &[String], known: &[&str]) -> Result<Self, UsageError> {
        Self::parse_with_repeatable(args, known, &[])
    }

    /// Like [`Flags::parse`], but the flags in `repeatable` may be given any number of times
    /// (read them with [`Flags::all`]).
    pub fn parse_with_repeatable(
        args: &[String],
        known: &[&str],
        repeatable: &[&str],
    ) -> Result<Self, UsageError> {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(UsageError(format!("unexpected argument {arg:?}")));
            };
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None => {
                    let v = it
                        .next()
                        .ok_or_else(|| UsageError(format!("--{flag} needs a value")))?;
                    (flag.to_owned(), v.clone())
                }
            };
            if !known.contains(&name.as_str()) && !repeatable.contains(&name.as_str()) {
                return Err(UsageError(format!("unknown option --{name}")));
            }
            let entry = values.entry(name.clone()).or_default();
            if !entry.is_empty() && !repeatable.contains(&name.as_str()) {
                return Err(UsageError(format!("--{name} given twice")));
            }
            entry.push(value);
        }
        Ok(Flags { values })
    }

    /// An optional flag.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// Every value of a repeatable flag, in order.
    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }

    /// A required flag, or its environment variable.
    pub fn required(&self, name: &str, env: Option<&str>) -> Result<String, UsageError> {
        if let Some(v) = self.get(name) {
            return Ok(v.to_owned());
        }
        if let Some(var) = env
            && let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return Ok(v);
        }
        Err(UsageError(match env {
            Some(var) => format!("missing --{name} (or {var})"),
            None => format!("missing --{name}"),
        }))
    }

    /// An optional number of seconds.
    pub fn seconds(&self, name: &str) -> Result<Option<Duration>, UsageError> {
        self.get(name)
            .map(|v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        UsageError(format!(
                            "--{name} must be a positive whole number of seconds"
                        ))
                    })
            })
            .transpose()
    }
}

/// Whether `args` name `--name` (as `--name value` or `--name=value`); lets a command hand its
/// arguments to a variant (e.g. relay mode) before parsing them.
pub fn has_flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| {
        a.strip_prefix("--")
            .is_some_and(|f| f == name || f.split_once('=').is_some_and(|(n, _)| n == name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn both_spellings_and_errors() {
        let f = Flags::parse(&args(&["--a", "1", "--b=2"]), &["a", "b"]).unwrap();
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.get("b"), Some("2"));
        assert!(Flags::parse(&args(&["--c", "1"]), &["a"]).is_err());
        assert!(Flags::parse(&args(&["--a"]), &["a"]).is_err());
        assert!(Flags::parse(&args(&["--a", "1", "--a", "2"]), &["a"]).is_err());
        assert!(Flags::parse(&args(&["stray"]), &["a"]).is_err());
        let f = Flags::parse(&args(&["--t", "0"]), &["t"]).unwrap();
        assert!(f.seconds("t").is_err());
    }

    #[test]
    fn has_flag_sees_both_spellings_only_as_flags() {
        assert!(has_flag(
            &args(&["--a", "1", "--relay-url", "u"]),
            "relay-url"
        ));
        assert!(has_flag(&args(&["--relay-url=u"]), "relay-url"));
        assert!(!has_flag(
            &args(&["--relay-urls", "u", "relay-url"]),
            "relay-url"
        ));
    }

    #[test]
    fn repeatable_flags_keep_every_value() {
        let f =
            Flags::parse_with_repeatable(&args(&["--r", "1", "--a", "x", "--r=2"]), &["a"], &["r"])
                .unwrap();
        assert_eq!(f.all("r"), ["1", "2"]);
        assert_eq!(f.get("r"), Some("1"));
        assert!(f.all("missing").is_empty());
        assert!(
            Flags::parse_with_repeatable(&args(&["--a", "1", "--a", "2"]), &["a"], &["r"]).is_err()
        );
    }
}
