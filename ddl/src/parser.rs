//! A front end over sqlparser's tokenizer and parser primitives for the HiveQL DDL
//! Athena accepts. sqlparser's own statement parser is not used: for this DDL it
//! fails on common forms (several partitions with their own LOCATION, `STRUCT<a:INT>`,
//! `CREATE EXTERNAL TABLE … COMMENT`) and misreads `SHOW PARTITIONS db.t` silently.
//! Every statement must be consumed to its end; nothing trailing is ignored.

use crate::ast::*;
use crate::error::{DdlError, DdlErrorKind};
use lakecat_catalog_api::types::HiveType;
use sqlparser::dialect::{Dialect, HiveDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use std::any::TypeId;

/// Hive's dialect, with backslash escapes in strings (Hive's lexer has them) so that
/// `'\''` ends where Hive says it does; the escapes themselves are undone by
/// [`unescape`], Hive's way (`'\001'` is the byte 1).
#[derive(Debug)]
struct Dia;

impl Dialect for Dia {
    fn dialect(&self) -> TypeId {
        TypeId::of::<HiveDialect>()
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_ascii_alphabetic() || ch == '_' || ch == '$'
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_ascii_alphanumeric() || ch == '_' || ch == '$'
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`'
    }
    fn supports_string_literal_backslash_escape(&self) -> bool {
        true
    }
    fn supports_hash_comment(&self) -> bool {
        true
    }
}

/// One parsed statement and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub statement: Statement,
    /// 0-based position in the script.
    pub index: usize,
    pub line: u64,
    pub column: u64,
}

/// Undoes Hive's string escapes: `\\` `\'` `\"` `\t` `\n` `\r` `\0`-style octal
/// (`\001`), `\uXXXX`; any other escaped character is itself.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = (0..4)
                    .filter_map(|_| it.next_if(|c| c.is_ascii_hexdigit()))
                    .collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push('u');
                        out.push_str(&hex);
                    }
                }
            }
            Some(d) if d.is_digit(8) => {
                let mut v = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.next_if(|c| c.is_digit(8)) {
                        Some(n) => v = v * 8 + n.to_digit(8).unwrap_or(0),
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Statements that are SQL but not DDL lakecat runs.
const UNSUPPORTED: [&str; 14] = [
    "SELECT", "INSERT", "WITH", "UPDATE", "DELETE", "MERGE", "VALUES", "EXPLAIN", "TRUNCATE",
    "ANALYZE", "LOAD", "EXPORT", "IMPORT", "UNLOAD",
];

/// Parses a script of `;`-separated statements.
pub fn parse(sql: &str) -> Result<Vec<Parsed>, DdlError> {
    let tokens = Tokenizer::new(&Dia, sql)
        .with_unescape(false)
        .tokenize_with_location()
        .map_err(|e| DdlError {
            kind: DdlErrorKind::Syntax,
            message: e.message.clone(),
            line: e.location.line,
            column: e.location.column,
            statement: 0,
        })?;
    let mut statements = Vec::new();
    let mut current: Vec<TokenWithSpan> = Vec::new();
    let mut index = 0;
    let flush = |current: &mut Vec<TokenWithSpan>, index: &mut usize, out: &mut Vec<Parsed>| {
        let toks: Vec<TokenWithSpan> = std::mem::take(current)
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect();
        if toks.is_empty() {
            return Ok(());
        }
        let start = toks[0].span.start;
        let st = StatementParser::new(toks, *index).statement()?;
        out.push(Parsed {
            statement: st,
            index: *index,
            line: start.line,
            column: start.column,
        });
        *index += 1;
        Ok::<(), DdlError>(())
    };
    for t in tokens {
        if t.token == Token::SemiColon {
            flush(&mut current, &mut index, &mut statements)?;
        } else {
            current.push(t);
        }
    }
    flush(&mut current, &mut index, &mut statements)?;
    Ok(statements)
}

struct StatementParser {
    p: Parser<'static>,
    index: usize,
    /// Where the statement's last token ends: where an error "at the end of the
    /// statement" is (sqlparser's end-of-input token has no location).
    end: sqlparser::tokenizer::Location,
}

type R<T> = Result<T, DdlError>;

impl StatementParser {
    fn new(tokens: Vec<TokenWithSpan>, index: usize) -> Self {
        static D: Dia = Dia;
        let end = tokens
            .last()
            .map_or(sqlparser::tokenizer::Location::new(1, 1), |t| t.span.end);
        StatementParser {
            p: Parser::new(&D).with_tokens_with_locations(tokens),
            index,
            end,
        }
    }

    fn peek(&self) -> TokenWithSpan {
        self.p.peek_token()
    }

    fn error_at(&self, t: &TokenWithSpan, kind: DdlErrorKind, message: String) -> DdlError {
        let at = if t.span.start.line == 0 {
            self.end
        } else {
            t.span.start
        };
        DdlError {
            kind,
            message,
            line: at.line,
            column: at.column,
            statement: self.index,
        }
    }

    fn expected<T>(&self, what: &str) -> R<T> {
        let t = self.peek();
        let found = match &t.token {
            Token::EOF => "the end of the statement".to_string(),
            other => format!("{other}"),
        };
        Err(self.error_at(
            &t,
            DdlErrorKind::Syntax,
            format!("expected {what}, found {found}"),
        ))
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
    }

    fn word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.p.next_token();
            true
        } else {
            false
        }
    }

    fn words(&mut self, ws: &[&str]) -> bool {
        let start = self.p.index();
        for w in ws {
            if !self.word(w) {
                while self.p.index() > start {
                    self.p.prev_token();
                }
                return false;
            }
        }
        true
    }

    fn expect_word(&mut self, w: &str) -> R<()> {
        if self.word(w) {
            Ok(())
        } else {
            self.expected(w)
        }
    }

    fn token(&mut self, t: &Token) -> bool {
        self.p.consume_token(t)
    }

    fn expect_token(&mut self, t: &Token) -> R<()> {
        if self.token(t) {
            Ok(())
        } else {
            self.expected(&format!("{t}"))
        }
    }

    fn end(&mut self) -> R<()> {
        if self.peek().token == Token::EOF {
            Ok(())
        } else {
            self.expected("the end of the statement")
        }
    }

    fn ident(&mut self) -> R<String> {
        match self.peek().token {
            Token::Word(w) => {
                self.p.next_token();
                Ok(w.value.to_lowercase())
            }
            _ => self.expected("a name"),
        }
    }

    fn qname(&mut self) -> R<QualifiedName> {
        let first = self.ident()?;
        if self.token(&Token::Period) {
            Ok(QualifiedName {
                database: Some(first),
                name: self.ident()?,
            })
        } else {
            Ok(QualifiedName {
                database: None,
                name: first,
            })
        }
    }

    fn string(&mut self) -> R<String> {
        match self.peek().token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                self.p.next_token();
                Ok(unescape(&s))
            }
            _ => self.expected("a quoted string"),
        }
    }

    fn props(&mut self) -> R<Properties> {
        self.expect_token(&Token::LParen)?;
        let mut out = Vec::new();
        loop {
            let k = self.string()?;
            self.expect_token(&Token::Eq)?;
            let v = self.string()?;
            out.push((k, v));
            if !self.token(&Token::Comma) {
                break;
            }
        }
        self.expect_token(&Token::RParen)?;
        Ok(out)
    }

    /// `(k = 'v', k2 = 3, …)`; with `partial`, a key may come without a value (not used
    /// by Hive's grammar, so not accepted).
    fn spec(&mut self) -> R<PartitionSpec> {
        self.expect_token(&Token::LParen)?;
        let mut out = Vec::new();
        loop {
            let k = self.ident()?;
            self.expect_token(&Token::Eq)?;
            let v = match self.peek().token {
                Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                    self.p.next_token();
                    unescape(&s)
                }
                Token::Number(n, _) => {
                    self.p.next_token();
                    n
                }
                Token::Minus => {
                    self.p.next_token();
                    match self.peek().token {
                        Token::Number(n, _) => {
                            self.p.next_token();
                            format!("-{n}")
                        }
                        _ => return self.expected("a number"),
                    }
                }
                _ => return self.expected("a partition value (a quoted string or a number)"),
            };
            out.push((k, v));
            if !self.token(&Token::Comma) {
                break;
            }
        }
        self.expect_token(&Token::RParen)?;
        Ok(out)
    }

    /// A Hive type, gathered token by token and checked by the catalog's grammar.
    fn data_type(&mut self) -> R<String> {
        let start = self.peek();
        let mut text = String::new();
        let mut depth: i32 = 0;
        let mut prev_word = false;
        loop {
            let t = self.peek();
            let stop = depth == 0
                && (matches!(t.token, Token::Comma | Token::RParen | Token::EOF)
                    || matches!(&t.token, Token::Word(w) if w.value.eq_ignore_ascii_case("COMMENT")));
            if stop || t.token == Token::EOF {
                break;
            }
            match &t.token {
                Token::Lt | Token::LParen => depth += 1,
                Token::Gt | Token::RParen => depth -= 1,
                Token::ShiftRight => depth -= 2,
                _ => {}
            }
            if depth < 0 {
                break;
            }
            let is_word = matches!(t.token, Token::Word(_) | Token::SingleQuotedString(_));
            if is_word && prev_word {
                text.push(' ');
            }
            prev_word = is_word;
            match &t.token {
                Token::SingleQuotedString(s) => text.push_str(&format!("'{s}'")),
                Token::Word(w) => text.push_str(&w.value),
                other => text.push_str(&other.to_string()),
            }
            self.p.next_token();
        }
        if text.is_empty() {
            return self.expected("a column type");
        }
        HiveType::parse(&text).map(|t| t.to_string()).map_err(|e| {
            self.error_at(
                &start,
                DdlErrorKind::Syntax,
                format!("invalid type {text:?}: {e}"),
            )
        })
    }

    fn column_defs(&mut self) -> R<Vec<ColumnDef>> {
        self.expect_token(&Token::LParen)?;
        let mut out = Vec::new();
        loop {
            let name = self.ident()?;
            let data_type = self.data_type()?;
            let comment = if self.word("COMMENT") {
                Some(self.string()?)
            } else {
                None
            };
            out.push(ColumnDef {
                name,
                data_type,
                comment,
            });
            if !self.token(&Token::Comma) {
                break;
            }
        }
        self.expect_token(&Token::RParen)?;
        Ok(out)
    }

    fn ident_list(&mut self) -> R<Vec<String>> {
        self.expect_token(&Token::LParen)?;
        let mut out = vec![self.ident()?];
        while self.token(&Token::Comma) {
            out.push(self.ident()?);
        }
        self.expect_token(&Token::RParen)?;
        Ok(out)
    }

    fn unsupported<T>(&self, what: &str) -> R<T> {
        let t = self.peek();
        Err(self.error_at(
            &t,
            DdlErrorKind::Unsupported,
            format!("{what} is not supported: lakecat runs catalog DDL (CREATE, DROP, ALTER, MSCK, SHOW, DESCRIBE, USE, GRANT, REVOKE)"),
        ))
    }

    fn statement(mut self) -> R<Statement> {
        let first = self.peek();
        if let Token::Word(w) = &first.token {
            let up = w.value.to_uppercase();
            if UNSUPPORTED.contains(&up.as_str()) {
                return self.unsupported(&format!("{up} statements"));
            }
        }
        let st = if self.word("CREATE") {
            self.create()?
        } else if self.word("DROP") {
            self.drop()?
        } else if self.word("ALTER") {
            self.expect_word("TABLE")?;
            self.alter()?
        } else if self.word("MSCK") {
            self.expect_word("REPAIR")?;
            self.expect_word("TABLE")?;
            let table = self.qname()?;
            let mode = if self.word("ADD") {
                RepairMode::Add
            } else if self.word("DROP") {
                RepairMode::Drop
            } else if self.word("SYNC") {
                RepairMode::Sync
            } else {
                self.end()?;
                return Ok(Statement::RepairTable {
                    table,
                    mode: RepairMode::Add,
                });
            };
            self.expect_word("PARTITIONS")?;
            Statement::RepairTable { table, mode }
        } else if self.word("SHOW") {
            self.show()?
        } else if self.word("DESCRIBE") || self.word("DESC") {
            let style = if self.word("EXTENDED") {
                DescribeStyle::Extended
            } else if self.word("FORMATTED") {
                DescribeStyle::Formatted
            } else {
                DescribeStyle::Plain
            };
            let table = self.qname()?;
            let partition = if self.word("PARTITION") {
                Some(self.spec()?)
            } else {
                None
            };
            let column = if self.peek().token != Token::EOF {
                Some(self.ident()?)
            } else {
                None
            };
            Statement::Describe {
                table,
                style,
                partition,
                column,
            }
        } else if self.word("USE") {
            Statement::Use {
                database: self.ident()?,
            }
        } else if self.word("GRANT") {
            self.grant(true)?
        } else if self.word("REVOKE") {
            self.grant(false)?
        } else {
            return self
                .expected("a DDL statement (CREATE, DROP, ALTER, MSCK, SHOW, DESCRIBE or USE)");
        };
        self.end()?;
        Ok(st)
    }

    fn create(&mut self) -> R<Statement> {
        if self.word("DATABASE") || self.word("SCHEMA") {
            let if_not_exists = self.words(&["IF", "NOT", "EXISTS"]);
            let name = self.ident()?;
            let (mut comment, mut location, mut properties) = (None, None, Vec::new());
            loop {
                if comment.is_none() && self.word("COMMENT") {
                    comment = Some(self.string()?);
                } else if location.is_none() && self.word("LOCATION") {
                    location = Some(self.string()?);
                } else if properties.is_empty() && self.words(&["WITH", "DBPROPERTIES"]) {
                    properties = self.props()?;
                } else {
                    break;
                }
            }
            return Ok(Statement::CreateDatabase {
                name,
                if_not_exists,
                comment,
                location,
                properties,
            });
        }
        let external = self.word("EXTERNAL");
        if self.word("VIEW") || self.words(&["OR", "REPLACE"]) {
            return self.unsupported("CREATE VIEW");
        }
        if self.word("TEMPORARY") {
            return self.unsupported("CREATE TEMPORARY TABLE");
        }
        self.expect_word("TABLE")?;
        let if_not_exists = self.words(&["IF", "NOT", "EXISTS"]);
        let name = self.qname()?;
        if self.is_word("AS") || self.is_word("LIKE") {
            return self.unsupported("CREATE TABLE AS/LIKE");
        }
        let columns = if self.peek().token == Token::LParen {
            self.column_defs()?
        } else {
            Vec::new()
        };
        let mut t = CreateTable {
            name,
            external,
            if_not_exists,
            columns,
            comment: None,
            partitioned_by: vec![],
            clustered_by: None,
            row_format: None,
            stored_as: None,
            location: None,
            properties: vec![],
        };
        let mut seen = std::collections::HashSet::new();
        loop {
            let at = self.peek();
            let clause = if self.word("COMMENT") {
                t.comment = Some(self.string()?);
                "COMMENT"
            } else if self.words(&["PARTITIONED", "BY"]) {
                t.partitioned_by = self.column_defs()?;
                "PARTITIONED BY"
            } else if self.words(&["CLUSTERED", "BY"]) {
                let columns = self.ident_list()?;
                let mut sorted_by = Vec::new();
                if self.words(&["SORTED", "BY"]) {
                    self.expect_token(&Token::LParen)?;
                    loop {
                        let c = self.ident()?;
                        let asc = if self.word("DESC") {
                            false
                        } else {
                            self.word("ASC");
                            true
                        };
                        sorted_by.push((c, asc));
                        if !self.token(&Token::Comma) {
                            break;
                        }
                    }
                    self.expect_token(&Token::RParen)?;
                }
                self.expect_word("INTO")?;
                let n = match self.peek().token {
                    Token::Number(n, _) => {
                        self.p.next_token();
                        n.parse::<u32>().ok().filter(|n| *n > 0)
                    }
                    _ => None,
                };
                let Some(buckets) = n else {
                    return self.expected("a positive number of buckets");
                };
                self.expect_word("BUCKETS")?;
                t.clustered_by = Some(Bucketing {
                    columns,
                    sorted_by,
                    buckets,
                });
                "CLUSTERED BY"
            } else if self.words(&["ROW", "FORMAT"]) {
                t.row_format = Some(self.row_format()?);
                "ROW FORMAT"
            } else if self.words(&["STORED", "AS"]) {
                t.stored_as = Some(if self.word("INPUTFORMAT") {
                    let input = self.string()?;
                    self.expect_word("OUTPUTFORMAT")?;
                    StoredAs::InputOutput {
                        input,
                        output: self.string()?,
                    }
                } else {
                    let f = self.ident()?.to_uppercase();
                    const FORMATS: [&str; 8] = [
                        "TEXTFILE",
                        "PARQUET",
                        "ORC",
                        "AVRO",
                        "JSON",
                        "ION",
                        "SEQUENCEFILE",
                        "RCFILE",
                    ];
                    if !FORMATS.contains(&f.as_str()) {
                        self.p.prev_token();
                        return self
                            .expected(&format!("a storage format ({})", FORMATS.join(", ")));
                    }
                    StoredAs::Format(f)
                });
                "STORED AS"
            } else if self.word("LOCATION") {
                t.location = Some(self.string()?);
                "LOCATION"
            } else if self.word("TBLPROPERTIES") {
                t.properties = self.props()?;
                "TBLPROPERTIES"
            } else {
                break;
            };
            if !seen.insert(clause) {
                return Err(self.error_at(
                    &at,
                    DdlErrorKind::Syntax,
                    format!("{clause} appears twice"),
                ));
            }
        }
        if t.columns.is_empty()
            && !matches!(t.stored_as, Some(StoredAs::Format(ref f)) if f == "AVRO")
        {
            return self.expected("a column list");
        }
        Ok(Statement::CreateTable(Box::new(t)))
    }

    fn row_format(&mut self) -> R<RowFormat> {
        if self.word("SERDE") {
            let class = self.string()?;
            let properties = if self.words(&["WITH", "SERDEPROPERTIES"]) {
                self.props()?
            } else {
                vec![]
            };
            return Ok(RowFormat::Serde { class, properties });
        }
        self.expect_word("DELIMITED")?;
        let (mut f, mut e, mut c, mut m, mut l, mut n) = (None, None, None, None, None, None);
        loop {
            if self.words(&["FIELDS", "TERMINATED", "BY"]) {
                f = Some(self.string()?);
                if self.words(&["ESCAPED", "BY"]) {
                    e = Some(self.string()?);
                }
            } else if self.words(&["COLLECTION", "ITEMS", "TERMINATED", "BY"]) {
                c = Some(self.string()?);
            } else if self.words(&["MAP", "KEYS", "TERMINATED", "BY"]) {
                m = Some(self.string()?);
            } else if self.words(&["LINES", "TERMINATED", "BY"]) {
                l = Some(self.string()?);
            } else if self.words(&["NULL", "DEFINED", "AS"]) {
                n = Some(self.string()?);
            } else {
                break;
            }
        }
        Ok(RowFormat::Delimited {
            fields_terminated_by: f,
            escaped_by: e,
            collection_items_terminated_by: c,
            map_keys_terminated_by: m,
            lines_terminated_by: l,
            null_defined_as: n,
        })
    }

    fn drop(&mut self) -> R<Statement> {
        if self.word("DATABASE") || self.word("SCHEMA") {
            let if_exists = self.words(&["IF", "EXISTS"]);
            let name = self.ident()?;
            let cascade = if self.word("CASCADE") {
                true
            } else {
                self.word("RESTRICT");
                false
            };
            return Ok(Statement::DropDatabase {
                name,
                if_exists,
                cascade,
            });
        }
        if self.word("VIEW") {
            return self.unsupported("DROP VIEW");
        }
        self.expect_word("TABLE")?;
        let if_exists = self.words(&["IF", "EXISTS"]);
        let name = self.qname()?;
        self.word("PURGE");
        Ok(Statement::DropTable { name, if_exists })
    }

    fn alter(&mut self) -> R<Statement> {
        let table = self.qname()?;
        if self.word("ADD") {
            if self.word("COLUMNS") {
                return Ok(Statement::AddColumns {
                    table,
                    columns: self.column_defs()?,
                });
            }
            let if_not_exists = self.words(&["IF", "NOT", "EXISTS"]);
            let mut partitions = Vec::new();
            while self.word("PARTITION") {
                let spec = self.spec()?;
                let loc = if self.word("LOCATION") {
                    Some(self.string()?)
                } else {
                    None
                };
                partitions.push((spec, loc));
            }
            if partitions.is_empty() {
                return self.expected("PARTITION or COLUMNS");
            }
            return Ok(Statement::AddPartitions {
                table,
                if_not_exists,
                partitions,
            });
        }
        if self.word("DROP") {
            let if_exists = self.words(&["IF", "EXISTS"]);
            let mut partitions = Vec::new();
            loop {
                self.expect_word("PARTITION")?;
                partitions.push(self.spec()?);
                if !self.token(&Token::Comma) {
                    break;
                }
            }
            self.word("PURGE");
            return Ok(Statement::DropPartitions {
                table,
                if_exists,
                partitions,
            });
        }
        if self.words(&["REPLACE", "COLUMNS"]) {
            return Ok(Statement::ReplaceColumns {
                table,
                columns: self.column_defs()?,
            });
        }
        if self.words(&["SET", "TBLPROPERTIES"]) {
            return Ok(Statement::SetTblProperties {
                table,
                properties: self.props()?,
            });
        }
        if self.words(&["SET", "LOCATION"]) {
            return Ok(Statement::SetLocation {
                table,
                partition: None,
                location: self.string()?,
            });
        }
        if self.words(&["RECOVER", "PARTITIONS"]) {
            return Ok(Statement::RepairTable {
                table,
                mode: RepairMode::Add,
            });
        }
        if self.word("PARTITION") {
            let spec = self.spec()?;
            if self.words(&["SET", "LOCATION"]) {
                return Ok(Statement::SetLocation {
                    table,
                    partition: Some(spec),
                    location: self.string()?,
                });
            }
            if self.words(&["RENAME", "TO", "PARTITION"]) {
                return Ok(Statement::RenamePartition {
                    table,
                    from: spec,
                    to: self.spec()?,
                });
            }
            return self.expected("SET LOCATION or RENAME TO PARTITION");
        }
        if self.words(&["RENAME", "TO"]) {
            return Ok(Statement::RenameTable {
                table,
                to: self.qname()?,
            });
        }
        if self.is_word("RENAME") || self.is_word("CHANGE") || self.is_word("SET") {
            return self.unsupported(&format!("ALTER TABLE … {}", self.peek().token));
        }
        self.expected("ADD, DROP, REPLACE COLUMNS, SET, PARTITION or RECOVER PARTITIONS")
    }

    /// `GRANT privs ON object TO USER name`, `REVOKE privs ON object FROM USER name`
    /// (Hive's form; privileges are checked by the executor).
    fn grant(&mut self, grant: bool) -> R<Statement> {
        let mut privileges = vec![self.ident()?];
        while self.token(&Token::Comma) {
            privileges.push(self.ident()?);
        }
        // Privileges are names, folded like any: SELECT and select are one.
        self.expect_word("ON")?;
        let object = self.grant_object()?;
        self.expect_word(if grant { "TO" } else { "FROM" })?;
        let principal = self.grantee()?;
        if grant && self.words(&["WITH", "GRANT", "OPTION"]) {
            return self.unsupported("WITH GRANT OPTION");
        }
        Ok(Statement::Grant {
            grant,
            privileges,
            object,
            principal,
        })
    }

    fn grant_object(&mut self) -> R<GrantObject> {
        if self.word("TABLE") {
            return Ok(GrantObject::Table(self.qname()?));
        }
        if self.word("DATABASE") || self.word("SCHEMA") {
            return Ok(GrantObject::Database(self.ident()?));
        }
        if self.word("CATALOG") || self.word("SERVER") {
            return Ok(GrantObject::Catalog);
        }
        self.expected("TABLE, DATABASE, SCHEMA, CATALOG or SERVER")
    }

    fn grantee(&mut self) -> R<String> {
        if self.word("ROLE") || self.word("GROUP") {
            return self.unsupported("roles and groups (grant to USER)");
        }
        self.expect_word("USER")?;
        self.principal()
    }

    /// A user name as written: access keys are upper case, and names are not
    /// folded as catalog names are.
    fn principal(&mut self) -> R<String> {
        match self.peek().token {
            Token::SingleQuotedString(_) => self.string(),
            Token::Word(w) => {
                self.p.next_token();
                Ok(w.value)
            }
            _ => self.expected("a user name"),
        }
    }

    fn show(&mut self) -> R<Statement> {
        if self.word("GRANT") {
            let principal = if self.word("USER") {
                Some(self.principal()?)
            } else {
                None
            };
            let object = if self.word("ON") {
                Some(self.grant_object()?)
            } else {
                None
            };
            return Ok(Statement::ShowGrant { principal, object });
        }
        if self.word("DATABASES") || self.word("SCHEMAS") {
            let like =
                if self.word("LIKE") || matches!(self.peek().token, Token::SingleQuotedString(_)) {
                    Some(self.string()?)
                } else {
                    None
                };
            return Ok(Statement::ShowDatabases { like });
        }
        if self.word("TABLES") {
            let database = if self.word("IN") || self.word("FROM") {
                Some(self.ident()?)
            } else {
                None
            };
            let pattern =
                if self.word("LIKE") || matches!(self.peek().token, Token::SingleQuotedString(_)) {
                    Some(self.string()?)
                } else {
                    None
                };
            return Ok(Statement::ShowTables { database, pattern });
        }
        if self.word("PARTITIONS") {
            let table = self.qname()?;
            let partition = if self.word("PARTITION") {
                Some(self.spec()?)
            } else {
                None
            };
            return Ok(Statement::ShowPartitions { table, partition });
        }
        if self.words(&["CREATE", "TABLE"]) {
            return Ok(Statement::ShowCreateTable {
                table: self.qname()?,
            });
        }
        if self.word("TBLPROPERTIES") {
            let table = self.qname()?;
            let key = if self.token(&Token::LParen) {
                let k = self.string()?;
                self.expect_token(&Token::RParen)?;
                Some(k)
            } else {
                None
            };
            return Ok(Statement::ShowTblProperties { table, key });
        }
        if self.word("COLUMNS") {
            if !(self.word("IN") || self.word("FROM")) {
                return self.expected("IN or FROM");
            }
            let mut table = self.qname()?;
            if self.word("IN") || self.word("FROM") {
                table.database = Some(self.ident()?);
            }
            return Ok(Statement::ShowColumns { table });
        }
        self.expected(
            "DATABASES, SCHEMAS, TABLES, PARTITIONS, CREATE TABLE, TBLPROPERTIES, COLUMNS or GRANT",
        )
    }
}
