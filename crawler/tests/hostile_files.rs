//! Files whose column names the catalog cannot hold are skipped with their
//! reason, and their table is still registered from the other files (issue 16,
//! defect 5: one bad name used to fail the whole table).

use lakecat_crawler::{crawl, CrawlOptions};

#[test]
fn bad_column_names_skip_their_file_not_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |rel: &str, body: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    write(
        "events/dt=2024-01-01/good.json",
        "{\"id\": 1, \"name\": \"a\"}\n",
    );
    write(
        "events/dt=2024-01-02/good.json",
        "{\"id\": 2, \"name\": \"b\"}\n",
    );
    let long = "x".repeat(300);
    let bad = [
        ("empty.json", "{\"\": 1, \"id\": 3}\n".to_string()),
        ("newline.json", "{\"a\\nb\": 1, \"id\": 3}\n".to_string()),
        ("nul.json", "{\"a\\u0000b\": 1, \"id\": 3}\n".to_string()),
        ("long.json", format!("{{\"{long}\": 1, \"id\": 3}}\n")),
    ];
    for (name, body) in &bad {
        write(&format!("events/dt=2024-01-03/{name}"), body);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt
        .block_on(crawl(
            &[root.to_string_lossy().into_owned()],
            &CrawlOptions::default(),
            &|_| {},
        ))
        .unwrap();
    assert_eq!(out.tables.len(), 1, "{:?}", out.tables);
    let t = &out.tables[0];
    let cols: Vec<&str> = t
        .table
        .storage_descriptor
        .as_ref()
        .unwrap()
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(cols, ["id", "name"]);
    for (name, _) in &bad {
        let s = out
            .skipped
            .iter()
            .find(|s| s.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not reported: {:?}", out.skipped));
        assert!(
            s.reason.contains("cannot be catalogued"),
            "{name}: {}",
            s.reason
        );
    }
}

/// Formats lakecat cannot read yet are reported by name instead of being read as
/// delimited text (an XML document used to become a one-column CSV table).
#[test]
fn xml_and_binary_ion_are_reported_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(
        root.join("docs/a.xml"),
        "\u{feff}\n<?xml version=\"1.0\"?>\n<rows><row id=\"1\"><name>a</name></row></rows>\n",
    )
    .unwrap();
    std::fs::write(root.join("docs/b.ion"), b"\xe0\x01\x00\xea\x0b\x81\x83").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt
        .block_on(crawl(
            &[root.to_string_lossy().into_owned()],
            &CrawlOptions::default(),
            &|_| {},
        ))
        .unwrap();
    assert!(out.tables.is_empty(), "{:?}", out.tables);
    let mut reasons: Vec<&str> = out.skipped.iter().map(|s| s.reason.as_str()).collect();
    reasons.sort();
    assert!(
        reasons[0].starts_with("Amazon Ion (binary) is not supported"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("XML is read only through an XML classifier"),
        "{reasons:?}"
    );
}
