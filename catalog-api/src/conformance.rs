//! The behaviour every [`CatalogStore`] must have, as one suite that each backend's
//! tests run (`conformance::run_all(&|cap| Box::new(MyStore::new(cap)))`).
//! It panics with a description of the first difference.

use crate::error::ErrorKind;
use crate::filter::FilterExpr;
use crate::model::*;
use crate::names::{DatabaseName, TableIdent, TableName};
use crate::store::*;

/// Makes an empty store that keeps at most `max_versions` archived versions per table.
pub type Factory<'a> = &'a dyn Fn(usize) -> Box<dyn CatalogStore>;

pub fn run_all(make: Factory) {
    databases(&*make(10));
    tables(&*make(10));
    versions(&*make(3));
    partitions(&*make(10));
    partition_round_trips(&*make(10));
    table_renames(&*make(10));
    filters_and_paging(&*make(10));
    cascade(&*make(10));
    table_writes(&*make(2));
    multi_table_writes(&*make(3));
    version_deletes(&*make(10));
    functions(&*make(10));
    partition_indexes(&*make(10));
    column_statistics(&*make(10));
    records(&*make(10));
    images(&*make(10), &*make(10));
    replacements(&*make(10));
    change_log(&*make(10));
    concurrent_log(&*make(10));
}

/// `replace_partitions` is all or nothing and keeps values and creation times.
pub fn replacements(s: &dyn CatalogStore) {
    let id = setup(s, "rp", "t");
    assert!(s
        .create_partitions(&id, vec![part("a", 1), part("a", 2)], false)
        .unwrap()
        .is_empty());
    let before = all_partitions(s, &id).unwrap();
    let changed = |p: Partition| {
        let mut p = p;
        p.parameters.insert("k".into(), "v".into());
        p.create_time = 1;
        p
    };
    // One missing partition: nothing is written.
    let e = s
        .replace_partitions(&id, vec![changed(part("a", 1)), changed(part("b", 9))])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    assert_eq!(all_partitions(s, &id).unwrap(), before);
    // One invalid partition: nothing is written.
    let bad = Partition::new(vec!["a".into()]);
    assert_eq!(
        kind(s.replace_partitions(&id, vec![changed(part("a", 1)), bad])),
        ErrorKind::InvalidInput
    );
    assert_eq!(all_partitions(s, &id).unwrap(), before);
    s.replace_partitions(&id, vec![changed(part("a", 1)), changed(part("a", 2))])
        .unwrap();
    for (old, new) in before.iter().zip(all_partitions(s, &id).unwrap()) {
        assert_eq!(new.parameters.get("k").map(String::as_str), Some("v"));
        assert_eq!(new.create_time, old.create_time, "creation time kept");
        assert_eq!(new.values, old.values);
    }
    assert_eq!(
        kind(s.replace_partitions(&tid("rp", "none"), vec![])),
        ErrorKind::NotFound
    );
}

/// What one store exports, another imports unchanged: timestamps, versions,
/// indexes (which keep serving filters), statistics, partitions, functions,
/// records' spaces. Nothing already there is overwritten.
pub fn images(a: &dyn CatalogStore, b: &dyn CatalogStore) {
    let id = setup(a, "img", "t");
    for _ in 0..2 {
        let mut t = a.get_table(&id).unwrap();
        t.description = Some(format!("v{}", t.version_id.unwrap()));
        a.update_table(&id, t, UpdateTableOptions::default())
            .unwrap();
    }
    let parts: Vec<Partition> = (0..30)
        .map(|h| part(&format!("2024-01-0{}", h % 3 + 1), h))
        .collect();
    assert!(a.create_partitions(&id, parts, false).unwrap().is_empty());
    a.create_partition_index(&id, index("by_hour", &["hour"]))
        .unwrap();
    a.update_column_statistics(&id, None, vec![long_stats("id", 1, 9)])
        .unwrap();
    let p0 = vec!["2024-01-01".to_string(), "0".to_string()];
    a.update_column_statistics(&id, Some(&p0), vec![long_stats("id", 2, 3)])
        .unwrap();
    let f = Function {
        function_name: "f1".into(),
        database_name: None,
        class_name: "com.example.F1".into(),
        owner_name: Some("ann".into()),
        owner_type: Some("USER".into()),
        create_time: 0,
        resource_uris: Vec::new(),
    };
    a.create_function(&db("img"), f).unwrap();
    a.write_records(vec![
        RecordWrite::put("crawl", "r1", b"x".to_vec()),
        RecordWrite::put("crawler", "c1", b"y".to_vec()),
    ])
    .unwrap();

    let d = a.get_database(&db("img")).unwrap();
    b.import_database(d.clone()).unwrap();
    assert_eq!(kind(b.import_database(d.clone())), ErrorKind::AlreadyExists);
    let image = a.export_table(&id).unwrap();
    assert_eq!(image.versions.len(), 2);
    assert_eq!(image.indexes.len(), 1);
    assert_eq!(image.statistics.len(), 2, "{:?}", image.statistics);
    b.import_table(&db("img"), image.clone()).unwrap();
    assert_eq!(
        kind(b.import_table(&db("img"), image.clone())),
        ErrorKind::AlreadyExists
    );
    let all = all_partitions(a, &id).unwrap();
    b.import_partitions(&id, all[..10].to_vec()).unwrap();
    b.import_partitions(&id, all[10..].to_vec()).unwrap();
    for f in all_functions(a, &db("img")).unwrap() {
        b.import_function(&db("img"), f).unwrap();
    }
    assert_eq!(b.get_database(&db("img")).unwrap(), d);
    assert_eq!(b.export_table(&id).unwrap(), image);
    assert_eq!(all_partitions(b, &id).unwrap(), all);
    assert_eq!(
        all_functions(b, &db("img")).unwrap(),
        all_functions(a, &db("img")).unwrap()
    );
    assert_eq!(b.stats().unwrap().partitions, 30);
    assert_eq!(
        b.get_table_version(&id, 2).unwrap(),
        a.get_table_version(&id, 2).unwrap()
    );
    // The imported index serves filters as the original does.
    assert_eq!(
        select(b, &id, "hour = 7", 1000),
        select(a, &id, "hour = 7", 1000)
    );
    assert_eq!(a.record_spaces().unwrap(), ["crawl", "crawler"]);
    assert!(b.record_spaces().unwrap().is_empty());
}

/// Service records: expectations make groups of writes all-or-nothing.
pub fn records(s: &dyn CatalogStore) {
    let put = |k: &str, v: &str| RecordWrite::put("crawler", k, v.as_bytes().to_vec());
    s.write_records(vec![put("a", "1"), put("b", "2"), put("b/1", "x")])
        .unwrap();
    s.write_records(vec![RecordWrite::put("other", "a", b"o".to_vec())])
        .unwrap();
    assert_eq!(s.get_record("crawler", "a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(s.get_record("crawler", "z").unwrap(), None);
    // A failed expectation writes nothing, not even the writes before it.
    let e = s
        .write_records(vec![
            put("c", "3"),
            put("a", "9").expecting(Expect::Equals(b"0".to_vec())),
        ])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert!(e.message.contains("crawler/a"), "{e}");
    assert_eq!(s.get_record("crawler", "c").unwrap(), None);
    s.write_records(vec![
        put("a", "9").expecting(Expect::Equals(b"1".to_vec())),
        RecordWrite::delete("crawler", "b").expecting(Expect::Present),
    ])
    .unwrap();
    assert_eq!(s.get_record("crawler", "a").unwrap(), Some(b"9".to_vec()));
    assert_eq!(
        kind(s.write_records(vec![put("a", "x").expecting(Expect::Absent)])),
        ErrorKind::Conflict
    );
    assert_eq!(
        kind(s.write_records(vec![
            RecordWrite::delete("crawler", "b").expecting(Expect::Present)
        ])),
        ErrorKind::Conflict
    );
    for i in 0..5 {
        s.write_records(vec![put(&format!("run/{i}"), "r")])
            .unwrap();
    }
    let mut keys = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let p = s.list_records("crawler", "run/", &page).unwrap();
        keys.extend(p.items.into_iter().map(|(k, _)| k));
        match p.next_token {
            Some(t) => page.token = Some(t),
            None => break,
        }
    }
    assert_eq!(keys, ["run/0", "run/1", "run/2", "run/3", "run/4"]);
    let all: Vec<String> = s
        .list_records("crawler", "", &PageRequest::first(100))
        .unwrap()
        .items
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        all,
        ["a", "b/1", "run/0", "run/1", "run/2", "run/3", "run/4"]
    );
}

fn values_of(page: Page<Partition>) -> Vec<Vec<String>> {
    page.items.into_iter().map(|p| p.values).collect()
}

/// Every partition a filter selects, following page tokens; with how many stored
/// keys the store examined to answer.
fn select(
    s: &dyn CatalogStore,
    id: &TableIdent,
    expr: &str,
    limit: usize,
) -> (Vec<Vec<String>>, u64) {
    let f = FilterExpr::parse(expr).unwrap();
    let before = s.partitions_examined();
    let mut out = Vec::new();
    let mut page = PageRequest::first(limit);
    loop {
        let p = s.list_partitions(id, f.as_ref(), &page).unwrap();
        assert!(p.items.len() <= limit);
        let next = p.next_token.clone();
        out.extend(values_of(p));
        match next {
            Some(t) => page.token = Some(t),
            None => break,
        }
    }
    out.sort();
    (out, s.partitions_examined() - before)
}

fn index(name: &str, keys: &[&str]) -> crate::stats::PartitionIndex {
    crate::stats::PartitionIndex {
        index_name: name.into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
        slot: 0,
    }
}

/// Partition indexes answer exactly what a full scan answers, examine only their
/// range, and follow every kind of partition write.
pub fn partition_indexes(s: &dyn CatalogStore) {
    let id = setup(s, "ix", "t");
    let mut batch = Vec::new();
    for day in 1..=5 {
        for hour in 0..24 {
            batch.push(part(&format!("2024-01-0{day}"), hour));
        }
    }
    // The same int value written differently: an index on `hour` orders by value.
    batch.push(Partition::new(vec!["2024-01-06".into(), "07".into()]));
    assert!(s.create_partitions(&id, batch, false).unwrap().is_empty());
    let filters = [
        "hour = 7",
        "hour IN (7)",
        "hour > 20",
        "hour BETWEEN 3 AND 5",
        "hour >= 22 AND dt = '2024-01-02'",
        "hour < 2 OR dt = '2024-01-03'",
        "hour = 7 AND dt > '2024-01-03'",
    ];
    let full: Vec<_> = filters.iter().map(|f| select(s, &id, f, 1000)).collect();
    for (f, (_, examined)) in filters.iter().zip(&full) {
        if !f.contains("dt") {
            assert_eq!(
                *examined, 121,
                "{f}: without an index every partition is read"
            );
        }
    }
    assert_eq!(full[0].0.len(), 6);

    s.create_partition_index(&id, index("by_hour", &["HOUR"]))
        .unwrap();
    assert_eq!(
        kind(s.create_partition_index(&id, index("by_hour", &["dt"]))),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(s.create_partition_index(&id, index("x", &["nope"]))),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(s.create_partition_index(&tid("ix", "missing"), index("x", &["dt"]))),
        ErrorKind::NotFound
    );
    for (i, f) in filters.iter().enumerate() {
        assert_eq!(select(s, &id, f, 3).0, full[i].0, "{f}: paged");
        let (got, examined) = select(s, &id, f, 1000);
        assert_eq!(got, full[i].0, "{f}: the index changes no answer");
        if *f == "hour = 7" || *f == "hour IN (7)" || *f == "hour = 7 AND dt > '2024-01-03'" {
            assert_eq!(examined, 6, "{f}: only the index range is read");
        }
    }
    assert_eq!(select(s, &id, "hour > 20", 1000).1, 15);
    assert_eq!(select(s, &id, "hour BETWEEN 3 AND 5", 1000).1, 15);
    // Equality on a leading string key is the partitions' own order: no index.
    assert_eq!(
        select(s, &id, "hour >= 22 AND dt = '2024-01-02'", 1000).1,
        24
    );

    // A page token of an index listing belongs to that listing only.
    let f = FilterExpr::parse("hour > 20").unwrap();
    let p = s
        .list_partitions(&id, f.as_ref(), &PageRequest::first(2))
        .unwrap();
    let stray = PageRequest {
        token: p.next_token,
        limit: 2,
    };
    assert_eq!(
        kind(s.list_partitions(&id, None, &stray)),
        ErrorKind::InvalidInput
    );

    // Every partition write keeps the index in step.
    let hour7 = |s: &dyn CatalogStore| select(s, &id, "hour = 7", 1000).0.len();
    s.create_partitions(&id, vec![part("2024-01-07", 7)], false)
        .unwrap();
    assert_eq!(hour7(s), 7);
    s.update_partition(
        &id,
        &["2024-01-07".into(), "7".into()],
        part("2024-01-07", 8),
    )
    .unwrap();
    assert_eq!(hour7(s), 6);
    assert_eq!(select(s, &id, "hour = 8", 1000).0.len(), 6);
    s.delete_partitions(&id, &[vec!["2024-01-06".into(), "07".into()]])
        .unwrap();
    assert_eq!(hour7(s), 5);
    let mut t = s.get_table(&id).unwrap();
    let v = t.version_id;
    t.version_id = None;
    s.write_table(
        &id.database,
        TableWrite {
            table: t,
            expected_version: v,
            put_partitions: vec![part("2024-01-08", 7), part("2024-01-08", 9)],
            delete_partitions: vec![vec!["2024-01-01".into(), "7".into()]],
        },
    )
    .unwrap();
    assert_eq!(
        select(s, &id, "hour = 7", 1000),
        (
            vec![
                vec!["2024-01-02".to_string(), "7".to_string()],
                vec!["2024-01-03".into(), "7".into()],
                vec!["2024-01-04".into(), "7".into()],
                vec!["2024-01-05".into(), "7".into()],
                vec!["2024-01-08".into(), "7".into()],
            ],
            5
        )
    );

    // At most three, listed in creation order; a second index is chosen when it
    // fixes more keys.
    s.create_partition_index(&id, index("by_dt", &["dt"]))
        .unwrap();
    s.create_partition_index(&id, index("by_hour_dt", &["hour", "dt"]))
        .unwrap();
    assert_eq!(
        kind(s.create_partition_index(&id, index("fourth", &["dt"]))),
        ErrorKind::LimitExceeded
    );
    let names: Vec<String> = s
        .list_partition_indexes(&id)
        .unwrap()
        .into_iter()
        .map(|i| i.index_name)
        .collect();
    assert_eq!(names, ["by_hour", "by_dt", "by_hour_dt"]);
    assert_eq!(
        select(s, &id, "hour = 7 AND dt >= '2024-01-04'", 1000),
        (
            vec![
                vec!["2024-01-04".to_string(), "7".to_string()],
                vec!["2024-01-05".into(), "7".into()],
                vec!["2024-01-08".into(), "7".into()],
            ],
            3
        )
    );

    // Indexed keys cannot change under the index; without it they can.
    let mut t = s.get_table(&id).unwrap();
    t.partition_keys[1].type_ = "bigint".into();
    assert_eq!(
        kind(s.update_table(&id, t.clone(), UpdateTableOptions::default())),
        ErrorKind::InvalidInput
    );
    for n in ["by_hour", "by_hour_dt"] {
        s.delete_partition_index(&id, n).unwrap();
    }
    assert_eq!(
        kind(s.delete_partition_index(&id, "by_hour")),
        ErrorKind::NotFound
    );
    t.version_id = None;
    s.update_table(&id, t, UpdateTableOptions::default())
        .unwrap();
    assert_eq!(hour7(s), 5);
    assert_eq!(select(s, &id, "hour = 7", 1000).1, 122);
    // A new index reuses a freed slot and sees the current partitions only.
    s.create_partition_index(&id, index("again", &["hour"]))
        .unwrap();
    assert_eq!(select(s, &id, "hour = 7", 1000).1, 5);

    s.delete_table(&id).unwrap();
    let id = setup(s, "ix", "t");
    assert!(s.list_partition_indexes(&id).unwrap().is_empty());
}

fn long_stats(column: &str, min: i64, max: i64) -> crate::stats::ColumnStatistics {
    use crate::stats::*;
    ColumnStatistics {
        column_name: column.into(),
        column_type: "bigint".into(),
        analyzed_time: 1_700_000_000,
        statistics_data: StatisticsData {
            type_: StatisticsType::Long,
            boolean_column_statistics_data: None,
            date_column_statistics_data: None,
            decimal_column_statistics_data: None,
            double_column_statistics_data: None,
            long_column_statistics_data: Some(LongStatistics {
                minimum_value: Some(min),
                maximum_value: Some(max),
                number_of_nulls: 0,
                number_of_distinct_values: 10,
            }),
            string_column_statistics_data: None,
            binary_column_statistics_data: None,
        },
    }
}

fn string_stats(column: &str, column_type: &str) -> crate::stats::ColumnStatistics {
    use crate::stats::*;
    let mut st = long_stats(column, 0, 0);
    st.column_type = column_type.into();
    st.statistics_data.type_ = StatisticsType::String;
    st.statistics_data.long_column_statistics_data = None;
    st.statistics_data.string_column_statistics_data = Some(StringStatistics {
        maximum_length: 9,
        average_length: 4.5,
        number_of_nulls: 1,
        number_of_distinct_values: 3,
    });
    st
}

/// Column statistics of tables and partitions: per-item errors, lookups in the
/// order asked, staleness after a type change, and lifetimes tied to their owner.
pub fn column_statistics(s: &dyn CatalogStore) {
    let id = setup(s, "cs", "t");
    let mut t = s.get_table(&id).unwrap();
    t.storage_descriptor
        .as_mut()
        .unwrap()
        .columns
        .push(Column::new("name", "string"));
    t.version_id = None;
    s.update_table(&id, t, UpdateTableOptions::default())
        .unwrap();
    let names = |v: Vec<crate::stats::ColumnStatistics>| -> Vec<String> {
        v.into_iter().map(|s| s.column_name).collect()
    };
    let cols = |c: &[&str]| -> Vec<String> { c.iter().map(|c| c.to_string()).collect() };

    let mut wrong_type = string_stats("id", "bigint");
    wrong_type.column_type = "bigint".into();
    let errors = s
        .update_column_statistics(
            &id,
            None,
            vec![
                long_stats("ID", 1, 9),
                string_stats("name", "string"),
                long_stats("nosuch", 0, 1),
                wrong_type,
                long_stats("payload", 0, 1),
                long_stats("id", 5, 1),
            ],
        )
        .unwrap();
    let kinds: Vec<(String, ErrorKind)> = errors
        .iter()
        .map(|e| (e.statistics.column_name.clone(), e.error.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("nosuch".to_string(), ErrorKind::NotFound),
            ("id".into(), ErrorKind::InvalidInput),
            ("payload".into(), ErrorKind::InvalidInput),
            ("id".into(), ErrorKind::InvalidInput),
        ]
    );
    let got = s
        .get_column_statistics(&id, None, &cols(&["name", "NOSUCH", "id"]))
        .unwrap();
    assert_eq!(names(got.clone()), ["name", "id"]);
    assert_eq!(got[1], {
        let mut l = long_stats("id", 1, 9);
        l.column_name = "id".into();
        l
    });
    assert_eq!(
        kind(s.update_column_statistics(&id, None, vec![long_stats("id", 0, 1); 26])),
        ErrorKind::InvalidInput
    );

    // Partition statistics are the partition's own and go with it.
    let pv = vec!["2024-01-01".to_string(), "1".to_string()];
    assert_eq!(
        kind(s.update_column_statistics(&id, Some(&pv), vec![long_stats("id", 0, 1)])),
        ErrorKind::NotFound
    );
    s.create_partitions(&id, vec![part("2024-01-01", 1)], false)
        .unwrap();
    assert!(s
        .update_column_statistics(&id, Some(&pv), vec![long_stats("id", 100, 200)])
        .unwrap()
        .is_empty());
    let p_id = |s: &dyn CatalogStore, v: &[String]| {
        s.get_column_statistics(&id, Some(v), &cols(&["id"]))
            .unwrap()
            .into_iter()
            .map(|st| {
                st.statistics_data
                    .long_column_statistics_data
                    .unwrap()
                    .maximum_value
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(p_id(s, &pv), [Some(200)]);
    assert_eq!(
        s.get_column_statistics(&id, None, &cols(&["id"])).unwrap()[0]
            .statistics_data
            .long_column_statistics_data
            .as_ref()
            .unwrap()
            .maximum_value,
        Some(9)
    );
    // A rename takes them along; a delete drops them.
    let renamed = vec!["2024-01-01".to_string(), "2".to_string()];
    s.update_partition(&id, &pv, part("2024-01-01", 2)).unwrap();
    assert_eq!(p_id(s, &renamed), [Some(200)]);
    s.delete_partitions(&id, std::slice::from_ref(&renamed))
        .unwrap();
    s.create_partitions(&id, vec![part("2024-01-01", 2)], false)
        .unwrap();
    assert!(p_id(s, &renamed).is_empty());

    // A type change makes the column's statistics stale.
    let mut t = s.get_table(&id).unwrap();
    t.storage_descriptor.as_mut().unwrap().columns[2].type_ = "varchar(10)".into();
    t.version_id = None;
    s.update_table(&id, t, UpdateTableOptions::default())
        .unwrap();
    assert_eq!(
        names(
            s.get_column_statistics(&id, None, &cols(&["name", "id"]))
                .unwrap()
        ),
        ["id"]
    );
    assert_eq!(
        kind(s.delete_column_statistics(&id, None, "name")),
        ErrorKind::NotFound
    );
    s.delete_column_statistics(&id, None, "ID").unwrap();
    assert_eq!(
        kind(s.delete_column_statistics(&id, None, "id")),
        ErrorKind::NotFound
    );
    s.update_column_statistics(&id, None, vec![long_stats("id", 1, 2)])
        .unwrap();
    s.delete_table(&id).unwrap();
    let id = setup(s, "cs", "t");
    assert!(s
        .get_column_statistics(&id, None, &cols(&["id"]))
        .unwrap()
        .is_empty());
}

/// User-defined functions: created, listed, renamed, dropped with their database.
pub fn functions(s: &dyn CatalogStore) {
    s.create_database(Database::new(db("fdb"))).unwrap();
    let d = db("fdb");
    let f = |name: &str| Function {
        function_name: name.into(),
        database_name: None,
        class_name: "com.example.Upper".into(),
        owner_name: Some("ann".into()),
        owner_type: Some("USER".into()),
        create_time: 0,
        resource_uris: vec![ResourceUri {
            resource_type: "JAR".into(),
            uri: "s3://b/udf.jar".into(),
        }],
    };
    let made = s.create_function(&d, f("Upper")).unwrap();
    assert_eq!(made.function_name, "upper");
    assert!(made.create_time > 0);
    assert_eq!(
        s.create_function(&d, f("upper")).unwrap_err().kind,
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        s.create_function(&db("nodb"), f("x")).unwrap_err().kind,
        ErrorKind::NotFound
    );
    let mut bad = f("bad");
    bad.owner_type = Some("ROBOT".into());
    assert_eq!(
        s.create_function(&d, bad).unwrap_err().kind,
        ErrorKind::InvalidInput
    );
    for n in ["a1", "a2", "b1"] {
        s.create_function(&d, f(n)).unwrap();
    }
    let names = |p: Option<&regex::Regex>| -> Vec<String> {
        s.list_functions(&d, p, &PageRequest::first(100))
            .unwrap()
            .items
            .into_iter()
            .map(|f| f.function_name)
            .collect()
    };
    assert_eq!(names(None), ["a1", "a2", "b1", "upper"]);
    let re = regex::Regex::new("^(?:a.*)$").unwrap();
    assert_eq!(names(Some(&re)), ["a1", "a2"]);
    let p1 = s.list_functions(&d, None, &PageRequest::first(2)).unwrap();
    assert_eq!(p1.items.len(), 2);
    let mut next = PageRequest::first(2);
    next.token = p1.next_token;
    assert_eq!(
        s.list_functions(&d, None, &next).unwrap().items[0].function_name,
        "b1"
    );
    let renamed = s.update_function(&d, "UPPER", f("upper2")).unwrap();
    assert_eq!(renamed.create_time, made.create_time);
    assert_eq!(
        s.get_function(&d, "upper").unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        s.get_function(&d, "Upper2").unwrap().class_name,
        "com.example.Upper"
    );
    assert_eq!(
        s.update_function(&d, "a1", f("a2")).unwrap_err().kind,
        ErrorKind::AlreadyExists
    );
    s.delete_function(&d, "a1").unwrap();
    assert_eq!(
        s.delete_function(&d, "a1").unwrap_err().kind,
        ErrorKind::NotFound
    );
    // A database with functions is not empty.
    assert_eq!(
        s.delete_database(&d, false).unwrap_err().kind,
        ErrorKind::InvalidInput
    );
    s.delete_database(&d, true).unwrap();
    s.create_database(Database::new(db("fdb"))).unwrap();
    assert!(names(None).is_empty());
}

/// Archived versions can be deleted, the current one cannot.
pub fn version_deletes(s: &dyn CatalogStore) {
    let id = setup(s, "vd", "t");
    for d in ["a", "b", "c"] {
        let mut t = s.get_table(&id).unwrap();
        t.description = Some(d.into());
        s.update_table(&id, t, UpdateTableOptions::default())
            .unwrap();
    }
    let versions = |s: &dyn CatalogStore| -> Vec<u64> {
        s.list_table_versions(&id, &PageRequest::first(10))
            .unwrap()
            .items
            .iter()
            .map(|v| v.version_id)
            .collect()
    };
    assert_eq!(versions(s), [4, 3, 2, 1]);
    let errs = s.delete_table_versions(&id, &[2, 4, 9, 2]).unwrap();
    let kinds: Vec<(u64, ErrorKind)> = errs.iter().map(|(v, e)| (*v, e.kind)).collect();
    assert_eq!(
        kinds,
        [(4, ErrorKind::InvalidInput), (9, ErrorKind::NotFound)]
    );
    assert_eq!(versions(s), [4, 3, 1]);
    assert_eq!(
        s.get_table_version(&id, 2).unwrap_err().kind,
        ErrorKind::NotFound
    );
}

fn db(name: &str) -> DatabaseName {
    DatabaseName::new(name).unwrap()
}

fn tid(d: &str, t: &str) -> TableIdent {
    TableIdent::parse(d, t).unwrap()
}

pub fn sample_table(name: &str) -> Table {
    let mut t = Table::new(TableName::new(name).unwrap());
    t.table_type = Some(TableType::ExternalTable);
    t.partition_keys = vec![Column::new("dt", "string"), Column::new("hour", "int")];
    t.storage_descriptor = Some(StorageDescriptor {
        columns: vec![
            Column::new("id", "bigint"),
            Column::new("payload", "struct<a:int,b:array<string>>"),
        ],
        location: Some(format!("s3://bucket/{name}/")),
        ..Default::default()
    });
    t.parameters
        .insert("classification".into(), "parquet".into());
    t
}

/// A rename (Hive's `ALTER TABLE … RENAME TO`) moves the table with everything it
/// has, within or across databases, and frees the old name.
pub fn table_renames(s: &dyn CatalogStore) {
    let id = setup(s, "d", "old");
    s.create_database(Database::new(db("e"))).unwrap();
    setup(s, "d", "taken");
    let parts = vec![
        part("2024-01-01", 1),
        part("2024-01-01", 2),
        part("2024-01-02", 1),
    ];
    assert!(s.create_partitions(&id, parts, false).unwrap().is_empty());
    s.create_partition_index(&id, index("by_hour", &["hour"]))
        .unwrap();
    let mut stats = long_stats("id", 1, 9);
    stats.column_name = "id".into();
    assert!(s
        .update_column_statistics(&id, None, vec![stats])
        .unwrap()
        .is_empty());
    let rename = |from: &TableIdent, to: &TableIdent| {
        let mut t = s
            .get_table(from)
            .unwrap_or_else(|_| sample_table(from.name.as_str()));
        t.name = to.name.clone();
        t.database_name = Some(to.database.clone());
        let opts = UpdateTableOptions {
            rename: true,
            ..Default::default()
        };
        s.update_table(from, t, opts)
    };
    // Without the rename option a new name is refused.
    let mut t = s.get_table(&id).unwrap();
    t.name = TableName::new("new").unwrap();
    assert_eq!(
        kind(s.update_table(&id, t, UpdateTableOptions::default())),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(rename(&id, &tid("d", "taken"))),
        ErrorKind::AlreadyExists
    );
    assert_eq!(kind(rename(&id, &tid("nodb", "x"))), ErrorKind::NotFound);
    assert_eq!(
        kind(rename(&tid("d", "nope"), &tid("d", "x"))),
        ErrorKind::NotFound
    );
    assert_eq!(
        s.get_table(&id).unwrap().version_id,
        Some(1),
        "refusals change nothing"
    );

    let new = tid("d", "new");
    let renamed = rename(&id, &new).unwrap();
    assert_eq!(renamed.name.as_str(), "new");
    assert_eq!(renamed.version_id, Some(2));
    assert_eq!(kind(s.get_table(&id)), ErrorKind::NotFound);
    let moved = tid("e", "moved");
    rename(&new, &moved).unwrap();
    assert_eq!(kind(s.get_table(&new)), ErrorKind::NotFound);
    let t = s.get_table(&moved).unwrap();
    assert_eq!(
        (t.database_name.as_ref().unwrap().as_str(), t.version_id),
        ("e", Some(3))
    );
    assert_eq!(
        s.list_table_versions(&moved, &PageRequest::first(10))
            .unwrap()
            .items
            .len(),
        3
    );
    let hour_1 = FilterExpr::parse("hour = 1").unwrap().unwrap();
    let found = s
        .list_partitions(&moved, Some(&hour_1), &PageRequest::first(10))
        .unwrap()
        .items;
    assert_eq!(found.len(), 2);
    assert!(found
        .iter()
        .all(|p| p.table_name.as_ref().unwrap().as_str() == "moved"));
    assert_eq!(s.list_partition_indexes(&moved).unwrap().len(), 1);
    let got = s
        .get_column_statistics(&moved, None, &["id".to_string()])
        .unwrap();
    assert_eq!(got.len(), 1);

    // The old name is free and starts empty; dropping the moved table leaves it be.
    setup(s, "d", "old");
    assert!(s
        .list_partitions(&id, None, &PageRequest::first(10))
        .unwrap()
        .items
        .is_empty());
    assert!(s.list_partition_indexes(&id).unwrap().is_empty());
    assert!(s
        .get_column_statistics(&id, None, &["id".to_string()])
        .unwrap()
        .is_empty());
    s.create_partitions(&id, vec![part("2025-01-01", 0)], false)
        .unwrap();
    s.delete_table(&moved).unwrap();
    assert_eq!(
        s.list_partitions(&id, None, &PageRequest::first(10))
            .unwrap()
            .items
            .len(),
        1
    );

    // With relocation, partitions under the old location follow the new one.
    let m = setup(s, "d", "m");
    let at = |h: u32, loc: &str| {
        let mut p = part("2024-01-01", h);
        p.storage_descriptor.as_mut().unwrap().location = Some(loc.to_string());
        p
    };
    let written = vec![
        at(1, "s3://bucket/m/dt=2024-01-01/hour=1/"),
        at(2, "s3://bucket/m"),
        at(3, "s3://bucket/mx/3/"),
    ];
    assert!(s.create_partitions(&m, written, false).unwrap().is_empty());
    let mut t = s.get_table(&m).unwrap();
    t.name = TableName::new("m2").unwrap();
    t.database_name = Some(db("e"));
    t.storage_descriptor.as_mut().unwrap().location = Some("s3://bucket/e/m2".into());
    let opts = UpdateTableOptions {
        rename: true,
        relocate_partitions: true,
        ..Default::default()
    };
    s.update_table(&m, t, opts).unwrap();
    let locations: Vec<_> = s
        .list_partitions(&tid("e", "m2"), None, &PageRequest::first(10))
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.storage_descriptor.unwrap().location.unwrap())
        .collect();
    assert_eq!(
        locations,
        [
            "s3://bucket/e/m2/dt=2024-01-01/hour=1/",
            "s3://bucket/e/m2",
            "s3://bucket/mx/3/"
        ]
    );
}

/// Partitions come back exactly as written, whatever their storage descriptors
/// share with each other or with their table, also after the table changes; and
/// a batch is checked against what exists however densely the table is filled.
pub fn partition_round_trips(s: &dyn CatalogStore) {
    let id = setup(s, "d", "rt");
    let full = |dt: &str, hour: u32| {
        let mut p = part(dt, hour);
        let sd = p.storage_descriptor.as_mut().unwrap();
        sd.columns = vec![Column::new("id", "bigint"), Column::new("s", "string")];
        sd.input_format = Some("org.apache.hadoop.mapred.TextInputFormat".into());
        sd.compressed = true;
        sd.serde_info = Some(SerDeInfo {
            name: None,
            serialization_library: Some("org.openx.data.jsonserde.JsonSerDe".into()),
            parameters: [("paths".to_string(), "id,s".to_string())].into(),
        });
        sd.parameters
            .insert("recordCount".into(), (hour * 10).to_string());
        p.parameters.insert("k".into(), dt.into());
        p.last_access_time = Some(7);
        p
    };
    let mut outside = full("2024-02-01", 0);
    outside.storage_descriptor.as_mut().unwrap().location = Some("gs://elsewhere/x/".into());
    let mut no_location = full("2024-02-01", 1);
    no_location.storage_descriptor.as_mut().unwrap().location = None;
    let mut bare = Partition::new(vec!["2024-02-01".into(), "2".into()]);
    bare.parameters.insert("only".into(), "params".into());
    let mut at_table = full("2024-02-01", 3);
    at_table.storage_descriptor.as_mut().unwrap().location = Some("s3://bucket/rt/".into());
    let mut other_sd = full("2024-02-01", 4);
    other_sd.storage_descriptor.as_mut().unwrap().output_format = Some("o".into());
    let mut written = vec![outside, no_location, bare, at_table, other_sd];
    written.extend((0..20).map(|h| full("2024-02-02", h)));
    assert!(s
        .create_partitions(&id, written.clone(), false)
        .unwrap()
        .is_empty());
    let check = |s: &dyn CatalogStore, written: &[Partition]| {
        let listed = s
            .list_partitions(&id, None, &PageRequest::first(1000))
            .unwrap()
            .items;
        assert_eq!(listed.len(), written.len());
        for w in written {
            let got = s.get_partition(&id, &w.values).unwrap();
            let mut want = w.clone();
            want.database_name = got.database_name.clone();
            want.table_name = got.table_name.clone();
            want.create_time = got.create_time;
            assert_eq!(got, want);
            assert!(listed.contains(&got), "{got:?} is not listed");
        }
    };
    check(s, &written);

    // The table moves and changes its columns: its partitions stay as they are.
    let mut t = s.get_table(&id).unwrap();
    let sd = t.storage_descriptor.as_mut().unwrap();
    sd.location = Some("s3://bucket/moved/".into());
    sd.columns.push(Column::new("extra", "int"));
    s.update_table(&id, t, UpdateTableOptions::default())
        .unwrap();
    check(s, &written);

    // New partitions under the new location, and updates, round-trip too.
    let mut moved = full("2024-02-03", 0);
    moved.storage_descriptor.as_mut().unwrap().location =
        Some("s3://bucket/moved/dt=2024-02-03/hour=0/".into());
    assert!(s
        .create_partitions(&id, vec![moved.clone()], false)
        .unwrap()
        .is_empty());
    written.push(moved);
    let mut changed = written[7].clone();
    changed.storage_descriptor.as_mut().unwrap().columns.pop();
    changed
        .storage_descriptor
        .as_mut()
        .unwrap()
        .parameters
        .clear();
    s.update_partition(&id, &changed.values, changed.clone())
        .unwrap();
    written[7] = changed;
    check(s, &written);

    // A batch spanning a densely filled range: one existing partition among new ones.
    let dense = setup(s, "d", "dense");
    let many: Vec<_> = (0..300).map(|h| part("2024-03-01", h)).collect();
    assert!(s.create_partitions(&dense, many, false).unwrap().is_empty());
    let errs = s
        .create_partitions(
            &dense,
            vec![
                part("2024-02-28", 0),
                part("2024-03-01", 150),
                part("2024-03-02", 0),
            ],
            false,
        )
        .unwrap();
    let existing: Vec<_> = errs.iter().map(|e| e.values[1].as_str()).collect();
    assert_eq!(existing, ["150"], "{errs:?}");
    assert_eq!(
        s.list_partitions(&dense, None, &PageRequest::first(1000))
            .unwrap()
            .items
            .len(),
        302
    );
}

fn part(dt: &str, hour: u32) -> Partition {
    let mut p = Partition::new(vec![dt.to_string(), hour.to_string()]);
    p.storage_descriptor = Some(StorageDescriptor {
        location: Some(format!("s3://bucket/t/dt={dt}/hour={hour}/")),
        ..Default::default()
    });
    p
}

fn kind<T: std::fmt::Debug>(r: crate::Result<T>) -> ErrorKind {
    r.expect_err("expected an error").kind
}

fn setup(s: &dyn CatalogStore, d: &str, t: &str) -> TableIdent {
    if s.get_database(&db(d)).is_err() {
        s.create_database(Database::new(db(d))).unwrap();
    }
    s.create_table(&db(d), sample_table(t)).unwrap();
    tid(d, t)
}

pub fn databases(s: &dyn CatalogStore) {
    let mut d = Database::new(db("Sales"));
    d.description = Some("numbers".into());
    d.parameters.insert("k".into(), "v".into());
    let created = s.create_database(d.clone()).unwrap();
    assert_eq!(created.name.as_str(), "sales");
    assert!(created.create_time > 0);
    assert_eq!(kind(s.create_database(d)), ErrorKind::AlreadyExists);
    assert_eq!(s.get_database(&db("SALES")).unwrap(), created);
    assert_eq!(kind(s.get_database(&db("nope"))), ErrorKind::NotFound);

    let mut upd = created.clone();
    upd.description = Some("changed".into());
    upd.create_time = 1;
    let u = s.update_database(&db("sales"), upd).unwrap();
    assert_eq!(
        (u.description.as_deref(), u.create_time),
        (Some("changed"), created.create_time)
    );
    assert_eq!(
        kind(s.update_database(&db("sales"), Database::new(db("other")))),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(s.update_database(&db("nope"), Database::new(db("nope")))),
        ErrorKind::NotFound
    );

    for i in 0..5 {
        s.create_database(Database::new(db(&format!("db{i}"))))
            .unwrap();
    }
    let mut names = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let p = s.list_databases(&page).unwrap();
        assert!(p.items.len() <= 2);
        names.extend(p.items.iter().map(|d| d.name.to_string()));
        match p.next_token {
            Some(t) => page.token = Some(t),
            None => break,
        }
    }
    assert_eq!(names, ["db0", "db1", "db2", "db3", "db4", "sales"]);
    assert_eq!(
        kind(s.list_databases(&PageRequest {
            token: Some("zz".into()),
            limit: 1
        })),
        ErrorKind::InvalidInput
    );

    s.delete_database(&db("db0"), false).unwrap();
    assert_eq!(kind(s.get_database(&db("db0"))), ErrorKind::NotFound);
    assert_eq!(
        kind(s.delete_database(&db("db0"), false)),
        ErrorKind::NotFound
    );
}

pub fn tables(s: &dyn CatalogStore) {
    assert_eq!(
        kind(s.create_table(&db("nodb"), sample_table("t"))),
        ErrorKind::NotFound
    );
    let id = setup(s, "d", "Events");
    let t = s.get_table(&id).unwrap();
    assert_eq!(t.name.as_str(), "events");
    assert_eq!(t.database_name.as_ref().unwrap().as_str(), "d");
    assert_eq!(t.version_id, Some(1));
    assert!(t.create_time > 0 && t.update_time >= t.create_time);
    assert_eq!(t.columns()[1].type_, "struct<a:int,b:array<string>>");
    assert_eq!(
        kind(s.create_table(&db("d"), sample_table("EVENTS"))),
        ErrorKind::AlreadyExists
    );

    let mut bad = sample_table("bad");
    bad.storage_descriptor.as_mut().unwrap().columns[0].type_ = "big int".into();
    let e = s.create_table(&db("d"), bad).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(
        e.message.contains("storage_descriptor.columns[0].type"),
        "{}",
        e.message
    );
    assert_eq!(kind(s.get_table(&tid("d", "bad"))), ErrorKind::NotFound);

    for n in ["b_one", "a_two", "c_three"] {
        s.create_table(&db("d"), sample_table(n)).unwrap();
    }
    let all = s
        .list_tables(&db("d"), None, &PageRequest::first(100))
        .unwrap();
    let names: Vec<_> = all.items.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(names, ["a_two", "b_one", "c_three", "events"]);
    let re = regex::Regex::new("^(?:.*_t.*)$").unwrap();
    let p1 = s
        .list_tables(&db("d"), Some(&re), &PageRequest::first(1))
        .unwrap();
    assert_eq!(p1.items[0].name.as_str(), "a_two");
    let p2 = s
        .list_tables(
            &db("d"),
            Some(&re),
            &PageRequest {
                token: p1.next_token,
                limit: 1,
            },
        )
        .unwrap();
    assert_eq!(p2.items[0].name.as_str(), "c_three");
    assert_eq!(p2.next_token, None);
    assert_eq!(
        kind(s.list_tables(&db("nodb"), None, &PageRequest::first(1))),
        ErrorKind::NotFound
    );

    // A second database's tables do not leak into the first's listing.
    s.create_database(Database::new(db("d2"))).unwrap();
    s.create_table(&db("d2"), sample_table("zzz")).unwrap();
    assert_eq!(
        s.list_tables(&db("d"), None, &PageRequest::first(100))
            .unwrap()
            .items
            .len(),
        4
    );

    s.delete_table(&id).unwrap();
    assert_eq!(kind(s.get_table(&id)), ErrorKind::NotFound);
    assert_eq!(kind(s.delete_table(&id)), ErrorKind::NotFound);
    // A new table of the same name starts empty.
    s.create_table(&db("d"), sample_table("events")).unwrap();
    assert_eq!(
        s.list_partitions(&id, None, &PageRequest::first(10))
            .unwrap()
            .items
            .len(),
        0
    );
    assert_eq!(
        s.list_table_versions(&id, &PageRequest::first(10))
            .unwrap()
            .items
            .len(),
        1
    );
}

pub fn versions(s: &dyn CatalogStore) {
    // The factory was asked for a cap of 3 archived versions.
    let id = setup(s, "d", "t");
    for i in 0..5 {
        let mut t = s.get_table(&id).unwrap();
        t.description = Some(format!("rev {i}"));
        let u = s
            .update_table(&id, t, UpdateTableOptions::default())
            .unwrap();
        assert_eq!(u.version_id, Some(i + 2));
    }
    let v = s
        .list_table_versions(&id, &PageRequest::first(100))
        .unwrap();
    let ids: Vec<u64> = v.items.iter().map(|v| v.version_id).collect();
    assert_eq!(ids, [6, 5, 4, 3], "current plus the 3 newest archived");
    assert_eq!(v.items[1].table.description.as_deref(), Some("rev 3"));
    let p1 = s.list_table_versions(&id, &PageRequest::first(3)).unwrap();
    let p2 = s
        .list_table_versions(
            &id,
            &PageRequest {
                token: p1.next_token.clone(),
                limit: 3,
            },
        )
        .unwrap();
    assert_eq!(
        p2.items.iter().map(|v| v.version_id).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(
        s.get_table_version(&id, 4)
            .unwrap()
            .table
            .description
            .as_deref(),
        Some("rev 2")
    );
    assert_eq!(kind(s.get_table_version(&id, 1)), ErrorKind::NotFound);

    // Optimistic concurrency: a stale writer loses and changes nothing.
    let stale = s.get_table(&id).unwrap();
    let mut w1 = stale.clone();
    w1.description = Some("w1".into());
    s.update_table(&id, w1, UpdateTableOptions::default())
        .unwrap();
    let mut w2 = stale.clone();
    w2.description = Some("w2".into());
    assert_eq!(
        kind(s.update_table(&id, w2.clone(), UpdateTableOptions::default())),
        ErrorKind::Conflict
    );
    w2.version_id = None;
    let opts = UpdateTableOptions {
        expected_version: Some(6),
        skip_archive: false,
        ..Default::default()
    };
    assert_eq!(
        kind(s.update_table(&id, w2.clone(), opts)),
        ErrorKind::Conflict
    );
    assert_eq!(s.get_table(&id).unwrap().description.as_deref(), Some("w1"));
    // Without an expectation the update is unconditional; skip_archive keeps no copy.
    let before = s
        .list_table_versions(&id, &PageRequest::first(100))
        .unwrap()
        .items
        .len();
    let u = s
        .update_table(
            &id,
            w2,
            UpdateTableOptions {
                expected_version: None,
                skip_archive: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(u.version_id, Some(8));
    assert_eq!(
        s.list_table_versions(&id, &PageRequest::first(100))
            .unwrap()
            .items
            .len(),
        before
    );

    // Renames and partition-key count changes on a partitioned table are refused.
    let mut renamed = s.get_table(&id).unwrap();
    renamed.name = TableName::new("other").unwrap();
    assert_eq!(
        kind(s.update_table(&id, renamed, UpdateTableOptions::default())),
        ErrorKind::InvalidInput
    );
    s.create_partitions(&id, vec![part("2024-01-01", 1)], false)
        .unwrap();
    let mut fewer = s.get_table(&id).unwrap();
    fewer.partition_keys.pop();
    let e = s
        .update_table(&id, fewer, UpdateTableOptions::default())
        .unwrap_err();
    assert!(e.message.contains("has partitions"), "{}", e.message);
    assert_eq!(
        kind(s.update_table(
            &tid("d", "nope"),
            sample_table("nope"),
            UpdateTableOptions::default()
        )),
        ErrorKind::NotFound
    );
}

pub fn partitions(s: &dyn CatalogStore) {
    let id = setup(s, "d", "t");
    let errs = s
        .create_partitions(
            &id,
            vec![part("2024-01-01", 1), part("2024-01-01", 2)],
            false,
        )
        .unwrap();
    assert!(errs.is_empty(), "{errs:?}");
    // A batch with bad items writes the good ones and reports the rest.
    let batch = vec![
        part("2024-01-01", 1),                   // exists
        part("2024-01-02", 1),                   // new
        Partition::new(vec!["only-one".into()]), // wrong arity
        part("2024-01-02", 1),                   // duplicate in batch
        part("2024-01-03", 7),                   // new
    ];
    let errs = s.create_partitions(&id, batch.clone(), false).unwrap();
    let kinds: Vec<_> = errs
        .iter()
        .map(|e| (e.values.clone(), e.error.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                vec!["2024-01-01".to_string(), "1".to_string()],
                ErrorKind::AlreadyExists
            ),
            (vec!["only-one".to_string()], ErrorKind::InvalidInput),
            (
                vec!["2024-01-02".to_string(), "1".to_string()],
                ErrorKind::AlreadyExists
            ),
        ]
    );
    assert_eq!(
        s.list_partitions(&id, None, &PageRequest::first(100))
            .unwrap()
            .items
            .len(),
        4
    );
    // if_not_exists: existing ones are skipped silently.
    assert!(s
        .create_partitions(&id, batch, true)
        .unwrap()
        .iter()
        .all(|e| e.error.kind == ErrorKind::InvalidInput));

    let p = s
        .get_partition(&id, &["2024-01-03".into(), "7".into()])
        .unwrap();
    assert_eq!(p.table_name.as_ref().unwrap().as_str(), "t");
    assert!(p.create_time > 0);
    assert_eq!(
        kind(s.get_partition(&id, &["2024-01-03".into(), "8".into()])),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(s.get_partition(&id, &["x".into()])),
        ErrorKind::InvalidInput
    );

    // Update in place, then a rename onto a free and onto a taken value.
    let mut u = p.clone();
    u.parameters.insert("k".into(), "v".into());
    s.update_partition(&id, &p.values, u.clone()).unwrap();
    assert_eq!(
        s.get_partition(&id, &p.values)
            .unwrap()
            .parameters
            .get("k")
            .map(String::as_str),
        Some("v")
    );
    u.values = vec!["2024-01-04".into(), "0".into()];
    let moved = s.update_partition(&id, &p.values, u.clone()).unwrap();
    assert_eq!(moved.create_time, p.create_time);
    assert_eq!(kind(s.get_partition(&id, &p.values)), ErrorKind::NotFound);
    u.values = vec!["2024-01-01".into(), "1".into()];
    assert_eq!(
        kind(s.update_partition(&id, &["2024-01-04".into(), "0".into()], u)),
        ErrorKind::AlreadyExists
    );

    // Values with '/' and NUL bytes are just values.
    let odd = Partition::new(vec!["a/b\0c".into(), "1".into()]);
    assert!(s
        .create_partitions(&id, vec![odd], false)
        .unwrap()
        .is_empty());
    assert_eq!(
        s.get_partition(&id, &["a/b\0c".into(), "1".into()])
            .unwrap()
            .values[0],
        "a/b\0c"
    );

    let errs = s
        .delete_partitions(
            &id,
            &[
                vec!["2024-01-01".into(), "1".into()],
                vec!["nope".into(), "1".into()],
                vec!["x".into()],
            ],
        )
        .unwrap();
    assert_eq!(
        errs.iter().map(|e| e.error.kind).collect::<Vec<_>>(),
        [ErrorKind::NotFound, ErrorKind::InvalidInput]
    );
    assert_eq!(
        kind(s.get_partition(&id, &["2024-01-01".into(), "1".into()])),
        ErrorKind::NotFound
    );
    assert_eq!(s.stats().unwrap().partitions, 4);

    // An unpartitioned table has no partitions to speak of.
    let mut flat = sample_table("flat");
    flat.partition_keys.clear();
    s.create_table(&db("d"), flat).unwrap();
    let errs = s
        .create_partitions(&tid("d", "flat"), vec![part("a", 1)], false)
        .unwrap();
    assert!(errs[0].error.message.contains("no partition keys"));
    assert_eq!(
        kind(s.create_partitions(&tid("d", "nope"), vec![], false)),
        ErrorKind::NotFound
    );
}

pub fn filters_and_paging(s: &dyn CatalogStore) {
    let id = setup(s, "d", "t");
    let mut batch = Vec::new();
    for day in 1..=5 {
        for hour in 0..24 {
            batch.push(part(&format!("2024-01-0{day}"), hour));
        }
    }
    assert!(s.create_partitions(&id, batch, false).unwrap().is_empty());

    let list = |expr: &str, limit: usize| -> Vec<(String, String)> {
        let f = FilterExpr::parse(expr).unwrap();
        let mut out = Vec::new();
        let mut page = PageRequest::first(limit);
        loop {
            let p = s.list_partitions(&id, f.as_ref(), &page).unwrap();
            assert!(p.items.len() <= limit);
            out.extend(
                p.items
                    .into_iter()
                    .map(|p| (p.values[0].clone(), p.values[1].clone())),
            );
            match p.next_token {
                Some(t) => page.token = Some(t),
                None => return out,
            }
        }
    };
    let all = list("", 7);
    assert_eq!(all.len(), 120);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ordered by values");
    let r = list("dt = '2024-01-02' AND hour > 5", 4);
    assert_eq!(r.len(), 18);
    assert!(r
        .iter()
        .all(|(d, h)| d == "2024-01-02" && h.parse::<u32>().unwrap() > 5));
    assert_eq!(
        list(
            "dt >= '2024-01-02' AND dt < '2024-01-04' AND hour IN (1, 13)",
            3
        )
        .len(),
        4
    );
    assert_eq!(list("dt > '2024-01-04'", 50).len(), 24);
    assert_eq!(list("dt <= '2024-01-01'", 50).len(), 24);
    assert_eq!(
        list(
            "dt BETWEEN '2024-01-02' AND '2024-01-03' AND NOT hour < 20",
            5
        )
        .len(),
        8
    );
    assert_eq!(list("hour = 0 OR dt LIKE '%05'", 10).len(), 5 + 23);
    assert_eq!(list("dt = '2099-01-01'", 10).len(), 0);
    // Values-only listings (partition names) page and filter the same way.
    for expr in [
        "",
        "dt = '2024-01-02' AND hour > 5",
        "hour = 0 OR dt LIKE '%05'",
    ] {
        let f = FilterExpr::parse(expr).unwrap();
        let mut got = Vec::new();
        let mut page = PageRequest::first(7);
        loop {
            let p = s
                .list_partitions_with(&id, f.as_ref(), &page, true)
                .unwrap();
            for x in &p.items {
                assert!(x.storage_descriptor.is_none(), "values only");
                got.push((x.values[0].clone(), x.values[1].clone()));
            }
            match p.next_token {
                Some(t) => page.token = Some(t),
                None => break,
            }
        }
        assert_eq!(got, list(expr, 7), "{expr}");
    }
    let e = s
        .list_partitions(
            &id,
            FilterExpr::parse("hour = 'x'").unwrap().as_ref(),
            &PageRequest::first(1),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("column 8"), "{}", e.message);
    assert_eq!(
        kind(s.list_partitions(
            &id,
            None,
            &PageRequest {
                token: Some("x".into()),
                limit: 1
            }
        )),
        ErrorKind::InvalidInput
    );
}

pub fn cascade(s: &dyn CatalogStore) {
    let id = setup(s, "d", "t");
    s.create_partitions(&id, vec![part("2024-01-01", 1)], false)
        .unwrap();
    let mut t = s.get_table(&id).unwrap();
    t.description = Some("x".into());
    s.update_table(&id, t, UpdateTableOptions::default())
        .unwrap();
    let e = s.delete_database(&db("d"), false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("not empty"), "{}", e.message);
    assert!(s.get_table(&id).is_ok());
    s.delete_database(&db("d"), true).unwrap();
    assert_eq!(kind(s.get_database(&db("d"))), ErrorKind::NotFound);
    assert_eq!(
        s.stats().unwrap(),
        StoreStats {
            size_on_disk: s.stats().unwrap().size_on_disk,
            ..Default::default()
        }
    );
    // Recreated, the database and table start empty.
    let id = setup(s, "d", "t");
    assert!(s
        .list_partitions(&id, None, &PageRequest::first(10))
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        s.list_table_versions(&id, &PageRequest::first(10))
            .unwrap()
            .items
            .len(),
        1
    );
}

/// `write_table`: a table and its partition changes land together or not at all.
pub fn table_writes(s: &dyn CatalogStore) {
    s.create_database(Database::new(db("w"))).unwrap();
    let d = db("w");
    let id = tid("w", "t");
    let all = |s: &dyn CatalogStore| -> Vec<Vec<String>> {
        s.list_partitions(&id, None, &PageRequest::first(100))
            .unwrap()
            .items
            .into_iter()
            .map(|p| p.values)
            .collect()
    };
    let w = TableWrite {
        table: sample_table("t"),
        expected_version: None,
        put_partitions: vec![part("2024-01-01", 1), part("2024-01-01", 2)],
        delete_partitions: vec![],
    };
    let t = s.write_table(&d, w.clone()).unwrap();
    assert_eq!(t.version_id, Some(1));
    assert_eq!(all(s).len(), 2);
    assert_eq!(s.stats().unwrap().partitions, 2);
    // Creating again is refused and changes nothing.
    assert_eq!(
        s.write_table(&d, w.clone()).unwrap_err().kind,
        ErrorKind::AlreadyExists
    );
    // One bad partition fails the whole write: neither the table nor any partition changes.
    let mut t2 = t.clone();
    t2.description = Some("second".into());
    let bad = TableWrite {
        table: t2.clone(),
        expected_version: Some(1),
        put_partitions: vec![part("2024-01-02", 1), Partition::new(vec!["x".into()])],
        delete_partitions: vec![vec!["2024-01-01".into(), "1".into()]],
    };
    let e = s.write_table(&d, bad).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("[\"x\"]"), "{}", e.message);
    assert_eq!(s.get_table(&id).unwrap().version_id, Some(1));
    assert_eq!(all(s).len(), 2);
    // A stale version is a conflict.
    let stale = TableWrite {
        table: t2.clone(),
        expected_version: Some(7),
        put_partitions: vec![],
        delete_partitions: vec![],
    };
    assert_eq!(
        s.write_table(&d, stale).unwrap_err().kind,
        ErrorKind::Conflict
    );
    // Update, replace one partition (keeping its create time), add one, delete one.
    let before = s
        .get_partition(&id, &["2024-01-01".into(), "2".into()])
        .unwrap();
    let mut replaced = part("2024-01-01", 2);
    replaced.parameters.insert("k".into(), "v".into());
    let ok = TableWrite {
        table: t2,
        expected_version: Some(1),
        put_partitions: vec![replaced, part("2024-01-03", 1)],
        delete_partitions: vec![
            vec!["2024-01-01".into(), "1".into()],
            vec!["2030-01-01".into(), "1".into()],
        ],
    };
    let t = s.write_table(&d, ok).unwrap();
    assert_eq!(t.version_id, Some(2));
    assert_eq!(t.description.as_deref(), Some("second"));
    assert_eq!(
        all(s),
        [
            vec!["2024-01-01".to_string(), "2".to_string()],
            vec!["2024-01-03".to_string(), "1".to_string()],
        ]
    );
    let after = s
        .get_partition(&id, &["2024-01-01".into(), "2".into()])
        .unwrap();
    assert_eq!(after.create_time, before.create_time);
    assert_eq!(after.parameters.get("k").map(String::as_str), Some("v"));
    assert_eq!(s.stats().unwrap().partitions, 2);
    // The replaced table was archived.
    let versions = s.list_table_versions(&id, &PageRequest::first(10)).unwrap();
    assert_eq!(
        versions
            .items
            .iter()
            .map(|v| v.version_id)
            .collect::<Vec<_>>(),
        [2, 1]
    );
    // Partition keys may change only when no partition survives the write.
    let mut fewer = s.get_table(&id).unwrap();
    fewer.partition_keys.pop();
    let e = s
        .write_table(
            &d,
            TableWrite {
                table: fewer.clone(),
                expected_version: Some(2),
                put_partitions: vec![],
                delete_partitions: vec![],
            },
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    let t = s
        .write_table(
            &d,
            TableWrite {
                table: fewer,
                expected_version: Some(2),
                put_partitions: vec![],
                delete_partitions: vec![
                    vec!["2024-01-01".into(), "2".into()],
                    vec!["2024-01-03".into(), "1".into()],
                ],
            },
        )
        .unwrap();
    assert_eq!(t.partition_keys.len(), 1);
    assert!(all(s).is_empty());
    // The database must exist.
    assert_eq!(
        s.write_table(&db("nope"), w).unwrap_err().kind,
        ErrorKind::NotFound
    );
}

/// `write_tables` writes every table or none: a stale version, a bad partition or
/// a missing database in any one write leaves every table as it was.
pub fn multi_table_writes(s: &dyn CatalogStore) {
    s.create_database(Database::new(db("m"))).unwrap();
    s.create_database(Database::new(db("n"))).unwrap();
    let (a, b) = (tid("m", "a"), tid("n", "b"));
    let create = |d: &str, t: &str| {
        (
            db(d),
            TableWrite {
                table: sample_table(t),
                expected_version: None,
                put_partitions: vec![part("2024-01-01", 1)],
                delete_partitions: vec![],
            },
        )
    };
    let made = s
        .write_tables(vec![create("m", "a"), create("n", "b")])
        .unwrap();
    assert_eq!(
        made.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"],
        "results come in the order of the writes"
    );
    let update = |id: &TableIdent, version: u64, desc: &str, parts: Vec<Partition>| {
        let mut t = s.get_table(id).unwrap();
        t.description = Some(desc.into());
        (
            id.database.clone(),
            TableWrite {
                table: t,
                expected_version: Some(version),
                put_partitions: parts,
                delete_partitions: vec![],
            },
        )
    };
    let unchanged = |s: &dyn CatalogStore| {
        for id in [&a, &b] {
            let t = s.get_table(id).unwrap();
            assert_eq!(t.version_id, Some(1), "{id}");
            assert_eq!(t.description, None, "{id}");
            assert_eq!(
                s.list_partitions(id, None, &PageRequest::first(10))
                    .unwrap()
                    .items
                    .len(),
                1,
                "{id}"
            );
        }
    };
    // The second write is stale: the first, valid one is not applied either.
    let e = s
        .write_tables(vec![
            update(&b, 1, "new", vec![part("2024-01-02", 1)]),
            update(&a, 9, "new", vec![]),
        ])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    unchanged(s);
    // A bad partition in one write, or a missing database, refuses them all.
    let e = s
        .write_tables(vec![
            update(&a, 1, "new", vec![part("2024-01-02", 1)]),
            update(&b, 1, "new", vec![Partition::new(vec!["x".into()])]),
        ])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    unchanged(s);
    let e = s
        .write_tables(vec![update(&a, 1, "new", vec![]), create("gone", "c")])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    unchanged(s);
    // One table named twice is refused.
    let e = s
        .write_tables(vec![update(&a, 1, "x", vec![]), update(&a, 1, "y", vec![])])
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    unchanged(s);
    // All valid: both move on together, each archiving its old version.
    let done = s
        .write_tables(vec![
            update(&a, 1, "new", vec![part("2024-01-02", 1)]),
            update(&b, 1, "new", vec![]),
        ])
        .unwrap();
    assert_eq!(
        done.iter().map(|t| t.version_id).collect::<Vec<_>>(),
        [Some(2), Some(2)]
    );
    assert_eq!(s.get_table(&b).unwrap().description.as_deref(), Some("new"));
    assert_eq!(
        s.list_partitions(&a, None, &PageRequest::first(10))
            .unwrap()
            .items
            .len(),
        2
    );
    assert_eq!(
        s.list_table_versions(&a, &PageRequest::first(10))
            .unwrap()
            .items
            .len(),
        2
    );
}

/// The types of the events after `after`, in order.
fn logged_since(s: &dyn CatalogStore, after: u64) -> Vec<&'static str> {
    s.events_after(after, 1000)
        .unwrap()
        .iter()
        .map(|e| e.change.event_type())
        .collect()
}

/// Every committed write logs its changes with ids one above the last; a write
/// that fails logs nothing; trimming never lets ids go back.
pub fn change_log(s: &dyn CatalogStore) {
    use crate::events::{as_principal, Change, EventBounds, Retention};
    assert_eq!(s.event_bounds().unwrap(), EventBounds { first: 1, last: 0 });
    as_principal(Some("alice".into()), || {
        s.create_database(Database::new(db("ev"))).unwrap()
    });
    let first = s.events_after(0, 10).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, 1);
    assert_eq!(first[0].principal.as_deref(), Some("alice"));
    assert!(first[0].time_ms > 0);
    match &first[0].change {
        Change::CreateDatabase { database } => assert_eq!(database.name.as_str(), "ev"),
        c => panic!("expected CREATE_DATABASE, got {c:?}"),
    }
    let id = setup(s, "ev", "t");
    let mark = s.event_bounds().unwrap().last;
    assert_eq!(mark, 2);

    // Failed writes log nothing.
    assert_eq!(
        kind(s.create_database(Database::new(db("ev")))),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(s.create_table(&db("ev"), sample_table("t"))),
        ErrorKind::AlreadyExists
    );
    let stale = UpdateTableOptions {
        expected_version: Some(7),
        ..Default::default()
    };
    assert_eq!(
        kind(s.update_table(&id, sample_table("t"), stale)),
        ErrorKind::Conflict
    );
    let bad_write = TableWrite {
        table: sample_table("t"),
        expected_version: Some(9),
        put_partitions: vec![part("2024-01-01", 1)],
        delete_partitions: vec![],
    };
    assert_eq!(
        kind(s.write_table(&db("ev"), bad_write)),
        ErrorKind::Conflict
    );
    let service = || Change::Service {
        detail_type: "Glue Crawler State Change".into(),
        detail: serde_json::json!({"crawlerName": "c", "state": "Started"}),
    };
    let r = s.write_records_logged(
        vec![RecordWrite::put("crawler", "c", b"x".to_vec()).expecting(Expect::Present)],
        vec![service()],
    );
    assert_eq!(kind(r), ErrorKind::Conflict);
    assert_eq!(logged_since(s, mark), Vec::<&str>::new());

    // Partitions: one event per call, with what it wrote.
    let errs = s
        .create_partitions(
            &id,
            vec![
                part("2024-01-01", 1),
                part("2024-01-01", 2),
                part("2024-01-01", 1),
            ],
            false,
        )
        .unwrap();
    assert_eq!(errs.len(), 1);
    let ev = s.events_after(mark, 10).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].id, mark + 1);
    match &ev[0].change {
        Change::AddPartitions { table, partitions } => {
            assert_eq!(table.name.as_str(), "t");
            assert_eq!(ev[0].change.database(), Some("ev"));
            let v: Vec<_> = partitions.iter().map(|p| p.values.clone()).collect();
            assert_eq!(v, [vec!["2024-01-01", "1"], vec!["2024-01-01", "2"]]);
        }
        c => panic!("expected ADD_PARTITION, got {c:?}"),
    }
    // Nothing new to add: nothing logged.
    s.create_partitions(&id, vec![part("2024-01-01", 1)], true)
        .unwrap();
    assert_eq!(s.event_bounds().unwrap().last, mark + 1);

    let mut moved = part("2024-01-01", 2);
    moved.parameters.insert("k".into(), "v".into());
    s.update_partition(&id, &["2024-01-01".into(), "2".into()], moved)
        .unwrap();
    s.replace_partitions(&id, vec![part("2024-01-01", 2)])
        .unwrap();
    s.delete_partitions(
        &id,
        &[
            vec!["2024-01-01".into(), "1".into()],
            vec!["2030-01-01".into(), "1".into()],
        ],
    )
    .unwrap();
    let ev = s.events_after(mark + 1, 10).unwrap();
    assert_eq!(
        ev.iter().map(|e| e.change.event_type()).collect::<Vec<_>>(),
        ["ALTER_PARTITION", "ALTER_PARTITION", "DROP_PARTITION"]
    );
    match &ev[0].change {
        Change::AlterPartition { before, after, .. } => {
            assert!(before.as_ref().unwrap().parameters.is_empty());
            assert_eq!(after.parameters.get("k").map(String::as_str), Some("v"));
        }
        c => panic!("{c:?}"),
    }
    match &ev[1].change {
        Change::AlterPartition { before, after, .. } => {
            let before = before.as_ref().unwrap();
            assert_eq!(before.parameters.get("k").map(String::as_str), Some("v"));
            assert!(after.parameters.is_empty());
        }
        c => panic!("{c:?}"),
    }
    match &ev[2].change {
        Change::DropPartitions { values, .. } => assert_eq!(values, &[vec!["2024-01-01", "1"]]),
        c => panic!("{c:?}"),
    }

    // A table write logs the table only when it changed, then its partitions.
    let mark = s.event_bounds().unwrap().last;
    let cur = s.get_table(&id).unwrap();
    s.write_table(
        &db("ev"),
        TableWrite {
            table: cur.clone(),
            expected_version: cur.version_id,
            put_partitions: vec![part("2024-02-01", 1), part("2024-01-01", 2)],
            delete_partitions: vec![],
        },
    )
    .unwrap();
    assert_eq!(logged_since(s, mark), ["ADD_PARTITION", "ALTER_PARTITION"]);
    let mark = s.event_bounds().unwrap().last;
    let mut cur = s.get_table(&id).unwrap();
    cur.parameters.insert("note".into(), "changed".into());
    s.write_table(
        &db("ev"),
        TableWrite {
            expected_version: cur.version_id,
            table: cur,
            put_partitions: vec![],
            delete_partitions: vec![vec!["2024-02-01".into(), "1".into()]],
        },
    )
    .unwrap();
    assert_eq!(logged_since(s, mark), ["ALTER_TABLE", "DROP_PARTITION"]);

    // Renames are alters from the old name to the new.
    let mark = s.event_bounds().unwrap().last;
    let mut renamed = s.get_table(&id).unwrap();
    renamed.name = TableName::new("t2").unwrap();
    let opts = UpdateTableOptions {
        rename: true,
        ..Default::default()
    };
    s.update_table(&id, renamed, opts).unwrap();
    let id = tid("ev", "t2");
    match &s.events_after(mark, 1).unwrap()[0].change {
        Change::AlterTable { before, after } => {
            assert_eq!((before.name.as_str(), after.name.as_str()), ("t", "t2"));
        }
        c => panic!("{c:?}"),
    }

    // Indexes, statistics, functions, services.
    let mark = s.event_bounds().unwrap().last;
    s.create_partition_index(&id, index("by_hour", &["hour"]))
        .unwrap();
    s.delete_partition_index(&id, "by_hour").unwrap();
    s.update_column_statistics(&id, None, vec![long_stats("id", 1, 9)])
        .unwrap();
    s.delete_column_statistics(&id, None, "id").unwrap();
    let f = Function {
        function_name: "up".into(),
        database_name: None,
        class_name: "com.example.Upper".into(),
        owner_name: None,
        owner_type: None,
        create_time: 0,
        resource_uris: vec![],
    };
    s.create_function(&db("ev"), f.clone()).unwrap();
    s.update_function(
        &db("ev"),
        "up",
        Function {
            class_name: "com.example.U2".into(),
            ..f
        },
    )
    .unwrap();
    s.write_records_logged(
        vec![RecordWrite::put("crawler", "c", b"x".to_vec())],
        vec![service()],
    )
    .unwrap();
    s.write_records(vec![RecordWrite::put("crawler", "d", b"x".to_vec())])
        .unwrap();
    assert_eq!(
        logged_since(s, mark),
        [
            "CREATE_PARTITION_INDEX",
            "DROP_PARTITION_INDEX",
            "UPDATE_COLUMN_STAT",
            "DELETE_COLUMN_STAT",
            "CREATE_FUNCTION",
            "DROP_FUNCTION",
            "CREATE_FUNCTION",
            "SERVICE"
        ]
    );

    // A cascading drop logs what went with the database, then the database.
    setup(s, "ev", "t3");
    let mark = s.event_bounds().unwrap().last;
    s.delete_database(&db("ev"), true).unwrap();
    assert_eq!(
        logged_since(s, mark),
        ["DROP_TABLE", "DROP_TABLE", "DROP_FUNCTION", "DROP_DATABASE"]
    );

    // Ids are consecutive from 1; pages resume after the last id seen.
    let all = s.events_after(0, 1000).unwrap();
    let last = s.event_bounds().unwrap().last;
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        (1..=last).collect::<Vec<_>>()
    );
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = s.events_after(after, 3).unwrap();
        let Some(e) = page.last() else { break };
        after = e.id;
        seen.extend(page);
    }
    assert_eq!(seen, all);

    // Retention trims the oldest; the ids never go back.
    let removed = s
        .trim_events(&Retention {
            max_events: Some(3),
            max_age_secs: None,
        })
        .unwrap();
    assert_eq!(removed, last - 3);
    assert_eq!(
        s.event_bounds().unwrap(),
        EventBounds {
            first: last - 2,
            last
        }
    );
    assert_eq!(s.events_after(0, 10).unwrap(), all[all.len() - 3..]);
    s.trim_events(&Retention {
        max_events: Some(0),
        max_age_secs: None,
    })
    .unwrap();
    assert_eq!(
        s.event_bounds().unwrap(),
        EventBounds {
            first: last + 1,
            last
        }
    );
    s.create_database(Database::new(db("ev"))).unwrap();
    let after_trim = s.events_after(0, 10).unwrap();
    assert_eq!(after_trim.len(), 1);
    assert_eq!(after_trim[0].id, last + 1);
    // Age: nothing is older than a day.
    let kept = s
        .trim_events(&Retention {
            max_events: None,
            max_age_secs: Some(86_400),
        })
        .unwrap();
    assert_eq!(kept, 0);
    // Off, writes log nothing; on again, ids go on where they were.
    s.set_change_log(false);
    s.create_database(Database::new(db("quiet"))).unwrap();
    assert_eq!(s.event_bounds().unwrap().last, last + 1);
    s.set_change_log(true);
    s.delete_database(&db("quiet"), false).unwrap();
    let ev = s.events_after(last + 1, 10).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].id, ev[0].change.event_type()),
        (last + 2, "DROP_DATABASE")
    );
}

/// Under concurrent writers, a reader that follows the log never sees an id
/// before every smaller id is visible: it misses nothing by resuming after the
/// last id it saw.
pub fn concurrent_log(s: &dyn CatalogStore) {
    for t in ["w0", "w1", "w2", "w3"] {
        setup(s, "cl", t);
    }
    let start = s.event_bounds().unwrap().last;
    let done = std::sync::atomic::AtomicBool::new(false);
    let per_writer = 40;
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut after = start;
            let mut seen = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                for e in s.events_after(after, 1000).unwrap() {
                    assert_eq!(
                        e.id,
                        after + 1,
                        "the log showed id {} before {}",
                        e.id,
                        after + 1
                    );
                    after = e.id;
                    seen += 1;
                }
                if finished {
                    return seen;
                }
            }
        });
        let writers: Vec<_> = ["w0", "w1", "w2", "w3"]
            .iter()
            .map(|t| {
                scope.spawn(move || {
                    for i in 0..per_writer {
                        s.create_partitions(&tid("cl", t), vec![part("2024-01-01", i)], false)
                            .unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(reader.join().unwrap(), 4 * per_writer as u64);
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_store_conforms() {
        super::run_all(&|cap| Box::new(crate::memory::MemoryStore::new(cap)));
    }
}
