//! Partition filter expressions: Glue's `GetPartitions` grammar (shared with the
//! DDL and Hive Metastore fronts).
//!
//! sqlparser does the tokenising and precedence climbing; this module accepts only
//! the subset Glue documents (comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, IS [NOT]
//! NULL, parentheses) and gives it typed semantics: a comparison follows the
//! partition key's declared type, so `hour > 5` is numeric on an `int` key and
//! `dt >= '2024-01-01'` is a date comparison on a `date` key.
//!
//! Evaluation is three-valued like SQL: a stored value that does not parse as its
//! key's type (or Hive's null partition `__HIVE_DEFAULT_PARTITION__`) compares as
//! NULL, so neither `x = 1` nor `NOT x = 1` selects it.

use crate::error::{Error, Result};
use crate::model::Column;
use crate::types::HiveType;
use sqlparser::ast::{BinaryOperator, Expr, InTarget, Spanned, UnaryOperator, Value};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token};
use std::cmp::Ordering;

/// What Hive writes as the value of a partition whose key was NULL.
pub const HIVE_NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

impl From<Location> for Pos {
    fn from(l: Location) -> Self {
        Pos {
            line: l.line,
            column: l.column,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    fn flip(self) -> Self {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            o => o,
        }
    }
    fn test(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::NotEq => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::LtEq => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::GtEq => o != Ordering::Less,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum LitKind {
    Str(String),
    Num(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lit {
    pub kind: LitKind,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyRef {
    pub name: String,
    pub pos: Pos,
}

/// A parsed, not yet typed, filter.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterExpr {
    And(Box<FilterExpr>, Box<FilterExpr>),
    Or(Box<FilterExpr>, Box<FilterExpr>),
    Not(Box<FilterExpr>),
    Cmp {
        key: KeyRef,
        op: CmpOp,
        lit: Lit,
    },
    In {
        key: KeyRef,
        list: Vec<Lit>,
        negated: bool,
    },
    Between {
        key: KeyRef,
        low: Lit,
        high: Lit,
        negated: bool,
    },
    Like {
        key: KeyRef,
        pattern: Lit,
        negated: bool,
    },
    IsNull {
        key: KeyRef,
        negated: bool,
    },
}

fn err_at(pos: Pos, msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("partition filter: {msg} at {pos}"))
}

fn pos_of(e: &Expr) -> Pos {
    e.span().start.into()
}

impl FilterExpr {
    /// Parses a filter; `Ok(None)` for an empty or blank expression (no filter),
    /// which is what Hive and Spark clients send when they want everything.
    pub fn parse(text: &str) -> Result<Option<FilterExpr>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let dialect = GenericDialect {};
        let syntax = |e: ParserError| {
            let msg = match e {
                ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
                ParserError::RecursionLimitExceeded => {
                    "the expression nests too deeply".to_string()
                }
            };
            if msg.contains("Line:") {
                Error::invalid(format!("partition filter: {msg}"))
            } else {
                // sqlparser gives no position for errors at the end of the input.
                let line = text.lines().count().max(1) as u64;
                let column = text.lines().last().map_or(0, |l| l.chars().count()) as u64 + 1;
                err_at(
                    Pos { line, column },
                    format!("{msg} (the expression ended early)"),
                )
            }
        };
        let mut parser = Parser::new(&dialect).try_with_sql(text).map_err(syntax)?;
        let expr = parser.parse_expr().map_err(syntax)?;
        let next = parser.peek_token();
        if next.token != Token::EOF {
            return Err(err_at(
                next.span.start.into(),
                format!("unexpected '{}' after the expression", next.token),
            ));
        }
        convert(&expr).map(Some)
    }
}

fn convert(e: &Expr) -> Result<FilterExpr> {
    Ok(match e {
        Expr::Nested(inner) => convert(inner)?,
        Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
            FilterExpr::And(Box::new(convert(left)?), Box::new(convert(right)?))
        }
        Expr::BinaryOp { left, op: BinaryOperator::Or, right } => {
            FilterExpr::Or(Box::new(convert(left)?), Box::new(convert(right)?))
        }
        Expr::BinaryOp { left, op, right } => {
            let op = match op {
                BinaryOperator::Eq => CmpOp::Eq,
                BinaryOperator::NotEq => CmpOp::NotEq,
                BinaryOperator::Lt => CmpOp::Lt,
                BinaryOperator::LtEq => CmpOp::LtEq,
                BinaryOperator::Gt => CmpOp::Gt,
                BinaryOperator::GtEq => CmpOp::GtEq,
                other => return Err(err_at(pos_of(e), format!("operator '{other}' is not supported"))),
            };
            match (key(left), key(right)) {
                (Some(k), _) => FilterExpr::Cmp { key: k, op, lit: literal(right)? },
                (None, Some(k)) => FilterExpr::Cmp { key: k, op: op.flip(), lit: literal(left)? },
                (None, None) => return Err(err_at(pos_of(e), "a comparison needs a partition key on one side")),
            }
        }
        Expr::UnaryOp { op: UnaryOperator::Not, expr } => FilterExpr::Not(Box::new(convert(expr)?)),
        Expr::In { expr, target: InTarget::List(list), negated, .. } => FilterExpr::In {
            key: need_key(expr)?,
            list: list.iter().map(literal).collect::<Result<_>>()?,
            negated: *negated,
        },
        Expr::Between { expr, negated, low, high } => FilterExpr::Between {
            key: need_key(expr)?,
            low: literal(low)?,
            high: literal(high)?,
            negated: *negated,
        },
        Expr::Like { negated, any: false, expr, pattern, escape_char: None } => {
            let pattern = literal(pattern)?;
            if !matches!(pattern.kind, LitKind::Str(_)) {
                return Err(err_at(pattern.pos, "LIKE needs a quoted string pattern"));
            }
            FilterExpr::Like { key: need_key(expr)?, pattern, negated: *negated }
        }
        Expr::IsNull(inner) => FilterExpr::IsNull { key: need_key(inner)?, negated: false },
        Expr::IsNotNull(inner) => FilterExpr::IsNull { key: need_key(inner)?, negated: true },
        other => {
            return Err(err_at(
                pos_of(other),
                format!("'{other}' is not a supported condition (use comparisons, AND, OR, NOT, IN, BETWEEN, LIKE, IS [NOT] NULL)"),
            ))
        }
    })
}

/// A partition key reference: a bare or back-quoted identifier. Double-quoted text
/// is a string literal (Hive's filter syntax), never a key.
fn key(e: &Expr) -> Option<KeyRef> {
    match e {
        Expr::Identifier(id) if id.quote_style != Some('"') => Some(KeyRef {
            name: id.value.to_lowercase(),
            pos: id.span.start.into(),
        }),
        Expr::Nested(inner) => key(inner),
        _ => None,
    }
}

fn need_key(e: &Expr) -> Result<KeyRef> {
    key(e).ok_or_else(|| {
        err_at(
            pos_of(e),
            format!("expected a partition key but found '{e}'"),
        )
    })
}

fn literal(e: &Expr) -> Result<Lit> {
    let pos = pos_of(e);
    let kind = match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => LitKind::Str(s.clone()),
            Value::Number(n, _) => LitKind::Num(n.to_string()),
            other => return Err(err_at(pos, format!("{other} is not a supported literal"))),
        },
        Expr::Identifier(id) if id.quote_style == Some('"') => LitKind::Str(id.value.clone()),
        Expr::TypedString(ts) => match &ts.value.value {
            Value::SingleQuotedString(s) => LitKind::Str(s.clone()),
            other => return Err(err_at(pos, format!("{other} is not a supported literal"))),
        },
        Expr::UnaryOp {
            op: op @ (UnaryOperator::Minus | UnaryOperator::Plus),
            expr,
        } => match literal(expr)?.kind {
            LitKind::Num(n) if *op == UnaryOperator::Minus => LitKind::Num(format!("-{n}")),
            LitKind::Num(n) => LitKind::Num(n),
            LitKind::Str(_) => return Err(err_at(pos, "a sign applies to numbers only")),
        },
        Expr::Nested(inner) => return literal(inner),
        Expr::Identifier(id) => {
            return Err(err_at(
                pos,
                format!(
                    "expected a literal but found the name '{}' (quote strings with ')",
                    id.value
                ),
            ))
        }
        other => {
            return Err(err_at(
                pos,
                format!("expected a literal but found '{other}'"),
            ))
        }
    };
    Ok(Lit { kind, pos })
}

// ---------------------------------------------------------------------------
// Typed evaluation.

/// An exact decimal number, ordered by value; integers are decimals too, so
/// `hour > 5.5` works on an int key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exact {
    neg: bool,
    int: String,  // no leading zeros
    frac: String, // no trailing zeros
}

impl Exact {
    fn parse(s: &str) -> Option<Exact> {
        let s = s.trim();
        let (neg, body) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (i, f) = body.split_once('.').unwrap_or((body, ""));
        if (i.is_empty() && f.is_empty())
            || !i.bytes().all(|b| b.is_ascii_digit())
            || !f.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let int = i.trim_start_matches('0').to_string();
        let frac = f.trim_end_matches('0').to_string();
        let neg = neg && !(int.is_empty() && frac.is_empty());
        Some(Exact { neg, int, frac })
    }
}

impl Ord for Exact {
    fn cmp(&self, o: &Self) -> Ordering {
        let mag = |a: &Exact, b: &Exact| {
            a.int
                .len()
                .cmp(&b.int.len())
                .then_with(|| a.int.cmp(&b.int))
                .then_with(|| a.frac.cmp(&b.frac))
        };
        match (self.neg, o.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => mag(self, o),
            (true, true) => mag(o, self),
        }
    }
}
impl PartialOrd for Exact {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Typed {
    Str(String),
    Exact(Exact),
    Float(f64),
    /// (year, month, day, nanosecond of day): dates are midnight timestamps.
    Time(i64, u32, u32, u64),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Exact,
    Float,
    Date,
    Timestamp,
    Bool,
}

fn kind_of(t: &HiveType) -> Kind {
    match t {
        HiveType::TinyInt
        | HiveType::SmallInt
        | HiveType::Int
        | HiveType::BigInt
        | HiveType::Decimal { .. } => Kind::Exact,
        HiveType::Float | HiveType::Double => Kind::Float,
        HiveType::Date => Kind::Date,
        HiveType::Timestamp => Kind::Timestamp,
        HiveType::Boolean => Kind::Bool,
        _ => Kind::Str,
    }
}

fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let mut it = s.splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    ((1..=12).contains(&m) && d >= 1 && d <= days[(m - 1) as usize]).then_some((y, m, d))
}

fn parse_timestamp(s: &str) -> Option<Typed> {
    let s = s.trim();
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (y, m, d) = parse_date(date)?;
    let mut nanos = 0u64;
    if let Some(t) = time {
        let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
        let parts: Vec<&str> = hms.split(':').collect();
        if !(2..=3).contains(&parts.len())
            || frac.len() > 9
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let nums: Vec<u64> = parts
            .iter()
            .map(|p| if p.len() == 2 { p.parse().ok() } else { None })
            .collect::<Option<_>>()?;
        let (h, mi, se) = (nums[0], nums[1], *nums.get(2).unwrap_or(&0));
        if h > 23 || mi > 59 || se > 59 {
            return None;
        }
        let frac_ns: u64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<9}").parse().ok()?
        };
        nanos = ((h * 60 + mi) * 60 + se) * 1_000_000_000 + frac_ns;
    }
    Some(Typed::Time(y, m, d, nanos))
}

fn typed(kind: Kind, text: &str) -> Option<Typed> {
    match kind {
        Kind::Str => Some(Typed::Str(text.to_string())),
        Kind::Exact => Exact::parse(text).map(Typed::Exact),
        Kind::Float => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| !f.is_nan())
            .map(Typed::Float),
        Kind::Date => parse_date(text.trim()).map(|(y, m, d)| Typed::Time(y, m, d, 0)),
        Kind::Timestamp => parse_timestamp(text),
        Kind::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Typed::Bool(true)),
            "false" => Some(Typed::Bool(false)),
            _ => None,
        },
    }
}

#[derive(Debug)]
enum Node {
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Cmp(usize, CmpOp, Typed),
    In(usize, Vec<Typed>, bool),
    Between(usize, Typed, Typed, bool),
    Like(usize, regex::Regex, bool),
    IsNull(usize, bool),
}

/// A filter bound to one table's partition keys, ready to test stored values.
#[derive(Debug)]
pub struct CompiledFilter {
    root: Node,
    kinds: Vec<Kind>,
    scan: ScanBounds,
}

/// The part of a filter a store can turn into a key range: leading string keys
/// fixed by equality, then optional bounds on the next string key. Always
/// conservative: the full filter is still applied to every scanned partition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanBounds {
    pub prefix: Vec<String>,
    /// (value, inclusive)
    pub lower: Option<(String, bool)>,
    pub upper: Option<(String, bool)>,
}

impl CompiledFilter {
    pub fn compile(expr: &FilterExpr, keys: &[Column]) -> Result<CompiledFilter> {
        let types: Vec<HiveType> = keys
            .iter()
            .map(|k| {
                HiveType::parse(&k.type_)
                    .map_err(|e| Error::invalid(format!("partition key '{}': {e}", k.name)))
            })
            .collect::<Result<_>>()?;
        let kinds: Vec<Kind> = types.iter().map(kind_of).collect();
        let c = Compiler {
            keys,
            types: &types,
            kinds: &kinds,
        };
        let root = c.node(expr)?;
        let scan = scan_bounds(expr, keys, &kinds);
        Ok(CompiledFilter { root, kinds, scan })
    }

    pub fn matches(&self, values: &[String]) -> bool {
        self.eval(&self.root, values) == Some(true)
    }

    pub fn scan_bounds(&self) -> &ScanBounds {
        &self.scan
    }

    fn value(&self, i: usize, values: &[String]) -> Option<Typed> {
        let v = values.get(i)?;
        if v == HIVE_NULL_PARTITION {
            return None;
        }
        typed(self.kinds[i], v)
    }

    fn eval(&self, n: &Node, values: &[String]) -> Option<bool> {
        match n {
            Node::And(a, b) => match (self.eval(a, values), self.eval(b, values)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Node::Or(a, b) => match (self.eval(a, values), self.eval(b, values)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Node::Not(a) => self.eval(a, values).map(|b| !b),
            Node::Cmp(i, op, lit) => {
                let v = self.value(*i, values)?;
                v.partial_cmp(lit).map(|o| op.test(o))
            }
            Node::In(i, list, neg) => {
                let v = self.value(*i, values)?;
                Some(
                    list.iter()
                        .any(|l| v.partial_cmp(l) == Some(Ordering::Equal))
                        != *neg,
                )
            }
            Node::Between(i, lo, hi, neg) => {
                let v = self.value(*i, values)?;
                let inside =
                    v.partial_cmp(lo)? != Ordering::Less && v.partial_cmp(hi)? != Ordering::Greater;
                Some(inside != *neg)
            }
            Node::Like(i, re, neg) => {
                let v = values.get(*i)?;
                if v == HIVE_NULL_PARTITION {
                    return None;
                }
                Some(re.is_match(v) != *neg)
            }
            Node::IsNull(i, neg) => {
                let null = values.get(*i).is_none_or(|v| v == HIVE_NULL_PARTITION);
                Some(null != *neg)
            }
        }
    }
}

/// How a partition index orders one key: values of the key's type, encoded so that
/// byte order is value order. Values that do not parse as the type (and Hive's null
/// partition) sort first under their own tag; no comparison ever selects them, so a
/// range never needs to include them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyCodec(Kind);

const TAG_NULL: u8 = 0x00;
const TAG_VALUE: u8 = 0x01;

/// Days since 1970-01-01 in the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn ordered_i64(out: &mut Vec<u8>, v: i64) {
    out.push(TAG_VALUE);
    out.extend_from_slice(&((v as u64) ^ (1 << 63)).to_be_bytes());
}

impl KeyCodec {
    /// The codec for a partition key type; only the types whose values have an
    /// exact order (Glue's rule: strings, dates and integers) can be indexed.
    pub fn for_type(type_: &str) -> std::result::Result<KeyCodec, String> {
        let t = HiveType::parse(type_).map_err(|e| e.to_string())?;
        match t {
            HiveType::TinyInt | HiveType::SmallInt | HiveType::Int | HiveType::BigInt => {
                Ok(KeyCodec(Kind::Exact))
            }
            HiveType::Date => Ok(KeyCodec(Kind::Date)),
            t if kind_of(&t) == Kind::Str => Ok(KeyCodec(Kind::Str)),
            t => Err(format!(
                "partition index keys must be of type string, char, varchar, date, tinyint, smallint, int or bigint, not {t}"
            )),
        }
    }

    /// Appends the encoding of a stored value.
    pub fn encode(&self, out: &mut Vec<u8>, text: &str) {
        let typed = if text == HIVE_NULL_PARTITION {
            None
        } else {
            typed(self.0, text)
        };
        if typed.as_ref().is_none_or(|t| !self.encode_typed(out, t)) {
            out.push(TAG_NULL);
            crate::keys::encode_value(out, text);
        }
    }

    /// Appends the encoding of a typed value; false if it has none (a fractional
    /// number on an integer key, an integer beyond 64 bits).
    fn encode_typed(&self, out: &mut Vec<u8>, t: &Typed) -> bool {
        match (self.0, t) {
            (Kind::Str, Typed::Str(s)) => {
                out.push(TAG_VALUE);
                crate::keys::encode_value(out, s);
                true
            }
            (Kind::Exact, Typed::Exact(e)) if e.frac.is_empty() => {
                let digits = if e.int.is_empty() { "0" } else { &e.int };
                let text = if e.neg {
                    format!("-{digits}")
                } else {
                    digits.to_string()
                };
                match text.parse::<i64>() {
                    Ok(v) => {
                        ordered_i64(out, v);
                        true
                    }
                    Err(_) => false,
                }
            }
            (Kind::Date, Typed::Time(y, m, d, _)) => {
                ordered_i64(out, days_from_civil(*y, *m, *d));
                true
            }
            _ => false,
        }
    }

    /// The length of one encoded value at the start of `b`.
    pub fn skip(&self, b: &[u8]) -> Option<usize> {
        match (b.first()?, self.0) {
            (&TAG_VALUE, Kind::Exact | Kind::Date) => (b.len() >= 9).then_some(9),
            (&TAG_NULL | &TAG_VALUE, _) => {
                // A terminated text encoding: ends at the first 0x00 0x01.
                let body = &b[1..];
                (0..body.len().saturating_sub(1))
                    .find(|&i| body[i] == 0x00 && body[i + 1] == 0x01)
                    .map(|i| i + 3)
            }
            _ => None,
        }
    }
}

/// The key range of a partition index that holds every partition a filter can
/// select: values fixed by equality on the leading index keys, then optional
/// bounds on the next one. Keys are encoded with the index's codecs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexBounds {
    pub prefix: Vec<u8>,
    /// How many leading index keys the prefix fixes.
    pub fixed: usize,
    /// (encoded value, inclusive)
    pub lower: Option<(Vec<u8>, bool)>,
    pub upper: Option<(Vec<u8>, bool)>,
}

impl IndexBounds {
    /// How selective the bounds are, to choose between indexes: each fixed key
    /// counts more than a range.
    pub fn score(&self) -> usize {
        2 * self.fixed + usize::from(self.lower.is_some() || self.upper.is_some())
    }
}

fn node_conjuncts<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    if let Node::And(a, b) = n {
        node_conjuncts(a, out);
        node_conjuncts(b, out);
    } else {
        out.push(n);
    }
}

impl CompiledFilter {
    /// The bounds this filter puts on an index over the partition keys at
    /// `positions` (each with its codec). Conservative like [`ScanBounds`]: only
    /// top-level conjuncts narrow the range, and the full filter is still applied.
    pub fn index_bounds(&self, keys: &[(usize, KeyCodec)]) -> IndexBounds {
        let mut cs = Vec::new();
        node_conjuncts(&self.root, &mut cs);
        let enc = |codec: &KeyCodec, t: &Typed| {
            let mut out = Vec::new();
            codec.encode_typed(&mut out, t).then_some(out)
        };
        let mut b = IndexBounds::default();
        for (pos, codec) in keys {
            let eq = cs.iter().find_map(|c| match c {
                Node::Cmp(i, CmpOp::Eq, lit) if i == pos => enc(codec, lit),
                Node::In(i, list, false) if i == pos && list.len() == 1 => enc(codec, &list[0]),
                _ => None,
            });
            if let Some(v) = eq {
                b.prefix.extend_from_slice(&v);
                b.fixed += 1;
                continue;
            }
            for c in &cs {
                match c {
                    Node::Cmp(i, op, lit) if i == pos => {
                        let Some(v) = enc(codec, lit) else { continue };
                        match op {
                            CmpOp::Gt | CmpOp::GtEq => {
                                tighten(&mut b.lower, v, *op == CmpOp::GtEq, Ordering::Greater)
                            }
                            CmpOp::Lt | CmpOp::LtEq => {
                                tighten(&mut b.upper, v, *op == CmpOp::LtEq, Ordering::Less)
                            }
                            _ => {}
                        }
                    }
                    Node::Between(i, lo, hi, false) if i == pos => {
                        if let (Some(lo), Some(hi)) = (enc(codec, lo), enc(codec, hi)) {
                            tighten(&mut b.lower, lo, true, Ordering::Greater);
                            tighten(&mut b.upper, hi, true, Ordering::Less);
                        }
                    }
                    _ => {}
                }
            }
            break;
        }
        b
    }

    /// The primary order's bounds scored like [`IndexBounds::score`].
    pub fn primary_score(&self) -> usize {
        2 * self.scan.prefix.len()
            + usize::from(self.scan.lower.is_some() || self.scan.upper.is_some())
    }
}

struct Compiler<'a> {
    keys: &'a [Column],
    types: &'a [HiveType],
    kinds: &'a [Kind],
}

impl Compiler<'_> {
    fn key(&self, k: &KeyRef) -> Result<usize> {
        self.keys
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(&k.name))
            .ok_or_else(|| {
                let names: Vec<&str> = self.keys.iter().map(|c| c.name.as_str()).collect();
                if names.is_empty() {
                    err_at(
                        k.pos,
                        format!(
                            "unknown partition key '{}': the table has no partition keys",
                            k.name
                        ),
                    )
                } else {
                    err_at(
                        k.pos,
                        format!(
                            "unknown partition key '{}' (the keys are {})",
                            k.name,
                            names.join(", ")
                        ),
                    )
                }
            })
    }

    fn lit(&self, i: usize, l: &Lit) -> Result<Typed> {
        let kind = self.kinds[i];
        let key = &self.keys[i].name;
        let ty = &self.types[i];
        match (&l.kind, kind) {
            (LitKind::Num(n), Kind::Str) => Err(err_at(
                l.pos,
                format!("partition key '{key}' is of type {ty}; compare it with a quoted string such as '{n}', not the number {n}"),
            )),
            (LitKind::Str(s) | LitKind::Num(s), _) => typed(kind, s)
                .ok_or_else(|| err_at(l.pos, format!("'{s}' is not a valid {ty} value for partition key '{key}'"))),
        }
    }

    fn node(&self, e: &FilterExpr) -> Result<Node> {
        Ok(match e {
            FilterExpr::And(a, b) => Node::And(Box::new(self.node(a)?), Box::new(self.node(b)?)),
            FilterExpr::Or(a, b) => Node::Or(Box::new(self.node(a)?), Box::new(self.node(b)?)),
            FilterExpr::Not(a) => Node::Not(Box::new(self.node(a)?)),
            FilterExpr::Cmp { key, op, lit } => {
                let i = self.key(key)?;
                Node::Cmp(i, *op, self.lit(i, lit)?)
            }
            FilterExpr::In { key, list, negated } => {
                let i = self.key(key)?;
                Node::In(
                    i,
                    list.iter().map(|l| self.lit(i, l)).collect::<Result<_>>()?,
                    *negated,
                )
            }
            FilterExpr::Between {
                key,
                low,
                high,
                negated,
            } => {
                let i = self.key(key)?;
                Node::Between(i, self.lit(i, low)?, self.lit(i, high)?, *negated)
            }
            FilterExpr::Like {
                key,
                pattern,
                negated,
            } => {
                let i = self.key(key)?;
                let LitKind::Str(p) = &pattern.kind else {
                    unreachable!("checked when parsed")
                };
                Node::Like(
                    i,
                    like_regex(p).map_err(|m| err_at(pattern.pos, m))?,
                    *negated,
                )
            }
            FilterExpr::IsNull { key, negated } => Node::IsNull(self.key(key)?, *negated),
        })
    }
}

/// SQL LIKE → an anchored regular expression (`%` any run, `_` one character).
fn like_regex(pattern: &str) -> std::result::Result<regex::Regex, String> {
    let mut re = String::from("(?s)^");
    let mut buf = [0u8; 4];
    for c in pattern.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(c.encode_utf8(&mut buf))),
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| format!("LIKE pattern too complex: {e}"))
}

fn conjuncts<'a>(e: &'a FilterExpr, out: &mut Vec<&'a FilterExpr>) {
    if let FilterExpr::And(a, b) = e {
        conjuncts(a, out);
        conjuncts(b, out);
    } else {
        out.push(e);
    }
}

fn scan_bounds(e: &FilterExpr, keys: &[Column], kinds: &[Kind]) -> ScanBounds {
    let mut cs = Vec::new();
    conjuncts(e, &mut cs);
    let is_key = |k: &KeyRef, i: usize| keys[i].name.eq_ignore_ascii_case(&k.name);
    let str_lit = |l: &Lit| match &l.kind {
        LitKind::Str(s) => Some(s.clone()),
        LitKind::Num(_) => None,
    };
    let mut b = ScanBounds::default();
    for (i, kind) in kinds.iter().enumerate() {
        // Only string keys: their stored text orders exactly like their values.
        if *kind != Kind::Str {
            break;
        }
        let eq = cs.iter().find_map(|c| match c {
            FilterExpr::Cmp {
                key,
                op: CmpOp::Eq,
                lit,
            } if is_key(key, i) => str_lit(lit),
            _ => None,
        });
        if let Some(v) = eq {
            b.prefix.push(v);
            continue;
        }
        for c in &cs {
            match c {
                FilterExpr::Cmp { key, op, lit } if is_key(key, i) => {
                    let Some(v) = str_lit(lit) else { continue };
                    match op {
                        CmpOp::Gt | CmpOp::GtEq => {
                            tighten(&mut b.lower, v, *op == CmpOp::GtEq, Ordering::Greater)
                        }
                        CmpOp::Lt | CmpOp::LtEq => {
                            tighten(&mut b.upper, v, *op == CmpOp::LtEq, Ordering::Less)
                        }
                        _ => {}
                    }
                }
                FilterExpr::Between {
                    key,
                    low,
                    high,
                    negated: false,
                } if is_key(key, i) => {
                    if let (Some(lo), Some(hi)) = (str_lit(low), str_lit(high)) {
                        tighten(&mut b.lower, lo, true, Ordering::Greater);
                        tighten(&mut b.upper, hi, true, Ordering::Less);
                    }
                }
                _ => {}
            }
        }
        break;
    }
    b
}

fn tighten<T: Ord>(slot: &mut Option<(T, bool)>, v: T, inclusive: bool, better: Ordering) {
    let replace = match slot {
        None => true,
        Some((cur, cur_inc)) => match v.cmp(cur) {
            o if o == better => true,
            Ordering::Equal => *cur_inc && !inclusive,
            _ => false,
        },
    };
    if replace {
        *slot = Some((v, inclusive));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<Column> {
        vec![
            Column::new("dt", "string"),
            Column::new("hour", "int"),
            Column::new("day", "date"),
            Column::new("amount", "decimal(10,2)"),
            Column::new("ts", "timestamp"),
            Column::new("region", "varchar(10)"),
        ]
    }

    fn row(dt: &str, hour: &str, day: &str, amount: &str, ts: &str, region: &str) -> Vec<String> {
        [dt, hour, day, amount, ts, region]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn check(expr: &str, values: &[String]) -> bool {
        let e = FilterExpr::parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .unwrap();
        CompiledFilter::compile(&e, &keys())
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .matches(values)
    }

    fn error(expr: &str) -> String {
        match FilterExpr::parse(expr) {
            Err(e) => e.message,
            Ok(None) => panic!("{expr}: empty"),
            Ok(Some(e)) => CompiledFilter::compile(&e, &keys()).unwrap_err().message,
        }
    }

    #[test]
    fn typed_comparisons() {
        let r = row(
            "2024-01-02",
            "9",
            "2024-01-02",
            "10.50",
            "2024-01-02 03:04:05.5",
            "eu",
        );
        let cases = [
            ("dt = '2024-01-02'", true),
            ("hour > 10", false), // numeric: 9 < 10, although '9' > '10' as text
            ("hour >= 9 AND hour <= 9", true),
            ("hour > 8.5", true),
            ("hour = '9'", true),
            ("hour = 09", true),
            ("day BETWEEN '2024-01-01' AND '2024-01-31'", true),
            ("day > DATE '2024-01-02'", false),
            ("amount = 10.5", true),
            ("amount < 10.49", false),
            ("amount > -1", true),
            ("ts > '2024-01-02 03:04:05'", true),
            ("ts < '2024-01-02'", false),
            ("region IN ('us', 'eu')", true),
            ("region NOT IN ('us', 'eu')", false),
            ("NOT (region = 'eu')", false),
            ("region LIKE 'e%'", true),
            ("region LIKE '_u'", true),
            ("region LIKE 'e'", false),
            ("region NOT LIKE 'u%'", true),
            ("dt = 'x' OR (hour < 10 AND region <> 'us')", true),
            ("region IS NULL", false),
            ("region IS NOT NULL", true),
            ("\"eu\" = region", true),
            ("region = \"eu\"", true),
            ("`Region` = 'eu'", true),
            ("2024 < hour", false),
            ("hour NOT BETWEEN 1 AND 5", true),
        ];
        for (expr, want) in cases {
            assert_eq!(check(expr, &r), want, "{expr}");
        }
    }

    #[test]
    fn unparseable_values_and_hive_nulls_are_null() {
        let r = row(
            "x",
            "not-a-number",
            "2024-13-01",
            "1",
            "bad",
            HIVE_NULL_PARTITION,
        );
        assert!(!check("hour = 1", &r));
        assert!(!check("NOT hour = 1", &r));
        assert!(!check("day < '2030-01-01'", &r));
        assert!(check("region IS NULL", &r));
        assert!(!check("region = 'x' OR region <> 'x'", &r));
        assert!(check("region IS NULL OR hour = 1", &r));
    }

    #[test]
    fn errors_name_the_position() {
        let cases = [
            (
                "dt = 5",
                "compare it with a quoted string such as '5'",
                "line 1, column 6",
            ),
            (
                "nope = 'a'",
                "unknown partition key 'nope' (the keys are dt, hour",
                "line 1, column 1",
            ),
            (
                "hour = 'abc'",
                "'abc' is not a valid int value for partition key 'hour'",
                "line 1, column 8",
            ),
            ("day = '2024-02-30'", "not a valid date value", "column 7"),
            (
                "dt = 'a' AND",
                "Expected: an expression",
                "line 1, column 13",
            ),
            (
                "dt = 'a' region = 'b'",
                "unexpected 'region' after the expression",
                "line 1, column 10",
            ),
            (
                "dt + 1 = 2",
                "a comparison needs a partition key",
                "column 1",
            ),
            (
                "dt = region",
                "expected a literal but found the name 'region'",
                "column 6",
            ),
            (
                "dt LIKE 5",
                "LIKE needs a quoted string pattern",
                "column 9",
            ),
            (
                "dt = 'unterminated",
                "Unterminated string literal",
                "Column: 6",
            ),
            (
                "upper(dt) = 'A'",
                "a comparison needs a partition key",
                "column 1",
            ),
            (
                "dt IN (SELECT 1)",
                "is not a supported condition",
                "column 1",
            ),
        ];
        for (expr, msg, pos) in cases {
            let e = error(expr);
            assert!(e.contains(msg), "{expr}: {e}");
            assert!(e.contains(pos), "{expr}: {e}");
        }
        assert_eq!(FilterExpr::parse("   ").unwrap(), None);
        let deep = "(".repeat(500) + "dt = 'a'" + &")".repeat(500);
        assert!(
            error(&deep).contains("nests too deeply"),
            "{}",
            error(&deep)
        );
    }

    #[test]
    fn scan_bounds_use_leading_string_equalities() {
        let keys = vec![
            Column::new("dt", "string"),
            Column::new("region", "string"),
            Column::new("hour", "int"),
        ];
        let b = |expr: &str| {
            CompiledFilter::compile(&FilterExpr::parse(expr).unwrap().unwrap(), &keys)
                .unwrap()
                .scan_bounds()
                .clone()
        };
        assert_eq!(
            b("dt = 'a' AND region = 'eu' AND hour > 5").prefix,
            vec!["a", "eu"]
        );
        assert_eq!(b("region = 'eu' AND dt = 'a'").prefix, vec!["a", "eu"]);
        assert!(b("dt = 'a' OR region = 'eu'").prefix.is_empty());
        let r = b("dt = 'a' AND region >= 'b' AND region > 'c' AND region < 'z'");
        assert_eq!(r.prefix, vec!["a"]);
        assert_eq!(r.lower, Some(("c".into(), false)));
        assert_eq!(r.upper, Some(("z".into(), false)));
        let r = b("dt BETWEEN '2024-01-01' AND '2024-01-31'");
        assert_eq!(
            (r.lower.unwrap().0, r.upper.unwrap().0),
            ("2024-01-01".into(), "2024-01-31".into())
        );
        // int keys never narrow the scan: '05' and '5' are equal ints but different text.
        let keys2 = vec![Column::new("hour", "int")];
        let f = CompiledFilter::compile(&FilterExpr::parse("hour = 5").unwrap().unwrap(), &keys2)
            .unwrap();
        assert_eq!(f.scan_bounds(), &ScanBounds::default());
        assert!(f.matches(&["05".to_string()]));
    }
}
