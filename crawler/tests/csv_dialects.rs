//! Dialect detection on testdata/csv-dialects: hard cases written after the
//! failure kinds seen on the public CSVsniffer corpora (`:` in timestamps,
//! decimal commas, quotes and delimiters inside text, comments and preambles,
//! UTF-16 and legacy encodings, rows longer than the crawler's sample). Each
//! file is read as the crawler reads it (a sample of its head) and, beside it,
//! by csv-nose alone on the whole file: lakecat must get every file right, and
//! its score is printed next to the sniffer's.

use lakecat_crawler::infer::{text, SampleOptions};
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/csv-dialects")
}

fn delimiter(name: &str) -> u8 {
    match name {
        "comma" => b',',
        "semicolon" => b';',
        "tab" => b'\t',
        "colon" => b':',
        "pipe" => b'|',
        "ctrl-a" => 1,
        other => panic!("annotation names an unknown delimiter {other:?}"),
    }
}

/// Right when the delimiter matches, and the quote matches wherever the file
/// holds a quote character at all (a file without one has no quote to find).
fn right(bytes: &[u8], want: (u8, Option<u8>), got: (u8, Option<u8>)) -> bool {
    let has_quotes = bytes.iter().any(|&b| b == b'"' || b == b'\'');
    want.0 == got.0 && (want.1 == got.1 || !has_quotes && got.1.is_none_or(|q| q == b'"'))
}

#[test]
fn every_hard_case_is_read_with_its_dialect() {
    let annotations = std::fs::read_to_string(corpus().join("annotations.txt")).unwrap();
    // The crawler's sample, smaller than Glue's 1 MB so that one small file of
    // the corpus is longer than it.
    let opts = SampleOptions {
        max_records: 1000,
        max_bytes: 64 << 10,
    };
    let (mut ours, mut theirs, mut total) = (0, 0, 0);
    let mut wrong = Vec::new();
    for line in annotations.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('|').collect();
        let (file, want) = (f[0], (delimiter(f[1]), f[2].as_bytes().first().copied()));
        let bytes = std::fs::read(corpus().join(file)).unwrap();
        total += 1;
        let sample = &bytes[..bytes.len().min(opts.max_bytes)];
        let got = match text::infer(sample, sample.len() == bytes.len(), opts) {
            Ok(s) => match s.csv {
                Some(d) => (
                    d.delimiter.as_bytes()[0],
                    d.quote.as_ref().map(|q| q.as_bytes()[0]),
                ),
                None => (0, None),
            },
            Err(e) => {
                wrong.push(format!("{file}: not read as delimited text: {e}"));
                continue;
            }
        };
        if right(&bytes, want, got) {
            ours += 1;
        } else {
            wrong.push(format!(
                "{file}: read as {:?} quoted {:?}, is {:?} quoted {:?}",
                got.0 as char,
                got.1.map(char::from),
                want.0 as char,
                want.1.map(char::from)
            ));
        }
        let alone = csv_nose::Sniffer::new().sniff_bytes(&bytes);
        if let Ok(m) = alone {
            let q = match m.dialect.quote {
                csv_nose::Quote::Some(q) => Some(q),
                csv_nose::Quote::None => None,
            };
            if right(&bytes, want, (m.dialect.delimiter, q)) {
                theirs += 1;
            }
        }
    }
    println!("dialects right: lakecat {ours}/{total}, csv-nose alone {theirs}/{total}");
    assert!(
        wrong.is_empty(),
        "{} of {total} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
