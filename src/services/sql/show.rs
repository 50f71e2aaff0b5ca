//! SHOW TABLES, SHOW CREATE TABLE, SHOW TBLPROPERTIES, SHOW COLUMNS, DESCRIBE.

use super::results::StatementResult;
use super::session::*;
use lakecat_catalog_api::error::Error;
use lakecat_catalog_api::model::{Column, Table, TableType};
use lakecat_catalog_api::names::TableIdent;
use lakecat_catalog_api::store::{all_tables, CatalogStore};
use lakecat_ddl::ast::*;

pub fn run(store: &dyn CatalogStore, s: &mut Session, st: &Statement) -> R<StatementResult> {
    match st {
        Statement::ShowTables { database, pattern } => {
            let db = db_name(database.as_deref().unwrap_or(&s.database))?;
            let re = pattern
                .as_deref()
                .map(lakecat_catalog_api::names::name_pattern)
                .transpose()?;
            let names: Vec<String> = all_tables(store, &db, re.as_ref())?
                .into_iter()
                .map(|t| t.name.as_str().to_string())
                .collect();
            Ok(rows(
                st,
                &["tab_name"],
                names.into_iter().map(|n| vec![n]).collect(),
            ))
        }
        Statement::ShowCreateTable { table } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            let text = show_create(&id, &t);
            Ok(rows(
                st,
                &["createtab_stmt"],
                text.lines().map(|l| vec![l.to_string()]).collect(),
            ))
        }
        Statement::ShowTblProperties { table, key } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            match key {
                Some(k) => match t.parameters.get(k) {
                    Some(v) => Ok(rows(st, &["value"], vec![vec![v.clone()]])),
                    None => Err(Error::not_found(format!(
                        "table {id} has no property {k:?}"
                    ))),
                },
                None => Ok(rows(
                    st,
                    &["prpt_name", "prpt_value"],
                    t.parameters
                        .iter()
                        .map(|(k, v)| vec![k.clone(), v.clone()])
                        .collect(),
                )),
            }
        }
        Statement::ShowColumns { table } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            Ok(rows(
                st,
                &["field"],
                t.columns()
                    .iter()
                    .chain(&t.partition_keys)
                    .map(|c| vec![c.name.clone()])
                    .collect(),
            ))
        }
        Statement::Describe {
            table,
            style,
            partition,
            column,
        } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            describe(
                store,
                &id,
                &t,
                *style,
                partition.as_ref(),
                column.as_deref(),
                st,
            )
        }
        _ => unreachable!("dispatched by statement kind"),
    }
}

/// A Hive string literal: single quotes, with `\` escapes for what needs them.
fn lit(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

fn cols_ddl(cols: &[Column]) -> String {
    cols.iter()
        .map(|c| {
            let mut s = format!("  {} {}", quote_ident(&c.name), c.type_);
            if let Some(cm) = &c.comment {
                s.push_str(&format!(" COMMENT {}", lit(cm)));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(",\n")
}

/// DDL that recreates the table exactly (SerDe, formats and properties spelled out).
pub fn show_create(id: &TableIdent, t: &Table) -> String {
    let external = t.table_type == Some(TableType::ExternalTable);
    let mut s = format!(
        "CREATE {}TABLE {}.{}(\n{})\n",
        if external { "EXTERNAL " } else { "" },
        quote_ident(id.database.as_str()),
        quote_ident(id.name.as_str()),
        cols_ddl(t.columns())
    );
    if let Some(d) = &t.description {
        s.push_str(&format!("COMMENT {}\n", lit(d)));
    }
    if !t.partition_keys.is_empty() {
        s.push_str(&format!(
            "PARTITIONED BY (\n{})\n",
            cols_ddl(&t.partition_keys)
        ));
    }
    let sd = t.storage_descriptor.clone().unwrap_or_default();
    if !sd.bucket_columns.is_empty() {
        s.push_str(&format!(
            "CLUSTERED BY ({})",
            sd.bucket_columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if !sd.sort_columns.is_empty() {
            s.push_str(&format!(
                " SORTED BY ({})",
                sd.sort_columns
                    .iter()
                    .map(|o| format!(
                        "{} {}",
                        quote_ident(&o.column),
                        if o.sort_order == 1 { "ASC" } else { "DESC" }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s.push_str(&format!(
            " INTO {} BUCKETS\n",
            sd.number_of_buckets.unwrap_or(1)
        ));
    }
    let serde = sd.serde_info.clone().unwrap_or_default();
    s.push_str(&format!(
        "ROW FORMAT SERDE\n  {}\n",
        lit(serde
            .serialization_library
            .as_deref()
            .unwrap_or(LAZY_SIMPLE))
    ));
    if !serde.parameters.is_empty() {
        s.push_str(&format!(
            "WITH SERDEPROPERTIES (\n{})\n",
            serde
                .parameters
                .iter()
                .map(|(k, v)| format!("  {}={}", lit(k), lit(v)))
                .collect::<Vec<_>>()
                .join(",\n")
        ));
    }
    s.push_str(&format!(
        "STORED AS INPUTFORMAT\n  {}\nOUTPUTFORMAT\n  {}\n",
        lit(sd.input_format.as_deref().unwrap_or(TEXT_IN)),
        lit(sd.output_format.as_deref().unwrap_or(TEXT_OUT))
    ));
    if let Some(l) = &sd.location {
        s.push_str(&format!("LOCATION\n  {}\n", lit(l)));
    }
    let props: Vec<_> = t
        .parameters
        .iter()
        .filter(|(k, _)| !(external && k.as_str() == "EXTERNAL"))
        .collect();
    if !props.is_empty() {
        s.push_str(&format!(
            "TBLPROPERTIES (\n{})",
            props
                .iter()
                .map(|(k, v)| format!("  {}={}", lit(k), lit(v)))
                .collect::<Vec<_>>()
                .join(",\n")
        ));
    }
    s.trim_end().to_string()
}

fn describe(
    store: &dyn CatalogStore,
    id: &TableIdent,
    t: &Table,
    style: DescribeStyle,
    partition: Option<&PartitionSpec>,
    column: Option<&str>,
    st: &Statement,
) -> R<StatementResult> {
    let row = |c: &Column| {
        vec![
            c.name.clone(),
            c.type_.clone(),
            c.comment.clone().unwrap_or_default(),
        ]
    };
    let heads = ["col_name", "data_type", "comment"];
    if let Some(c) = column {
        let col = t
            .columns()
            .iter()
            .chain(&t.partition_keys)
            .find(|x| x.name == c.to_lowercase())
            .ok_or_else(|| Error::not_found(format!("table {id} has no column {c}")))?;
        return Ok(rows(st, &heads, vec![row(col)]));
    }
    let mut out: Vec<Vec<String>> = t
        .columns()
        .iter()
        .chain(&t.partition_keys)
        .map(row)
        .collect();
    if !t.partition_keys.is_empty() {
        out.push(vec![String::new(), String::new(), String::new()]);
        out.push(vec![
            "# Partition Information".into(),
            String::new(),
            String::new(),
        ]);
        out.push(vec![
            "# col_name".into(),
            "data_type".into(),
            "comment".into(),
        ]);
        out.extend(t.partition_keys.iter().map(row));
    }
    let part = match partition {
        Some(spec) => {
            let v = values_of(t, spec, false)?;
            Some(store.get_partition(id, &v)?)
        }
        None => None,
    };
    let kv = |k: &str, v: String| vec![k.to_string(), v, String::new()];
    match style {
        DescribeStyle::Plain => {}
        DescribeStyle::Extended => {
            out.push(vec![String::new(), String::new(), String::new()]);
            let detail = match &part {
                Some(p) => format!("{p:?}"),
                None => format!("{t:?}"),
            };
            out.push(vec![
                if part.is_some() {
                    "Detailed Partition Information"
                } else {
                    "Detailed Table Information"
                }
                .into(),
                detail,
                String::new(),
            ]);
        }
        DescribeStyle::Formatted => {
            let sd = part
                .as_ref()
                .and_then(|p| p.storage_descriptor.clone())
                .or_else(|| t.storage_descriptor.clone())
                .unwrap_or_default();
            out.push(vec![String::new(), String::new(), String::new()]);
            if let Some(p) = &part {
                out.push(kv("# Detailed Partition Information", String::new()));
                out.push(kv("Partition Value:", format!("[{}]", p.values.join(", "))));
                out.push(kv("Database:", id.database.as_str().into()));
                out.push(kv("Table:", id.name.as_str().into()));
                out.push(kv("CreateTime:", p.create_time.to_string()));
                out.push(kv("Location:", sd.location.clone().unwrap_or_default()));
            } else {
                out.push(kv("# Detailed Table Information", String::new()));
                out.push(kv("Database:", id.database.as_str().into()));
                out.push(kv("Owner:", t.owner.clone().unwrap_or_default()));
                out.push(kv("CreateTime:", t.create_time.to_string()));
                out.push(kv("Location:", sd.location.clone().unwrap_or_default()));
                out.push(kv(
                    "Table Type:",
                    t.table_type
                        .map(|x| x.as_str().to_string())
                        .unwrap_or_default(),
                ));
                out.push(kv("Table Parameters:", String::new()));
                for (k, v) in &t.parameters {
                    out.push(vec![String::new(), k.clone(), v.clone()]);
                }
            }
            out.push(vec![String::new(), String::new(), String::new()]);
            out.push(kv("# Storage Information", String::new()));
            let serde = sd.serde_info.clone().unwrap_or_default();
            out.push(kv(
                "SerDe Library:",
                serde.serialization_library.unwrap_or_default(),
            ));
            out.push(kv(
                "InputFormat:",
                sd.input_format.clone().unwrap_or_default(),
            ));
            out.push(kv(
                "OutputFormat:",
                sd.output_format.clone().unwrap_or_default(),
            ));
            out.push(kv(
                "Compressed:",
                if sd.compressed { "Yes" } else { "No" }.into(),
            ));
            out.push(kv(
                "Num Buckets:",
                sd.number_of_buckets.unwrap_or(-1).to_string(),
            ));
            out.push(kv(
                "Bucket Columns:",
                format!("[{}]", sd.bucket_columns.join(", ")),
            ));
            out.push(kv(
                "Sort Columns:",
                format!(
                    "[{}]",
                    sd.sort_columns
                        .iter()
                        .map(|o| format!("Order(col:{}, order:{})", o.column, o.sort_order))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            out.push(kv("Storage Desc Params:", String::new()));
            for (k, v) in &serde.parameters {
                out.push(vec![String::new(), k.clone(), v.clone()]);
            }
        }
    }
    Ok(rows(st, &heads, out))
}
