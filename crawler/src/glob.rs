//! Exclusion patterns with Glue's glob semantics, on top of globset:
//! `*` stays within one path level, `**` crosses levels, `?` is one character,
//! `[a-z]` / `[!a-z]` classes, `{a,b}` alternatives, `\` escapes. Patterns are
//! relative to the include path.
//!
//! Glue lets `**` cross levels even when glued to other characters (`2015/01/0**`);
//! globset treats such a `**` as `*`, so each glued `**` is tried both as `*` and as
//! `*/**`.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Debug, Clone)]
pub struct Exclusions {
    set: GlobSet,
    patterns: Vec<String>,
}

fn expand(p: &str) -> Vec<String> {
    // Split at each `**` that is not a whole path level.
    let mut out = vec![String::new()];
    let mut rest = p;
    while let Some(i) = rest.find("**") {
        let before = &rest[..i];
        let after = &rest[i + 2..];
        let whole = (before.is_empty() || before.ends_with('/'))
            && (after.is_empty() || after.starts_with('/'));
        if whole {
            out.iter_mut().for_each(|o| {
                o.push_str(before);
                o.push_str("**");
            });
        } else {
            out = out
                .into_iter()
                .flat_map(|o| [format!("{o}{before}*"), format!("{o}{before}*/**/*")])
                .collect();
        }
        rest = after;
    }
    out.iter_mut().for_each(|o| o.push_str(rest));
    // `x*/**/*` needs a level below `x…`; `x*` alone covers the level itself, and a
    // trailing `/**/*` is what globset needs to match "everything below".
    out
}

impl Exclusions {
    pub fn new(patterns: &[String]) -> Result<Exclusions, String> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            let p = p.trim_start_matches('/');
            for e in expand(p) {
                let g = GlobBuilder::new(&e)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .empty_alternates(true)
                    .build()
                    .map_err(|err| format!("exclusion pattern {p:?}: {err}"))?;
                b.add(g);
            }
        }
        Ok(Exclusions {
            set: b.build().map_err(|e| e.to_string())?,
            patterns: patterns.to_vec(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether a path relative to the include path is excluded: the file itself, or
    /// one of its folders (excluding `logs` excludes everything under it).
    pub fn excludes(&self, rel: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        if self.set.is_match(rel) {
            return true;
        }
        rel.match_indices('/')
            .any(|(i, _)| self.set.is_match(&rel[..i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(p: &[&str]) -> Exclusions {
        Exclusions::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn glue_semantics() {
        let e = ex(&["*.csv"]);
        assert!(e.excludes("a.csv"));
        assert!(!e.excludes("dir/a.csv"), "* stays in one level");
        let e = ex(&["**.csv"]);
        assert!(e.excludes("dir/sub/a.csv"));
        let e = ex(&["2015/01/{[!0],0[8-9]}**"]);
        assert!(e.excludes("2015/01/10/a.json"));
        assert!(e.excludes("2015/01/08/a.json"));
        assert!(!e.excludes("2015/01/07/a.json"));
        assert!(!e.excludes("2015/02/10/a.json"));
        let e = ex(&["logs"]);
        assert!(e.excludes("logs/x/y.csv"));
        assert!(!e.excludes("logsx/y.csv"));
        let e = ex(&["year=202?/**"]);
        assert!(e.excludes("year=2021/m=1/a.parquet"));
        assert!(!e.excludes("year=2019/m=1/a.parquet"));
        assert!(Exclusions::new(&["[".into()]).is_err());
    }
}
