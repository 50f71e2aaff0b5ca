//! Which folders are one table, and which levels below it are partitions.
//!
//! The rules (the README's "How the crawler decides tables" repeats them):
//!
//! 1. With a table level (Glue's `TableLevelConfiguration`), every folder at that
//!    absolute depth is one table; nothing is split further.
//! 2. Otherwise, at the include path: if every subfolder is named like a partition
//!    (`key=value`, a number, or a date such as `2024-01-31`, `2024-01`, `20240131`),
//!    the include path is one table. If not, each subfolder is a candidate table of
//!    its own (Glue would merge similar siblings into a table with a nameless first
//!    partition key, its most surprising behaviour), and files lying directly in the
//!    include path beside those folders are reported, not made into a table.
//! 3. A candidate table's data sits at one depth below it: the depth holding most of
//!    its files (the deeper on a tie). Files at another depth are reported as stray
//!    and do not split the table (one stray `README.csv` beside partition folders is
//!    the classic way Glue ends up with one table per folder).
//! 4. If the files at that depth differ in format (classification, compression, CSV
//!    delimiter and header), the candidate is split into one candidate per subfolder;
//!    in a single folder the most common format wins and the rest is reported.
//! 5. Unless schemas are combined (`combine_compatible_schemas`, Glue's
//!    `CombineCompatibleSchemas`), subfolders whose column names overlap too little
//!    (overlap coefficient |A∩B| / min(|A|,|B|) below 0.7 against the subfolder with
//!    the most files) split the candidate into one table per subfolder. Because the
//!    coefficient compares against the smaller set, a schema that only gained
//!    columns never splits a table.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the grouping needs to know of a data file.
#[derive(Debug, Clone)]
pub struct GroupFile {
    /// Path relative to the include path, `/`-separated.
    pub rel: String,
    /// Format identity; files with different keys cannot share a table.
    pub key: std::sync::Arc<str>,
    /// Lower-case column names, when the file was read.
    pub columns: Option<std::sync::Arc<[String]>>,
}

#[derive(Debug, Clone, Default)]
pub struct GroupOptions {
    /// Table level relative to the include path (0 = the include path itself).
    pub table_depth: Option<usize>,
    pub combine_compatible_schemas: bool,
}

/// One table: its folder (relative components) and its partitions.
#[derive(Debug, Clone, PartialEq)]
pub struct TableGroup {
    pub path: Vec<String>,
    /// Partition folder levels below the table folder (0 = unpartitioned).
    pub depth: usize,
    /// Files by partition folder (relative to the table folder; empty for depth 0).
    pub partitions: BTreeMap<Vec<String>, Vec<usize>>,
}

#[derive(Debug, Default)]
pub struct Grouping {
    pub tables: Vec<TableGroup>,
    /// Files left out, with the reason.
    pub skipped: Vec<(usize, String)>,
    /// Decisions worth explaining in the report.
    pub notes: Vec<String>,
}

#[derive(Default)]
struct Dir {
    files: Vec<usize>,
    children: BTreeMap<String, Dir>,
}

impl Dir {
    /// Every file below, with its depth relative to this folder and its folder path.
    fn walk(
        &self,
        depth: usize,
        path: &mut Vec<String>,
        out: &mut Vec<(usize, Vec<String>, usize)>,
    ) {
        for &f in &self.files {
            out.push((depth, path.clone(), f));
        }
        for (name, d) in &self.children {
            path.push(name.clone());
            d.walk(depth + 1, path, out);
            path.pop();
        }
    }
}

pub fn partition_like(name: &str) -> bool {
    if let Some((k, _)) = name.split_once('=') {
        return !k.is_empty();
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(name) {
        return true;
    }
    let parts: Vec<&str> = name.split(['-', '_']).collect();
    matches!(parts.as_slice(), [y, m] | [y, m, _] if y.len() == 4 && digits(y) && m.len() == 2 && digits(m))
        && parts.iter().all(|p| digits(p))
}

fn display(path: &[String]) -> String {
    if path.is_empty() {
        "the include path".into()
    } else {
        format!("{}/", path.join("/"))
    }
}

pub fn group(files: &[GroupFile], opts: &GroupOptions) -> Grouping {
    let mut root = Dir::default();
    for (i, f) in files.iter().enumerate() {
        let mut d = &mut root;
        let mut parts: Vec<&str> = f.rel.split('/').collect();
        parts.pop();
        for p in parts {
            d = d.children.entry(p.to_string()).or_default();
        }
        d.files.push(i);
    }
    let mut g = Grouping::default();
    if let Some(level) = opts.table_depth {
        at_level(files, opts, &root, level, &mut Vec::new(), &mut g);
        return g;
    }
    if !root.children.is_empty() && !root.children.keys().all(|k| partition_like(k)) {
        for &f in &root.files {
            g.skipped.push((
                f,
                "lies directly in the include path beside table folders; give it an include path of its own".into(),
            ));
        }
        if !root.files.is_empty() {
            g.notes.push(format!(
                "the include path holds {} files beside folders that are not partitions: each folder became its own table candidate",
                root.files.len()
            ));
        }
        for (name, d) in &root.children {
            candidate(files, opts, d, vec![name.clone()], &mut g, true);
        }
    } else {
        candidate(files, opts, &root, vec![], &mut g, true);
    }
    g
}

fn at_level(
    files: &[GroupFile],
    opts: &GroupOptions,
    dir: &Dir,
    level: usize,
    path: &mut Vec<String>,
    g: &mut Grouping,
) {
    if path.len() == level {
        candidate(files, opts, dir, path.clone(), g, false);
        return;
    }
    for &f in &dir.files {
        g.skipped.push((
            f,
            format!(
                "above the table level (folder depth {} < {level})",
                path.len()
            ),
        ));
    }
    for (name, d) in &dir.children {
        path.push(name.clone());
        at_level(files, opts, d, level, path, g);
        path.pop();
    }
}

/// Decides one candidate table folder; `may_split` is false under a fixed table level.
fn candidate(
    files: &[GroupFile],
    opts: &GroupOptions,
    dir: &Dir,
    path: Vec<String>,
    g: &mut Grouping,
    may_split: bool,
) {
    let mut all = Vec::new();
    dir.walk(0, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let mut per_depth: BTreeMap<usize, usize> = BTreeMap::new();
    for (d, _, _) in &all {
        *per_depth.entry(*d).or_default() += 1;
    }
    let depth = per_depth
        .iter()
        .max_by_key(|(d, n)| (**n, **d))
        .map(|(d, _)| *d)
        .unwrap_or(0);
    let (members, strays): (Vec<_>, Vec<_>) = all.into_iter().partition(|(d, _, _)| *d == depth);
    let keys: BTreeSet<&str> = members.iter().map(|(_, _, f)| &*files[*f].key).collect();
    if keys.len() > 1 && depth > 0 && may_split {
        g.notes.push(format!(
            "{} holds files of {} formats ({}): each subfolder is a table candidate of its own",
            display(&path),
            keys.len(),
            keys.iter().copied().collect::<Vec<_>>().join(", ")
        ));
        for &f in &dir.files {
            g.skipped.push((
                f,
                format!(
                    "lies in {} beside folders of different formats",
                    display(&path)
                ),
            ));
        }
        for (name, d) in &dir.children {
            let mut p = path.clone();
            p.push(name.clone());
            candidate(files, opts, d, p, g, true);
        }
        return;
    }
    for (d, _, f) in &strays {
        g.skipped.push((
            *f,
            format!(
                "stray file: the data of table folder {} lies {depth} folder level(s) below it, this file {d}",
                display(&path)
            ),
        ));
    }
    if keys.len() > 1 {
        // One folder (or a fixed table level) with mixed formats: the most common wins.
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (_, _, f) in &members {
            *count.entry(&*files[*f].key).or_default() += 1;
        }
        let winner = count
            .iter()
            .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
            .map(|(k, _)| k.to_string())
            .unwrap();
        let (keep, drop): (Vec<_>, Vec<_>) = members
            .into_iter()
            .partition(|(_, _, f)| *files[*f].key == *winner);
        for (_, _, f) in drop {
            g.skipped.push((
                f,
                format!(
                    "its format ({}) differs from the rest of {} ({winner})",
                    files[f].key,
                    display(&path)
                ),
            ));
        }
        emit(path, keep, g);
        return;
    }
    if may_split && depth > 0 && !opts.combine_compatible_schemas && dissimilar(files, &members) {
        g.notes.push(format!(
            "the subfolders of {} have dissimilar columns: each became a table of its own (combine compatible schemas to keep one table)",
            display(&path)
        ));
        for (name, d) in &dir.children {
            let mut p = path.clone();
            p.push(name.clone());
            let mut sub = Vec::new();
            d.walk(0, &mut Vec::new(), &mut sub);
            let sub: Vec<_> = sub
                .into_iter()
                .filter(|(d, _, _)| *d == depth - 1)
                .collect();
            emit(p, sub, g);
        }
        return;
    }
    emit(path, members, g);
}

/// Rule 5: compares each first-level subfolder's column names with the largest one's.
fn dissimilar(files: &[GroupFile], members: &[(usize, Vec<String>, usize)]) -> bool {
    let mut by_child: BTreeMap<&str, (usize, BTreeSet<&str>)> = BTreeMap::new();
    for (_, p, f) in members {
        let e = by_child.entry(p[0].as_str()).or_default();
        e.0 += 1;
        if let Some(cols) = &files[*f].columns {
            e.1.extend(cols.iter().map(String::as_str));
        }
    }
    if by_child.len() < 2 {
        return false;
    }
    let reference = &by_child
        .values()
        .max_by_key(|(n, c)| (*n, c.len()))
        .unwrap()
        .1;
    by_child.values().any(|(_, cols)| {
        let small = cols.len().min(reference.len());
        small > 0 && (cols.intersection(reference).count() as f64) < 0.7 * small as f64
    })
}

fn emit(path: Vec<String>, members: Vec<(usize, Vec<String>, usize)>, g: &mut Grouping) {
    if members.is_empty() {
        return;
    }
    let depth = members[0].0;
    let mut partitions: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for (_, p, f) in members {
        partitions.entry(p).or_default().push(f);
    }
    g.tables.push(TableGroup {
        path,
        depth,
        partitions,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rel: &str, key: &str, cols: &[&str]) -> GroupFile {
        GroupFile {
            rel: rel.into(),
            key: key.into(),
            columns: Some(
                cols.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .into(),
            ),
        }
    }

    fn tables(g: &Grouping) -> Vec<(String, usize, usize)> {
        g.tables
            .iter()
            .map(|t| (t.path.join("/"), t.depth, t.partitions.len()))
            .collect()
    }

    #[test]
    fn folders_under_the_include_path_are_tables_unless_they_look_like_partitions() {
        let files = vec![
            f("sales/year=2024/a.parquet", "p", &["a"]),
            f("sales/year=2025/b.parquet", "p", &["a"]),
            f("users/u.csv", "c", &["id"]),
            f("readme.txt", "c", &["x"]),
        ];
        let g = group(&files, &GroupOptions::default());
        assert_eq!(tables(&g), [("sales".into(), 1, 2), ("users".into(), 0, 1)]);
        assert_eq!(g.skipped.len(), 1);
        let files = vec![
            f("2024-01-01/a.json", "j", &["a"]),
            f("2024-01-02/b.json", "j", &["a"]),
        ];
        let g = group(&files, &GroupOptions::default());
        assert_eq!(tables(&g), [("".into(), 1, 2)]);
    }

    #[test]
    fn a_stray_file_does_not_split_a_table() {
        let files = vec![
            f("t/dt=1/a.parquet", "p", &["a"]),
            f("t/dt=2/a.parquet", "p", &["a"]),
            f("t/dt=3/a.parquet", "p", &["a"]),
            f("t/notes.parquet", "p", &["z"]),
        ];
        let g = group(&files, &GroupOptions::default());
        assert_eq!(tables(&g), [("t".into(), 1, 3)]);
        assert_eq!(g.skipped.len(), 1);
        assert!(g.skipped[0].1.contains("stray"));
    }

    #[test]
    fn formats_and_dissimilar_schemas_split_unless_combined() {
        let files = vec![f("t/a/1.parquet", "p", &["a"]), f("t/b/1.csv", "c", &["a"])];
        let g = group(&files, &GroupOptions::default());
        assert_eq!(tables(&g), [("t/a".into(), 0, 1), ("t/b".into(), 0, 1)]);
        let files = vec![
            f("t/year=2017/1.parquet", "p", &["a", "b"]),
            f("t/year=2018/1.parquet", "p", &["c", "d"]),
        ];
        let g = group(&files, &GroupOptions::default());
        assert_eq!(
            tables(&g),
            [("t/year=2017".into(), 0, 1), ("t/year=2018".into(), 0, 1)]
        );
        let g = group(
            &files,
            &GroupOptions {
                combine_compatible_schemas: true,
                ..Default::default()
            },
        );
        assert_eq!(tables(&g), [("t".into(), 1, 2)]);
        // A schema that only grew stays one table.
        let files = vec![
            f("t/m=1/1.parquet", "p", &["a", "b"]),
            f("t/m=2/1.parquet", "p", &["a", "b", "c", "d", "e"]),
        ];
        assert_eq!(
            tables(&group(&files, &GroupOptions::default())),
            [("t".into(), 1, 2)]
        );
    }

    #[test]
    fn table_level_fixes_the_table_folder() {
        let files = vec![
            f("a/x/1.parquet", "p", &["a"]),
            f("a/y/1.parquet", "p", &["a"]),
            f("b/x/1.parquet", "p", &["a"]),
            f("top.parquet", "p", &["a"]),
        ];
        let g = group(
            &files,
            &GroupOptions {
                table_depth: Some(1),
                ..Default::default()
            },
        );
        assert_eq!(tables(&g), [("a".into(), 1, 2), ("b".into(), 1, 1)]);
        assert_eq!(g.skipped.len(), 1);
    }

    #[test]
    fn partition_like_names() {
        for n in [
            "dt=2024-01-01",
            "2024",
            "2024-01",
            "2024-01-31",
            "20240131",
            "7",
        ] {
            assert!(partition_like(n), "{n}");
        }
        for n in ["sales", "v2", "2024-x", "=x"] {
            assert!(!partition_like(n), "{n}");
        }
    }
}
