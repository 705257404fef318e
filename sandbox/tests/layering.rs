//! The sandbox's module layering, checked by machine so the next import cycle fails a test
//! instead of creeping back in.
//!
//! It reads `sandbox/src`, maps every file to its module (`routes/oidc.rs` is `routes::oidc`),
//! collects the modules each file names through `crate::` paths (in `use` lines, grouped or not,
//! and inline) and through the bare or `self::` names of its own child modules, and asserts:
//!
//! 1. every module belongs to a layer of [`LAYERS`] (a new top-level module must be placed);
//! 2. a module uses only modules of lower layers, or of its own top-level group (`model::store`
//!    may use `model::oauth_store`), and never the crate root: code names `crate::model::...`,
//!    not the root's re-exports;
//! 3. in the groups of [`INDEPENDENT`] the members use only the group's own `mod.rs`, never each
//!    other (route modules do not import route modules);
//! 4. the module graph has no cycle;
//! 5. `super::` appears only in `mod tests` blocks (cross-module paths are spelled `crate::`, so
//!    rules 1–4 see them).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level groups, lowest layer first. Groups in one layer may not use each other.
const LAYERS: &[&[&str]] = &[
    // Leaves: no crate imports at all.
    &["crypto", "clock", "timefmt", "pages", "browser"],
    // The domain, without HTTP.
    &["model"],
    &["config"],
    // Stateless HTTP helpers.
    &["http"],
    // The shared state.
    &["state"],
    // What the routes share.
    &["middleware", "oauth"],
    &["routes"],
    // Assembly.
    &["router", "server"],
    // `lib.rs`: the public handle and the re-exports.
    &[ROOT],
];

/// Groups whose members must not use each other (only the group's `mod.rs`).
const INDEPENDENT: &[&str] = &["routes"];

/// The name the crate root (`lib.rs`) has in the graph.
const ROOT: &str = "crate";

/// Module path → source text for every `.rs` file below `dir`.
fn read_modules(dir: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(name);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut module = prefix.to_vec();
                if name != "mod" && name != "lib" {
                    module.push(name);
                }
                let key = if module.is_empty() {
                    ROOT.to_owned()
                } else {
                    module.join("::")
                };
                out.insert(key, fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &[], &mut out);
    out
}

/// The source without comment lines (doc links such as `[`crate::Sandbox`]` are not imports).
fn code_lines(source: &str) -> impl Iterator<Item = &str> {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
}

/// Every path named after `crate::` in `code`, expanded: `crate::{a::{self, B}, c}` gives
/// `a`, `a::B` and `c`.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    struct Parser<'a> {
        chars: &'a [char],
        at: usize,
    }
    impl Parser<'_> {
        fn skip_space(&mut self) {
            while self.at < self.chars.len() && self.chars[self.at].is_whitespace() {
                self.at += 1;
            }
        }
        fn eat(&mut self, s: &str) -> bool {
            self.skip_space();
            let want: Vec<char> = s.chars().collect();
            if self.chars[self.at..].starts_with(&want) {
                self.at += want.len();
                true
            } else {
                false
            }
        }
        fn ident(&mut self) -> Option<String> {
            self.skip_space();
            let start = self.at;
            while self.at < self.chars.len()
                && (self.chars[self.at].is_alphanumeric() || self.chars[self.at] == '_')
            {
                self.at += 1;
            }
            (self.at > start).then(|| self.chars[start..self.at].iter().collect())
        }
        /// One use-tree below `prefix`: `a::b`, `a::{...}`, `self`, `*`, `x as y`.
        fn tree(&mut self, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
            if self.eat("{") {
                loop {
                    if self.eat("}") {
                        return;
                    }
                    self.tree(prefix.clone(), out);
                    if !self.eat(",") {
                        self.eat("}");
                        return;
                    }
                }
            }
            if self.eat("*") {
                out.push(prefix);
                return;
            }
            let Some(name) = self.ident() else {
                out.push(prefix);
                return;
            };
            let mut path = prefix;
            if name != "self" {
                path.push(name);
            }
            if self.eat("::") {
                self.tree(path, out);
            } else {
                out.push(path);
            }
        }
    }
    let chars: Vec<char> = code.chars().collect();
    let needle: Vec<char> = "crate::".chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at + needle.len() <= chars.len() {
        let starts_word = at == 0 || !(chars[at - 1].is_alphanumeric() || chars[at - 1] == '_');
        if starts_word && chars[at..].starts_with(&needle) {
            let mut parser = Parser {
                chars: &chars,
                at: at + needle.len(),
            };
            parser.tree(Vec::new(), &mut out);
            at = parser.at.max(at + 1);
        } else {
            at += 1;
        }
    }
    out
}

/// The child modules `module` declares (`mod x;`) and names in `code` as `x::...` or
/// `self::x::...` (a parent reaching into its children, which `crate::` paths do not show).
fn child_uses(module: &str, code: &str) -> Vec<String> {
    let declared = code.lines().filter_map(|line| {
        let line = line.trim();
        let rest = line
            .strip_prefix("pub(crate) ")
            .or_else(|| line.strip_prefix("pub "))
            .unwrap_or(line);
        rest.strip_prefix("mod ")?
            .strip_suffix(';')
            .map(str::to_owned)
    });
    let named = |child: &str| {
        let needle = format!("{child}::");
        code.match_indices(&needle).any(|(at, _)| {
            let before = &code[..at];
            let prev = before.chars().next_back();
            if before.ends_with("::") {
                before.ends_with("self::")
            } else {
                !prev.is_some_and(|c| c.is_alphanumeric() || c == '_')
            }
        })
    };
    declared
        .filter(|child| named(child))
        .map(|child| {
            if module == ROOT {
                child
            } else {
                format!("{module}::{child}")
            }
        })
        .collect()
}

/// The module a path refers to: its longest prefix that is a module, else the crate root.
fn resolve(path: &[String], modules: &BTreeSet<String>) -> String {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m))
        .unwrap_or_else(|| ROOT.to_owned())
}

/// Module → the modules it uses (itself excluded).
fn graph(sources: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(module, source)| {
            let code = code_lines(source).collect::<Vec<_>>().join("\n");
            let uses = crate_paths(&code)
                .iter()
                .map(|path| resolve(path, &modules))
                .chain(child_uses(module, &code))
                .filter(|target| target != module)
                .collect();
            (module.clone(), uses)
        })
        .collect()
}

fn group(module: &str) -> &str {
    module.split("::").next().unwrap()
}

fn layer_of(group: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&group))
}

/// A cycle in `graph`, if there is one, as the list of modules around it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|n| n == node).unwrap();
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

/// Every broken rule (see the module docs), one line each.
fn violations(sources: &BTreeMap<String, String>) -> Vec<String> {
    let graph = graph(sources);
    let mut problems = Vec::new();
    for (module, uses) in &graph {
        let Some(from) = layer_of(group(module)) else {
            problems.push(format!("{module}: its group is in no layer of LAYERS"));
            continue;
        };
        for target in uses {
            let (g, h) = (group(module), group(target));
            if target == ROOT {
                problems.push(format!(
                    "{module} uses the crate root; name the defining module instead"
                ));
            } else if g == h {
                if INDEPENDENT.contains(&g) && target != g {
                    problems.push(format!(
                        "{module} uses {target}: members of {g} are independent"
                    ));
                }
            } else if layer_of(h).is_none_or(|to| to >= from) {
                problems.push(format!(
                    "{module} uses {target}, which is not in a lower layer"
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        problems.push(format!("import cycle: {}", cycle.join(" -> ")));
    }
    for (module, source) in sources {
        let tests_start = source.find("mod tests").unwrap_or(source.len());
        if code_lines(&source[..tests_start]).any(|line| line.contains("super::")) {
            problems.push(format!(
                "{module} uses super:: outside its tests; spell the path crate::..."
            ));
        }
    }
    problems
}

#[test]
fn the_sandbox_is_layered_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = read_modules(&src);
    assert!(sources.contains_key(ROOT) && sources.contains_key("routes::oidc"));
    let problems = violations(&sources);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_grouped_imports_and_catches_leaks() {
    let paths = crate_paths(
        "use crate::{a::{self, B}, c as d};\nlet x = crate::e::f(1); let y = notcrate::g;",
    );
    let expected: Vec<Vec<String>> = [&["a"][..], &["a", "B"], &["c"], &["e", "f"]]
        .iter()
        .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    assert_eq!(paths, expected);

    // The problems reported for a planted set of files, checked to include each of `expected`.
    let planted = |files: &[(&str, &str)], expected: &[&str]| -> Vec<String> {
        let sources = files
            .iter()
            .map(|(m, s)| ((*m).to_owned(), (*s).to_owned()))
            .collect();
        let problems = violations(&sources);
        for needle in expected {
            assert!(
                problems.iter().any(|p| p.contains(needle)),
                "expected {needle:?} in {problems:?}"
            );
        }
        problems
    };
    // A layer violation and the cycle it closes.
    planted(
        &[
            ("model", "use crate::state::App;"),
            ("state", "use crate::model::Store;"),
        ],
        &["model uses state", "import cycle"],
    );
    // Route modules importing each other; the root's re-exports; super:: paths.
    let problems = planted(
        &[
            ("routes", ""),
            (
                "routes::a",
                "use crate::routes::b::x;\nuse crate::Endpoint;",
            ),
            ("routes::b", "use super::a::y;"),
            (ROOT, "/// [`crate::routes::a`]"),
        ],
        &[
            "routes::a uses routes::b",
            "routes::a uses the crate root",
            "routes::b uses super::",
        ],
    );
    assert_eq!(problems.len(), 3, "doc links are not imports: {problems:?}");
    // A parent reaching into a child that uses the parent is a cycle too.
    planted(
        &[
            ("pages", "pub(crate) mod bank;\nfn f() { bank::g(); }"),
            ("pages::bank", "use crate::pages::escape;"),
        ],
        &["import cycle"],
    );
    // A well-layered set passes.
    assert!(planted(&[("model", "use crate::crypto::x;"), ("crypto", "")], &[]).is_empty());
}
