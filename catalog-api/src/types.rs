//! Hive/Glue column types: parsed into a typed tree and printed back canonically.
//!
//! Glue stores a column type as free text, and every engine re-parses it. Parsing it
//! here on every write means a typo is rejected at the door, with the offending
//! position, instead of surfacing later as an engine's obscure error; printing it
//! canonically (lower case, no spaces, `integer` → `int`) means two writers of the
//! same schema store the same text.
//!
//! No maintained crate parses Hive's type grammar (sqlparser's `DataType` does not
//! take `struct<a:int>` field syntax), so this is a small recursive-descent parser.

use crate::error::{Error, Result};
use crate::limits::MAX_TYPE_LEN;
use std::fmt;

pub const MAX_DECIMAL_PRECISION: u32 = 38;
pub const DEFAULT_DECIMAL: (u32, u32) = (10, 0);
pub const MAX_CHAR_LEN: u32 = 255;
pub const MAX_VARCHAR_LEN: u32 = 65_535;
/// Nesting deeper than this is certainly a mistake, and bounding it keeps the
/// recursive parser's stack bounded for hostile input.
pub const MAX_TYPE_DEPTH: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HiveType {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    String,
    Char(u32),
    Varchar(u32),
    Binary,
    Date,
    Timestamp,
    /// Hive's `interval_year_month` / `interval_day_time` are not column types; `void`
    /// is what Hive gives an all-null column.
    Void,
    Array(Box<HiveType>),
    /// The key type must be primitive, as in Hive.
    Map(Box<HiveType>, Box<HiveType>),
    Struct(Vec<StructField>),
    Union(Vec<HiveType>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructField {
    pub name: String,
    pub ty: HiveType,
    pub comment: Option<String>,
}

/// A type-string error: where it is (0-based character offset) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.position)
    }
}

impl From<TypeError> for Error {
    fn from(e: TypeError) -> Self {
        Error::invalid(e.to_string())
    }
}

impl HiveType {
    pub fn parse(text: &str) -> Result<HiveType, TypeError> {
        if text.len() > MAX_TYPE_LEN {
            return Err(TypeError {
                position: MAX_TYPE_LEN,
                message: format!(
                    "type string is {} bytes long; the limit is {MAX_TYPE_LEN}",
                    text.len()
                ),
            });
        }
        let mut p = Parser {
            chars: text.chars().collect(),
            pos: 0,
            depth: 0,
        };
        let ty = p.parse_type()?;
        p.skip_ws();
        if p.pos < p.chars.len() {
            return Err(p.err(format!("unexpected '{}' after the type", p.chars[p.pos])));
        }
        Ok(ty)
    }

    pub fn is_primitive(&self) -> bool {
        !matches!(
            self,
            HiveType::Array(_) | HiveType::Map(..) | HiveType::Struct(_) | HiveType::Union(_)
        )
    }

    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            HiveType::TinyInt | HiveType::SmallInt | HiveType::Int | HiveType::BigInt
        )
    }

    pub fn is_string_like(&self) -> bool {
        matches!(
            self,
            HiveType::String | HiveType::Char(_) | HiveType::Varchar(_)
        )
    }
}

/// Parses and re-prints a type string; the canonical text is what gets stored.
pub fn canonical_type(text: &str) -> Result<String, TypeError> {
    HiveType::parse(text).map(|t| t.to_string())
}

fn needs_quoting(name: &str) -> bool {
    name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

impl fmt::Display for HiveType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HiveType::Boolean => f.write_str("boolean"),
            HiveType::TinyInt => f.write_str("tinyint"),
            HiveType::SmallInt => f.write_str("smallint"),
            HiveType::Int => f.write_str("int"),
            HiveType::BigInt => f.write_str("bigint"),
            HiveType::Float => f.write_str("float"),
            HiveType::Double => f.write_str("double"),
            HiveType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            HiveType::String => f.write_str("string"),
            HiveType::Char(n) => write!(f, "char({n})"),
            HiveType::Varchar(n) => write!(f, "varchar({n})"),
            HiveType::Binary => f.write_str("binary"),
            HiveType::Date => f.write_str("date"),
            HiveType::Timestamp => f.write_str("timestamp"),
            HiveType::Void => f.write_str("void"),
            HiveType::Array(t) => write!(f, "array<{t}>"),
            HiveType::Map(k, v) => write!(f, "map<{k},{v}>"),
            HiveType::Struct(fields) => {
                f.write_str("struct<")?;
                for (i, fld) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if needs_quoting(&fld.name) {
                        write!(f, "`{}`", fld.name.replace('`', "``"))?;
                    } else {
                        f.write_str(&fld.name)?;
                    }
                    write!(f, ":{}", fld.ty)?;
                    if let Some(c) = &fld.comment {
                        write!(
                            f,
                            " comment '{}'",
                            c.replace('\\', "\\\\").replace('\'', "\\'")
                        )?;
                    }
                }
                f.write_str(">")
            }
            HiveType::Union(ts) => {
                f.write_str("uniontype<")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(">")
            }
        }
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn err(&self, message: impl Into<String>) -> TypeError {
        TypeError {
            position: self.pos,
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    fn expect(&mut self, c: char) -> Result<(), TypeError> {
        match self.peek() {
            Some(x) if x == c => {
                self.pos += 1;
                Ok(())
            }
            Some(x) => Err(self.err(format!("expected '{c}' but found '{x}'"))),
            None => Err(self.err(format!("expected '{c}' but the type ended"))),
        }
    }

    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.chars.len()
            && (self.chars[self.pos].is_alphanumeric() || self.chars[self.pos] == '_')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn number(&mut self, what: &str) -> Result<u32, TypeError> {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.chars.len() && self.chars[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.err(format!("expected the {what} as a number")));
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse::<u32>().map_err(|_| TypeError {
            position: start,
            message: format!("{what} {text} is too large"),
        })
    }

    fn length_param(&mut self, ty: &str, max: u32) -> Result<u32, TypeError> {
        let start = self.pos;
        self.expect('(')?;
        let n = self.number("length")?;
        self.expect(')')?;
        if n == 0 || n > max {
            return Err(TypeError {
                position: start,
                message: format!("{ty} length must be between 1 and {max}, not {n}"),
            });
        }
        Ok(n)
    }

    fn parse_type(&mut self) -> Result<HiveType, TypeError> {
        self.depth += 1;
        if self.depth > MAX_TYPE_DEPTH {
            return Err(self.err(format!("types nest deeper than {MAX_TYPE_DEPTH} levels")));
        }
        let t = self.parse_type_inner();
        self.depth -= 1;
        t
    }

    fn parse_type_inner(&mut self) -> Result<HiveType, TypeError> {
        self.skip_ws();
        let start = self.pos;
        let word = self.word();
        if word.is_empty() {
            return Err(match self.chars.get(self.pos) {
                Some(c) => self.err(format!("expected a type name but found '{c}'")),
                None => self.err("expected a type name but the type ended"),
            });
        }
        let ty = match word.to_ascii_lowercase().as_str() {
            "boolean" => HiveType::Boolean,
            "tinyint" => HiveType::TinyInt,
            "smallint" => HiveType::SmallInt,
            "int" | "integer" => HiveType::Int,
            "bigint" => HiveType::BigInt,
            "float" | "real" => HiveType::Float,
            "double" => {
                // `double precision` is Hive's synonym for double.
                let save = self.pos;
                if !self.word().eq_ignore_ascii_case("precision") {
                    self.pos = save;
                }
                HiveType::Double
            }
            "decimal" | "numeric" => {
                if self.peek() == Some('(') {
                    let pstart = self.pos;
                    self.expect('(')?;
                    let precision = self.number("precision")?;
                    let scale = if self.peek() == Some(',') {
                        self.pos += 1;
                        self.number("scale")?
                    } else {
                        0
                    };
                    self.expect(')')?;
                    if precision == 0 || precision > MAX_DECIMAL_PRECISION {
                        return Err(TypeError {
                            position: pstart,
                            message: format!("decimal precision must be between 1 and {MAX_DECIMAL_PRECISION}, not {precision}"),
                        });
                    }
                    if scale > precision {
                        return Err(TypeError {
                            position: pstart,
                            message: format!(
                                "decimal scale {scale} is larger than its precision {precision}"
                            ),
                        });
                    }
                    HiveType::Decimal { precision, scale }
                } else {
                    HiveType::Decimal {
                        precision: DEFAULT_DECIMAL.0,
                        scale: DEFAULT_DECIMAL.1,
                    }
                }
            }
            "string" => HiveType::String,
            "char" => HiveType::Char(self.length_param("char", MAX_CHAR_LEN)?),
            "varchar" => HiveType::Varchar(self.length_param("varchar", MAX_VARCHAR_LEN)?),
            "binary" => HiveType::Binary,
            "date" => HiveType::Date,
            "timestamp" => HiveType::Timestamp,
            "void" => HiveType::Void,
            "array" => {
                self.expect('<')?;
                let t = self.parse_type()?;
                self.expect('>')?;
                HiveType::Array(Box::new(t))
            }
            "map" => {
                self.expect('<')?;
                let kpos = {
                    self.skip_ws();
                    self.pos
                };
                let k = self.parse_type()?;
                if !k.is_primitive() {
                    return Err(TypeError {
                        position: kpos,
                        message: format!("map keys must be a primitive type, not {k}"),
                    });
                }
                self.expect(',')?;
                let v = self.parse_type()?;
                self.expect('>')?;
                HiveType::Map(Box::new(k), Box::new(v))
            }
            "struct" => {
                self.expect('<')?;
                let mut fields: Vec<StructField> = Vec::new();
                if self.peek() == Some('>') {
                    return Err(self.err("a struct needs at least one field"));
                }
                loop {
                    let fpos = {
                        self.skip_ws();
                        self.pos
                    };
                    let name = self.field_name()?;
                    if fields.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
                        return Err(TypeError {
                            position: fpos,
                            message: format!("struct field '{name}' appears twice"),
                        });
                    }
                    self.expect(':')?;
                    let ty = self.parse_type()?;
                    let save = self.pos;
                    let comment = if self.word().eq_ignore_ascii_case("comment") {
                        Some(self.quoted()?)
                    } else {
                        self.pos = save;
                        None
                    };
                    fields.push(StructField { name, ty, comment });
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some('>') => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            return Err(
                                self.err(format!("expected ',' or '>' in struct but found '{c}'"))
                            )
                        }
                        None => {
                            return Err(self.err("expected ',' or '>' in struct but the type ended"))
                        }
                    }
                }
                HiveType::Struct(fields)
            }
            "uniontype" => {
                self.expect('<')?;
                let mut ts = vec![self.parse_type()?];
                while self.peek() == Some(',') {
                    self.pos += 1;
                    ts.push(self.parse_type()?);
                }
                self.expect('>')?;
                HiveType::Union(ts)
            }
            _ => {
                return Err(TypeError {
                    position: start,
                    message: format!("unknown type '{word}'"),
                })
            }
        };
        Ok(ty)
    }

    fn field_name(&mut self) -> Result<String, TypeError> {
        match self.peek() {
            Some('`') => {
                self.pos += 1;
                let mut name = String::new();
                loop {
                    match self.chars.get(self.pos) {
                        Some('`') if self.chars.get(self.pos + 1) == Some(&'`') => {
                            name.push('`');
                            self.pos += 2;
                        }
                        Some('`') => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            name.push(*c);
                            self.pos += 1;
                        }
                        None => return Err(self.err("unterminated `quoted` field name")),
                    }
                }
                if name.is_empty() {
                    return Err(self.err("empty struct field name"));
                }
                Ok(name)
            }
            _ => {
                let w = self.word();
                if w.is_empty() {
                    return Err(match self.chars.get(self.pos) {
                        Some(c) => {
                            self.err(format!("expected a struct field name but found '{c}'"))
                        }
                        None => self.err("expected a struct field name but the type ended"),
                    });
                }
                Ok(w)
            }
        }
    }

    fn quoted(&mut self) -> Result<String, TypeError> {
        let q = match self.peek() {
            Some(c @ ('\'' | '"')) => c,
            _ => return Err(self.err("expected a quoted comment")),
        };
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.chars.get(self.pos) {
                Some('\\') if self.pos + 1 < self.chars.len() => {
                    s.push(self.chars[self.pos + 1]);
                    self.pos += 2;
                }
                Some(c) if *c == q => {
                    self.pos += 1;
                    return Ok(s);
                }
                Some(c) => {
                    s.push(*c);
                    self.pos += 1;
                }
                None => return Err(self.err("unterminated comment string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> String {
        canonical_type(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn primitives_and_parameters() {
        assert_eq!(canon("INT"), "int");
        assert_eq!(canon("Integer"), "int");
        assert_eq!(canon("decimal"), "decimal(10,0)");
        assert_eq!(canon("DECIMAL( 10 , 2 )"), "decimal(10,2)");
        assert_eq!(canon("decimal(7)"), "decimal(7,0)");
        assert_eq!(canon("varchar(20)"), "varchar(20)");
        assert_eq!(canon("char(3)"), "char(3)");
        assert_eq!(canon("double precision"), "double");
        for t in [
            "boolean",
            "tinyint",
            "smallint",
            "bigint",
            "float",
            "double",
            "string",
            "binary",
            "date",
            "timestamp",
        ] {
            assert_eq!(canon(t), t);
        }
    }

    #[test]
    fn nested() {
        assert_eq!(
            canon("STRUCT< a : INT, `b c`: array<map<string, struct<x:decimal(38,10)>>> >"),
            "struct<a:int,`b c`:array<map<string,struct<x:decimal(38,10)>>>>"
        );
        assert_eq!(
            canon("struct<a:int COMMENT 'it\\'s'>"),
            "struct<a:int comment 'it\\'s'>"
        );
        assert_eq!(canon("uniontype<int,string>"), "uniontype<int,string>");
    }

    #[test]
    fn errors_name_the_position() {
        let e = HiveType::parse("struct<a:int,b:strin>").unwrap_err();
        assert_eq!(e.position, 15);
        assert!(e.message.contains("unknown type 'strin'"));
        let e = HiveType::parse("array<int").unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (9, "expected '>' but the type ended")
        );
        let e = HiveType::parse("decimal(39,2)").unwrap_err();
        assert!(e.message.contains("between 1 and 38"));
        let e = HiveType::parse("decimal(5,6)").unwrap_err();
        assert!(e.message.contains("larger than its precision"));
        let e = HiveType::parse("map<array<int>,int>").unwrap_err();
        assert!(e.message.contains("primitive"), "{e}");
        let e = HiveType::parse("varchar(0)").unwrap_err();
        assert!(e.message.contains("between 1 and 65535"));
        let e = HiveType::parse("int int").unwrap_err();
        assert_eq!(e.position, 4);
        assert!(HiveType::parse("struct<>").is_err());
        assert!(HiveType::parse("struct<a:int,A:int>")
            .unwrap_err()
            .message
            .contains("twice"));
        assert!(HiveType::parse("").is_err());
        let deep = "array<".repeat(200) + "int" + &">".repeat(200);
        assert!(HiveType::parse(&deep)
            .unwrap_err()
            .message
            .contains("deeper"));
    }

    fn arb_type() -> impl Strategy<Value = HiveType> {
        let leaf = prop_oneof![
            Just(HiveType::Boolean),
            Just(HiveType::TinyInt),
            Just(HiveType::SmallInt),
            Just(HiveType::Int),
            Just(HiveType::BigInt),
            Just(HiveType::Float),
            Just(HiveType::Double),
            (1u32..=38)
                .prop_flat_map(|p| (Just(p), 0..=p))
                .prop_map(|(precision, scale)| HiveType::Decimal { precision, scale }),
            Just(HiveType::String),
            (1u32..=255).prop_map(HiveType::Char),
            (1u32..=65535).prop_map(HiveType::Varchar),
            Just(HiveType::Binary),
            Just(HiveType::Date),
            Just(HiveType::Timestamp),
        ];
        let prim = leaf.clone();
        leaf.prop_recursive(5, 48, 6, move |inner| {
            prop_oneof![
                inner.clone().prop_map(|t| HiveType::Array(Box::new(t))),
                (prim.clone(), inner.clone())
                    .prop_map(|(k, v)| HiveType::Map(Box::new(k), Box::new(v))),
                prop::collection::vec(inner.clone(), 1..5).prop_map(HiveType::Union),
                prop::collection::btree_map(
                    "[a-z_][a-z0-9_ .-]{0,8}",
                    (inner, proptest::option::of("[ -~]{0,10}")),
                    1..5
                )
                .prop_map(|m| HiveType::Struct(
                    m.into_iter()
                        .map(|(name, (ty, comment))| StructField { name, ty, comment })
                        .collect()
                )),
            ]
        })
    }

    proptest! {
        #[test]
        fn print_parse_round_trip(t in arb_type()) {
            let text = t.to_string();
            let back = HiveType::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(&back, &t);
            prop_assert_eq!(back.to_string(), text);
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,60}") {
            let _ = HiveType::parse(&s);
        }

        #[test]
        fn canonical_is_a_fixed_point(s in "(array<|map<string,|struct<f:)?(int|BIGINT|decimal\\(5,2\\)|varchar\\(3\\)|string)>?") {
            if let Ok(c) = canonical_type(&s) {
                prop_assert_eq!(canonical_type(&c).unwrap(), c);
            }
        }
    }
}
