//! Apache Iceberg: the table's current metadata file, registered the way
//! PyIceberg's Hive and Glue catalogs (and lakecat's Iceberg REST front) register
//! it, so that a crawled table loads in every Iceberg catalog client.
//!
//! Which file is current: the one `metadata/version-hint.text` names (Hadoop
//! tables), else the highest version among `vN.metadata.json` and
//! `NNNNN-<uuid>.metadata.json` (catalog tables), newest write first on a tie.

use super::RootFiles;
use crate::compression::Compression;
use crate::infer::Classification;
use crate::table::CrawledTable;
use lakecat_catalog_api::names::TableName;
use std::io::Read;

const DIR: &str = "metadata/";

/// The version in a metadata file's name, and whether it is gzip-compressed.
fn version(name: &str) -> Option<(u64, bool)> {
    let stem = name.strip_suffix(".metadata.json")?;
    let (stem, gz) = match stem.strip_suffix(".gz") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    if let Some(n) = stem.strip_prefix('v') {
        return n.parse().ok().map(|v| (v, gz));
    }
    let (n, uuid) = stem.split_once('-')?;
    (n.bytes().all(|b| b.is_ascii_digit()) && uuid.len() == 36)
        .then(|| n.parse().ok().map(|v| (v, gz)))
        .flatten()
}

pub fn is_metadata_file(name: &str) -> bool {
    version(name).is_some()
}

/// The number in a `metadata_location`'s file name, to tell which of two
/// registrations of one table is newer.
pub fn location_version(location: &str) -> Option<u64> {
    version(location.rsplit('/').next()?).map(|(v, _)| v)
}

pub async fn read(files: &RootFiles<'_>, name: &str) -> Result<CrawledTable, String> {
    let mut candidates: Vec<(u64, &str, bool)> = files
        .files
        .keys()
        .filter_map(|rel| {
            let file = rel.strip_prefix(DIR).filter(|f| !f.contains('/'))?;
            version(file).map(|(v, gz)| (v, rel.as_str(), gz))
        })
        .collect();
    candidates.sort();
    let hint_rel = format!("{DIR}version-hint.text");
    let hinted = if files.files.contains_key(&hint_rel) {
        let text = files.read(&hint_rel).await?;
        String::from_utf8_lossy(&text).trim().parse::<u64>().ok()
    } else {
        None
    };
    let current = match hinted {
        Some(h) => candidates
            .iter()
            .rev()
            .find(|(v, _, _)| *v == h)
            .or(candidates.last()),
        None => candidates.last(),
    };
    let Some(&(_, rel, gz)) = current else {
        return Err(format!("{}{DIR} has no metadata file", files.url));
    };
    let bytes = files.read(rel).await?;
    let text = if gz {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .take(super::MAX_METADATA_FILE)
            .read_to_end(&mut out)
            .map_err(|e| format!("{}{rel}: not gzip: {e}", files.url))?;
        out
    } else {
        bytes.to_vec()
    };
    let m: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| format!("{}{rel} is not JSON: {e}", files.url))?;
    if m["format-version"].as_i64().is_none() {
        return Err(format!(
            "{}{rel} has no format-version: not Iceberg metadata",
            files.url
        ));
    }
    let metadata_location = format!("{}{rel}", files.url);
    let table_name = TableName::new(name).map_err(|e| e.message)?;
    let mut table = lakecat_catalog_api::iceberg::table_entry(table_name, &metadata_location, &m)
        .map_err(|e| format!("{metadata_location}: {e}"))?;
    let mut notes = Vec::new();
    let location = m["location"].as_str().unwrap_or_default();
    let plain = |u: &str| {
        let u = u.trim_end_matches('/');
        u.strip_prefix("file://")
            .or(u.strip_prefix("file:"))
            .unwrap_or(u)
            .to_string()
    };
    if plain(location) != plain(&files.url) {
        notes.push(format!(
            "{metadata_location} says the table lives at {location}; it was found at {}",
            files.url
        ));
    }
    table.owner = Some("owner".into());
    // The folder as this crawl names it, so that the next crawl finds the same table.
    if let Some(sd) = table.storage_descriptor.as_mut() {
        sd.location = Some(files.url.clone());
    }
    Ok(CrawledTable {
        table,
        partitions: vec![],
        location: files.url.clone(),
        classification: Classification::Iceberg,
        compression: Compression::None,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_file_names() {
        assert_eq!(version("v12.metadata.json"), Some((12, false)));
        assert_eq!(
            version("00003-d72311ad-509b-4664-929b-8568489f4753.metadata.json"),
            Some((3, false))
        );
        assert_eq!(
            version("00003-d72311ad-509b-4664-929b-8568489f4753.gz.metadata.json"),
            Some((3, true))
        );
        assert_eq!(version("snap-1-1-abc.avro"), None);
        assert_eq!(version("x.metadata.json"), None);
        assert_eq!(
            location_version(
                "s3://b/t/metadata/00010-d72311ad-509b-4664-929b-8568489f4753.metadata.json"
            ),
            Some(10)
        );
    }
}
