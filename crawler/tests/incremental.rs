//! Incremental crawls: a run given the previous run's inventory reads only what
//! changed; new-folders-only and event-mode runs read less still; a stop ends the run.

use lakecat_crawler::{crawl, CrawlOptions, CrawlOutput};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn write(root: &Path, rel: &str, body: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn lake(root: &Path) {
    for day in 1..=3 {
        for part in 0..2 {
            write(
                root,
                &format!("events/dt=2024-01-0{day}/part-{part}.json"),
                "{\"id\": 1, \"name\": \"a\"}\n{\"id\": 2, \"name\": \"b\"}\n",
            );
        }
    }
}

fn run(root: &Path, opts: &CrawlOptions) -> CrawlOutput {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(crawl(&[root.to_string_lossy().into_owned()], opts, &|_| {}))
        .unwrap()
}

fn keep() -> CrawlOptions {
    CrawlOptions {
        keep_inventory: true,
        ..Default::default()
    }
}

fn partitions(out: &CrawlOutput) -> Vec<Vec<String>> {
    let mut p: Vec<Vec<String>> = out.tables[0]
        .partitions
        .iter()
        .map(|p| p.values.clone())
        .collect();
    p.sort();
    p
}

#[test]
fn an_unchanged_lake_is_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    lake(dir.path());
    let first = run(dir.path(), &keep());
    assert_eq!(first.stats.files_read, 6);
    assert_eq!(first.inventory.files.len(), 6);
    assert_eq!(
        first.inventory.schemas.len(),
        1,
        "one schema shared by all files"
    );
    // The inventory survives a round trip through JSON (it is stored between runs).
    let inv: lakecat_crawler::inventory::Inventory =
        serde_json::from_str(&serde_json::to_string(&first.inventory).unwrap()).unwrap();
    assert_eq!(inv, first.inventory);

    let opts = CrawlOptions {
        previous: Some(Arc::new(inv)),
        ..keep()
    };
    let again = run(dir.path(), &opts);
    assert_eq!(again.stats.files_read, 0);
    assert_eq!(again.stats.files_reused, 6);
    assert_eq!(again.tables.len(), 1);
    assert_eq!(
        again.tables[0].table.storage_descriptor,
        first.tables[0].table.storage_descriptor
    );
    assert_eq!(partitions(&again), partitions(&first));
    assert_eq!(again.inventory, first.inventory);

    // One changed file (new size) is read; the others are not.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(
        dir.path(),
        "events/dt=2024-01-02/part-0.json",
        "{\"id\": 1, \"name\": \"a\", \"extra\": true}\n",
    );
    let changed = run(dir.path(), &opts);
    assert_eq!(changed.stats.files_read, 1);
    assert_eq!(changed.stats.files_reused, 5);
    let cols: Vec<String> = changed.tables[0]
        .table
        .storage_descriptor
        .as_ref()
        .unwrap()
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert!(cols.contains(&"extra".to_string()), "{cols:?}");
}

#[test]
fn new_folders_only_reads_only_new_folders() {
    let dir = tempfile::tempdir().unwrap();
    lake(dir.path());
    let first = run(dir.path(), &keep());
    // A new partition, and a new file in a folder seen before.
    write(
        dir.path(),
        "events/dt=2024-01-04/part-0.json",
        "{\"id\": 3, \"name\": \"c\"}\n",
    );
    write(
        dir.path(),
        "events/dt=2024-01-01/part-9.json",
        "{\"id\": 4, \"name\": \"d\", \"z\": 1}\n",
    );
    let opts = CrawlOptions {
        previous: Some(Arc::new(first.inventory.clone())),
        new_folders_only: true,
        ..keep()
    };
    let out = run(dir.path(), &opts);
    assert_eq!(out.stats.files_read, 1, "only the new folder's file");
    assert_eq!(out.stats.files_reused, 7);
    assert_eq!(partitions(&out).len(), 4);
    let cols = &out.tables[0]
        .table
        .storage_descriptor
        .as_ref()
        .unwrap()
        .columns;
    assert!(
        cols.iter().all(|c| c.name != "z"),
        "the known folder's new file was not read"
    );
}

#[test]
fn event_mode_lists_only_the_named_folders() {
    let dir = tempfile::tempdir().unwrap();
    lake(dir.path());
    let first = run(dir.path(), &keep());
    let root = first.roots[0].clone();
    write(
        dir.path(),
        "events/dt=2024-01-05/part-0.json",
        "{\"id\": 5, \"name\": \"e\"}\n",
    );
    // Removed since the first run, but no event names its folder: still known.
    std::fs::remove_file(dir.path().join("events/dt=2024-01-03/part-1.json")).unwrap();
    let opts = CrawlOptions {
        previous: Some(Arc::new(first.inventory.clone())),
        list_only: Some(vec![format!("{root}events/dt=2024-01-05/")]),
        ..keep()
    };
    let out = run(dir.path(), &opts);
    assert_eq!(out.stats.objects_listed, 1);
    assert_eq!(out.stats.files_read, 1);
    assert_eq!(partitions(&out).len(), 4);
    assert_eq!(out.inventory.files.len(), 7);
    // The folder an event names is listed afresh: its removed file goes.
    let opts = CrawlOptions {
        previous: Some(Arc::new(out.inventory.clone())),
        list_only: Some(vec![format!("{root}events/dt=2024-01-03/")]),
        ..keep()
    };
    let out = run(dir.path(), &opts);
    assert_eq!(out.stats.files_read, 0);
    assert_eq!(out.inventory.files.len(), 6);
}

#[test]
fn a_stopped_crawl_ends_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    lake(dir.path());
    let opts = CrawlOptions {
        cancel: Some(Arc::new(AtomicBool::new(true))),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(crawl(
        &[dir.path().to_string_lossy().into_owned()],
        &opts,
        &|_| {},
    ));
    assert!(
        matches!(r, Err(lakecat_crawler::CrawlError::Cancelled)),
        "{r:?}"
    );
}

/// A Delta table found by a full run stays one Delta table in event mode, even
/// when the event names only one of its data folders: the log is known from the
/// inventory, and the new data file is not crawled as a Parquet table of its own.
#[test]
fn event_mode_keeps_open_format_tables_whole() {
    let dir = tempfile::tempdir().unwrap();
    let schema = r#"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"dt\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}"#;
    write(
        dir.path(),
        "sales/_delta_log/00000000000000000000.json",
        &format!(
            "{{\"protocol\":{{\"minReaderVersion\":1,\"minWriterVersion\":2}}}}\n\
             {{\"metaData\":{{\"id\":\"x\",\"format\":{{\"provider\":\"parquet\",\"options\":{{}}}},\
             \"schemaString\":\"{schema}\",\"partitionColumns\":[\"dt\"],\"configuration\":{{}}}}}}\n"
        ),
    );
    write(dir.path(), "sales/dt=1/part-0.json", "{\"id\": 1}\n");
    let first = run(dir.path(), &keep());
    assert_eq!(first.tables.len(), 1);
    assert_eq!(first.tables[0].classification.as_str(), "delta");
    assert_eq!(first.stats.files_read, 0, "no data file is read");
    let root = first.roots[0].clone();
    write(dir.path(), "sales/dt=2/part-0.json", "{\"id\": 2}\n");
    let opts = CrawlOptions {
        previous: Some(Arc::new(first.inventory.clone())),
        list_only: Some(vec![format!("{root}sales/dt=2/")]),
        ..keep()
    };
    let out = run(dir.path(), &opts);
    assert_eq!(out.tables.len(), 1, "{:?}", out.tables);
    assert_eq!(out.tables[0].classification.as_str(), "delta");
    assert_eq!(out.stats.files_read, 0);
}
