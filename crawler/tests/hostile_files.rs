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

/// Crawls the Delta table at `lake`, whose first commit is `log`, as a managed
/// crawler's Delta target that writes symlink manifests.
fn write_manifests_of(lake: &std::path::Path, log: &str) -> lakecat_crawler::CrawlOutput {
    use lakecat_crawler::open_formats::{delta::DeltaMode, TableFormat};
    std::fs::write(lake.join("_delta_log/00000000000000000000.json"), log).unwrap();
    let opts = CrawlOptions {
        only_format: Some(TableFormat::Delta),
        max_root_depth: Some(0),
        delta_mode: DeltaMode::Symlink { write: true },
        ..CrawlOptions::default()
    };
    let url = lake.to_string_lossy().into_owned();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(crawl(&[url], &opts, &|_| {}))
        .unwrap()
}

/// A Delta table's manifest folders that are links out of the table: writing
/// manifests neither writes nor deletes anything through them, and the table is
/// reported, not registered. The service checks the table's own folder against
/// `--allowed-locations`; a link deeper in it is the crawler's to refuse.
#[test]
fn manifest_writes_do_not_follow_links_out_of_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let (lake, outside) = (dir.path().join("t"), dir.path().join("outside"));
    std::fs::create_dir_all(lake.join("_delta_log")).unwrap();
    std::fs::create_dir_all(lake.join("_symlink_format_manifest")).unwrap();
    std::fs::create_dir_all(outside.join("k=a")).unwrap();
    // A stale manifest that is really a file outside the table.
    std::fs::write(outside.join("k=a/manifest"), "keep me\n").unwrap();
    std::os::unix::fs::symlink(&outside, lake.join("_symlink_format_manifest/k=a")).unwrap();
    // The partition the log has, whose folder is a link out as well.
    std::os::unix::fs::symlink(&outside, lake.join("_symlink_format_manifest/k=b")).unwrap();
    let schema = r#"{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},{"name":"k","type":"string","nullable":true,"metadata":{}}]}"#;
    let log = [
        serde_json::json!({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}),
        serde_json::json!({"metaData": {"id": "x", "format": {"provider": "parquet", "options": {}},
            "schemaString": schema, "partitionColumns": ["k"], "configuration": {}}}),
        serde_json::json!({"add": {"path": "k=b/part-0.parquet", "partitionValues": {"k": "b"},
            "size": 1, "modificationTime": 0, "dataChange": true}}),
    ]
    .map(|a| a.to_string())
    .join("\n");
    let out = write_manifests_of(&lake, &log);
    assert!(out.tables.is_empty(), "{:?}", out.tables);
    assert_eq!(out.skipped.len(), 1, "{:?}", out.skipped);
    assert!(
        out.skipped[0].reason.contains("outside the table's folder")
            || out.skipped[0].reason.contains("symbolic link"),
        "{:?}",
        out.skipped
    );
    let mut left: Vec<_> = std::fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["k=a"], "nothing was written outside");
    assert_eq!(
        std::fs::read_to_string(outside.join("k=a/manifest")).unwrap(),
        "keep me\n"
    );
}

/// Tables a manifest reader would read wrongly are refused, as Delta's own
/// manifest generation refuses them: column mapping (physical names in the data
/// files) and deletion vectors (rows deleted in place). Nothing is written.
#[test]
fn manifest_tables_refuse_column_mapping_and_deletion_vectors() {
    let schema =
        r#"{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}"#;
    let dv = serde_json::json!({"storageType": "u", "pathOrInlineDv": "x", "offset": 1,
        "sizeInBytes": 36, "cardinality": 2});
    for (config, deletion_vector, why) in [
        (
            serde_json::json!({"delta.columnMapping.mode": "name"}),
            serde_json::Value::Null,
            "column mapping is on",
        ),
        (serde_json::json!({}), dv, "has a deletion vector"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("t");
        std::fs::create_dir_all(lake.join("_delta_log")).unwrap();
        let log = [
            serde_json::json!({"protocol": {"minReaderVersion": 3, "minWriterVersion": 7}}),
            serde_json::json!({"metaData": {"id": "x", "format": {"provider": "parquet", "options": {}},
                "schemaString": schema, "partitionColumns": [], "configuration": config}}),
            serde_json::json!({"add": {"path": "part-0.parquet", "partitionValues": {}, "size": 1,
                "modificationTime": 0, "dataChange": true, "deletionVector": deletion_vector}}),
        ]
        .map(|a| a.to_string())
        .join("\n");
        let out = write_manifests_of(&lake, &log);
        assert!(out.tables.is_empty(), "{why}: {:?}", out.tables);
        assert!(
            out.skipped.len() == 1 && out.skipped[0].reason.contains(why),
            "{why}: {:?}",
            out.skipped
        );
        assert!(!lake.join("_symlink_format_manifest").exists(), "{why}");
    }
}
