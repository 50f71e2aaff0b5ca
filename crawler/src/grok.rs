//! Glue's grok classifiers: custom ones (`GrokPattern` and `CustomPatterns`) and
//! the built-in log classifiers Glue lists (`combined_apache`, `apache`,
//! `ruby_logger`, `squid`, `redismonlog`, `redislog`).
//!
//! Patterns are logstash's (the `grok` crate ships its library, the one Athena's
//! GrokSerDe documents). `%{PATTERN:field}` makes a `string` column;
//! `%{PATTERN:field:type}` casts it to one of Glue's types (`byte`, `boolean`,
//! `double`, `short`, `int`, `long`, `float`). Fields named inside the patterns a
//! pattern uses are columns too (`%{COMBINEDAPACHELOG}` gives `clientip`, `ident`,
//! …), in the order they appear.
//!
//! A file is recognised when every whole line of its sample matches. A custom
//! pattern matches anywhere in a line, as logstash's and Glue's GrokSerDe do; the
//! built-in ones must match whole lines, so that they never claim a file by
//! accident.

use lakecat_catalog_api::types::HiveType;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

/// Glue's limits on a grok classifier.
pub const MAX_PATTERN_LEN: usize = 2048;
pub const MAX_CUSTOM_PATTERNS_LEN: usize = 16_000;

/// A compiled grok classifier.
#[derive(Clone)]
pub struct GrokRule {
    /// The table's `classification` (the classifier's `Classification`).
    pub classification: String,
    /// The pattern as given (it becomes the SerDe's `input.format`).
    pub pattern: String,
    /// As given (the SerDe's `input.grokCustomPatterns`).
    pub custom_patterns: Option<String>,
    pub columns: Vec<(String, HiveType)>,
    compiled: Arc<grok::Pattern>,
}

impl PartialEq for GrokRule {
    fn eq(&self, other: &Self) -> bool {
        (&self.classification, &self.pattern, &self.custom_patterns)
            == (
                &other.classification,
                &other.pattern,
                &other.custom_patterns,
            )
    }
}

impl Eq for GrokRule {}

impl std::fmt::Debug for GrokRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrokRule")
            .field("classification", &self.classification)
            .field("pattern", &self.pattern)
            .field("custom_patterns", &self.custom_patterns)
            .finish()
    }
}

fn hive_type(glue: &str) -> Option<HiveType> {
    Some(match glue.to_ascii_lowercase().as_str() {
        "string" => HiveType::String,
        "byte" => HiveType::TinyInt,
        "boolean" => HiveType::Boolean,
        "double" => HiveType::Double,
        "short" => HiveType::SmallInt,
        "int" => HiveType::Int,
        "long" => HiveType::BigInt,
        "float" => HiveType::Float,
        _ => return None,
    })
}

/// `NAME regex` lines; blank lines and `#` comments are skipped.
fn custom_definitions(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, def) = line
            .split_once(|c: char| c.is_whitespace())
            .ok_or_else(|| format!("custom pattern line {}: expected NAME and a pattern", i + 1))?;
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "custom pattern line {}: {name:?} is not a pattern name (letters, digits, _)",
                i + 1
            ));
        }
        out.push((name.to_string(), def.trim().to_string()));
    }
    Ok(out)
}

/// The `%{NAME:alias:type}` references of a pattern text, in order.
fn references(text: &str) -> Vec<(&str, &str, &str)> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"%\{(\w+)(?::([^:{}=]*))?(?::([^:{}=]*))?(?:=[^{}]*)?\}")
            .expect("a valid regex")
    });
    re.captures_iter(text)
        .map(|c| {
            let g = |i| c.get(i).map_or("", |m| m.as_str());
            (g(1), g(2), g(3))
        })
        .collect()
}

/// The named fields of `pattern` in the order they appear, nested ones included.
/// A definition is walked once (`seen`): a second use of it names no new field,
/// and patterns that use each other twice over would otherwise take 2^depth steps.
fn fields_in_order<'a>(
    pattern: &'a str,
    defs: &HashMap<&'a str, &'a str>,
    out: &mut Vec<(String, String)>,
    seen: &mut HashSet<&'a str>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    for (name, alias, ty) in references(pattern) {
        if !alias.is_empty() && !out.iter().any(|(a, _)| a == alias) {
            out.push((alias.to_string(), ty.to_string()));
        }
        if let Some(def) = defs.get(name) {
            if seen.insert(name) {
                fields_in_order(def, defs, out, seen, depth + 1);
            }
        }
    }
}

/// The regular expressions a pattern expands to are at most this long: custom
/// patterns that each use the one before twice would otherwise expand to 2^n
/// characters (the largest built-in pattern expands to a few KiB).
const MAX_EXPANDED: usize = 256 * 1024;

/// How long the regular expression `text` expands to, if at most
/// [`MAX_EXPANDED`] and no deeper than 64 (a deeper chain is a circle); each
/// definition's length is worked out once (`memo`).
fn expanded_len<'a>(
    text: &'a str,
    defs: &HashMap<&'a str, &'a str>,
    memo: &mut HashMap<&'a str, usize>,
    depth: usize,
) -> Option<usize> {
    if depth > 64 {
        return None;
    }
    let mut total = text.len();
    for (name, _, _) in references(text) {
        let n = match (memo.get(name), defs.get(name)) {
            (Some(&n), _) => n,
            // An unknown name: compiling says so.
            (None, None) => 0,
            (None, Some(def)) => {
                let n = expanded_len(def, defs, memo, depth + 1)?;
                memo.insert(name, n);
                n
            }
        };
        // The group around each use.
        total = total.saturating_add(n).saturating_add(16);
        if total > MAX_EXPANDED {
            return None;
        }
    }
    Some(total)
}

impl GrokRule {
    /// Compiles a classifier; an error names what is wrong (an unknown pattern, a
    /// bad type, a regex that does not compile, no field at all).
    pub fn new(
        classification: &str,
        pattern: &str,
        custom_patterns: Option<&str>,
    ) -> Result<GrokRule, String> {
        Self::build(classification, pattern, custom_patterns, false)
    }

    fn build(
        classification: &str,
        pattern: &str,
        custom_patterns: Option<&str>,
        whole_line: bool,
    ) -> Result<GrokRule, String> {
        if pattern.trim().is_empty() || pattern.len() > MAX_PATTERN_LEN {
            return Err(format!(
                "GrokPattern must be 1 to {MAX_PATTERN_LEN} characters long"
            ));
        }
        let custom = custom_patterns.unwrap_or_default();
        if custom.len() > MAX_CUSTOM_PATTERNS_LEN {
            return Err(format!(
                "CustomPatterns must be at most {MAX_CUSTOM_PATTERNS_LEN} characters long"
            ));
        }
        let customs = custom_definitions(custom)?;
        let mut defs: HashMap<&str, &str> = grok::patterns().iter().copied().collect();
        for (name, def) in &customs {
            defs.insert(name, def);
        }
        if expanded_len(pattern, &defs, &mut HashMap::new(), 0).is_none() {
            return Err(format!(
                "GrokPattern {pattern:?} expands to more than {MAX_EXPANDED} characters of regular expression, or its patterns use each other in a circle"
            ));
        }
        let mut g = grok::Grok::with_default_patterns();
        for (name, def) in &customs {
            g.add_pattern(name.as_str(), def.as_str());
        }
        let source = if whole_line {
            format!("^{pattern}$")
        } else {
            pattern.to_string()
        };
        let compiled = g
            .compile(&source, true)
            .map_err(|e| format!("GrokPattern {pattern:?} does not compile: {e}"))?;
        let mut named = Vec::new();
        fields_in_order(pattern, &defs, &mut named, &mut HashSet::new(), 0);
        let captured: BTreeSet<&str> = compiled.capture_names().collect();
        let mut columns = Vec::new();
        for (field, ty) in named {
            if !captured.contains(field.as_str()) {
                continue;
            }
            let ty = if ty.is_empty() { "string" } else { &ty };
            let hive = hive_type(ty).ok_or_else(|| {
                format!(
                    "field {field}: {ty:?} is not a grok data type (byte, boolean, double, short, int, long, float or string)"
                )
            })?;
            columns.push((field.to_lowercase(), hive));
        }
        if columns.is_empty() {
            return Err(format!(
                "GrokPattern {pattern:?} names no field: write %{{PATTERN:field}} for each column"
            ));
        }
        Ok(GrokRule {
            classification: classification.to_string(),
            pattern: pattern.to_string(),
            custom_patterns: custom_patterns
                .filter(|c| !c.trim().is_empty())
                .map(str::to_string),
            columns,
            compiled: Arc::new(compiled),
        })
    }

    pub fn matches(&self, line: &str) -> bool {
        self.compiled.match_against(line).is_some()
    }
}

/// The built-in log classifiers, in the order they are tried (combined before
/// common: a combined line starts with a common one).
pub fn builtins() -> &'static [GrokRule] {
    static RULES: OnceLock<Vec<GrokRule>> = OnceLock::new();
    RULES.get_or_init(|| {
        [
            ("combined_apache", "%{COMBINEDAPACHELOG}"),
            ("apache", "%{COMMONAPACHELOG}"),
            ("ruby_logger", "%{RUBY_LOGGER}"),
            ("squid", "%{SQUID3}"),
            ("redismonlog", "%{REDISMONLOG}"),
            ("redislog", "%{REDISLOG}%{GREEDYDATA:message}"),
        ]
        .into_iter()
        .map(|(c, p)| GrokRule::build(c, p, None, true).expect("the built-in patterns compile"))
        .collect()
    })
}

/// The whole lines of a sample (a sample that stops mid-file may end in half a
/// line), without blank ones, at most `max`.
pub fn sample_lines(text: &str, complete: bool, max: usize) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    if !complete && !text.ends_with('\n') {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
        .take(max)
        .collect()
}

/// Lines longer than this are no log lines: they are not matched at all, which
/// also bounds the backtracking a hostile line could cost.
const MAX_LINE: usize = 64 * 1024;

/// Whether `rule` recognises the sample: every whole line matches.
pub fn recognises(rule: &GrokRule, lines: &[&str]) -> bool {
    !lines.is_empty() && lines.iter().all(|l| l.len() <= MAX_LINE && rule.matches(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMBINED: &str = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;

    #[test]
    fn custom_patterns_types_and_nested_fields() {
        let r = GrokRule::new(
            "wikidata",
            "%{NOTSPACE:language} %{NOTSPACE:page_title} %{NUMBER:hits:long} %{MYSIZE:size:int} %{FLAG}",
            Some("MYSIZE %{INT}\n# a comment\n\nFLAG (?:%{WORD:flag})"),
        )
        .unwrap();
        let cols: Vec<(String, String)> = r
            .columns
            .iter()
            .map(|(n, t)| (n.clone(), t.to_string()))
            .collect();
        assert_eq!(
            cols,
            [
                ("language", "string"),
                ("page_title", "string"),
                ("hits", "bigint"),
                ("size", "int"),
                ("flag", "string"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert!(r.matches("en Main_Page 42 1024 yes"));
        assert!(!r.matches("en Main_Page many 1024 yes"));
    }

    #[test]
    fn bad_classifiers_say_what_is_wrong() {
        let e = GrokRule::new("x", "%{NOSUCHPATTERN:a}", None).unwrap_err();
        assert!(e.contains("NOSUCHPATTERN"), "{e}");
        let e = GrokRule::new("x", "%{INT:a:integer}", None).unwrap_err();
        assert!(e.contains("\"integer\" is not a grok data type"), "{e}");
        let e = GrokRule::new("x", "%{INT}", None).unwrap_err();
        assert!(e.contains("names no field"), "{e}");
        let e = GrokRule::new("x", "%{INT:a}", Some("bad-name ab")).unwrap_err();
        assert!(e.contains("not a pattern name"), "{e}");
        let e = GrokRule::new("x", "%{INT:a} (", None).unwrap_err();
        assert!(e.contains("does not compile"), "{e}");
        // Patterns that double at every step would expand to 2^40 characters.
        let mut doubling = String::from("P0 ab\n");
        for i in 1..=40 {
            doubling.push_str(&format!("P{i} %{{P{}}}%{{P{}}}\n", i - 1, i - 1));
        }
        let e = GrokRule::new("x", "%{P40:a}", Some(&doubling)).unwrap_err();
        assert!(e.contains("expands to more than"), "{e}");
        // A circle.
        let e = GrokRule::new("x", "%{A:a}", Some("A %{B}\nB %{A}")).unwrap_err();
        assert!(e.contains("circle"), "{e}");
        // Every built-in pattern fits.
        let defs: HashMap<&str, &str> = grok::patterns().iter().copied().collect();
        for (name, _) in grok::patterns() {
            let pattern = format!("%{{{name}}}");
            assert!(
                expanded_len(&pattern, &defs, &mut HashMap::new(), 0).is_some(),
                "{name}"
            );
        }
        assert!(GrokRule::new("x", &"a".repeat(2049), None).is_err());
    }

    #[test]
    fn the_apache_classifiers_take_whole_lines_only() {
        let b = builtins();
        assert_eq!(b[0].classification, "combined_apache");
        assert!(b[0].matches(COMBINED));
        let names: Vec<&str> = b[0].columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "clientip",
                "ident",
                "auth",
                "timestamp",
                "verb",
                "request",
                "httpversion",
                "rawrequest",
                "response",
                "bytes",
                "referrer",
                "agent"
            ]
        );
        let common = COMBINED.split(" \"http://").next().unwrap();
        assert!(!b[0].matches(common));
        assert!(b[1].matches(common));
        assert!(!b[1].matches(&format!("prefix {common}")));
        assert!(!b[1].matches("a,b,c"));
    }

    #[test]
    fn samples_drop_a_cut_last_line() {
        assert_eq!(sample_lines("a\nb\nc", false, 10), ["a", "b"]);
        assert_eq!(sample_lines("a\n\nb\r\nc", true, 10), ["a", "b", "c"]);
        assert_eq!(sample_lines("a\nb\nc\n", false, 2), ["a", "b"]);
    }
}
