//! Partition filter expressions: Glue's `GetPartitions` grammar, shared with the
//! REST and DDL fronts, and the Hive Metastore's `get_partitions_by_filter` grammar.
//!
//! The two grammars are the same but for `LIKE`, whose operand means different
//! things: in Glue (and so in lakecat's REST filters and DDL) it is SQL's pattern
//! (`%` any run, `_` one character); in the Hive Metastore it is a Java regular
//! expression that must match the whole value (`"2024-01.*"`), which is what Spark
//! pushes down for `LIKE 'x%'`, `startswith`, `endswith` and `contains`. The
//! [`Dialect`] a filter is parsed with decides.
//!
//! sqlparser does the tokenising; the parser here accepts only the subset Glue
//! documents (comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, IS [NOT] NULL,
//! parentheses) and gives it typed semantics: a comparison follows the partition
//! key's declared type, so `hour > 5` is numeric on an `int` key and
//! `dt >= '2024-01-01'` is a date comparison on a `date` key.
//!
//! Clients send long filters: Spark turns `IN` lists of up to 1,000 values into
//! `OR` chains, and hostile clients send far more. AND and OR are n-ary and parsed
//! in loops, so a flat chain of any length builds a shallow tree; only parentheses
//! and NOT nest, and at most [`MAX_NESTING`] deep. Every recursive walk below
//! (compiling, evaluating, dropping) is therefore bounded.
//!
//! Evaluation is three-valued like SQL: a stored value that does not parse as its
//! key's type (or Hive's null partition `__HIVE_DEFAULT_PARTITION__`) compares as
//! NULL, so neither `x = 1` nor `NOT x = 1` selects it.

use crate::error::{Error, Result};
use crate::model::Column;
use crate::types::HiveType;
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};
use std::cmp::Ordering;

/// What Hive writes as the value of a partition whose key was NULL.
pub const HIVE_NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// How deep parentheses and NOT may nest.
pub const MAX_NESTING: usize = 100;

/// Whose filter grammar a text is in; they differ in what `LIKE` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Glue's `Expression` (also lakecat's REST `filter` and DDL): SQL `LIKE`.
    #[default]
    Glue,
    /// The Hive Metastore's filter: `like` takes a Java regular expression.
    Hive,
}

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

/// What a `LIKE` pattern is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeSyntax {
    /// SQL: `%` any run, `_` one character, everything else literal.
    Sql,
    /// A Java regular expression matched against the whole value (Hive).
    Regex,
}

/// A parsed, not yet typed, filter. `And` and `Or` hold two or more terms.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterExpr {
    And(Vec<FilterExpr>),
    Or(Vec<FilterExpr>),
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
        syntax: LikeSyntax,
    },
    IsNull {
        key: KeyRef,
        negated: bool,
    },
}

fn err_at(pos: Pos, msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("partition filter: {msg} at {pos}"))
}

impl FilterExpr {
    /// Parses a filter in Glue's grammar; `Ok(None)` for an empty or blank
    /// expression (no filter), which is what Hive and Spark clients send when
    /// they want everything.
    pub fn parse(text: &str) -> Result<Option<FilterExpr>> {
        Self::parse_as(text, Dialect::Glue)
    }

    /// Parses a filter in the given grammar.
    pub fn parse_as(text: &str, dialect: Dialect) -> Result<Option<FilterExpr>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let tokens = Tokenizer::new(&GenericDialect {}, text)
            .tokenize_with_location()
            .map_err(|e| Error::invalid(format!("partition filter: {e}")))?;
        let tokens: Vec<TokenWithSpan> = tokens
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect();
        let line = text.lines().count().max(1) as u64;
        let column = text.lines().last().map_or(0, |l| l.chars().count()) as u64 + 1;
        let mut p = Parser {
            tokens,
            at: 0,
            end: Pos { line, column },
            depth: 0,
            like: match dialect {
                Dialect::Glue => LikeSyntax::Sql,
                Dialect::Hive => LikeSyntax::Regex,
            },
        };
        let e = p.or()?;
        if let Some(t) = p.peek() {
            return Err(err_at(
                p.pos(),
                format!("unexpected '{}' after the expression", t.token),
            ));
        }
        Ok(Some(e))
    }
}

struct Parser {
    tokens: Vec<TokenWithSpan>,
    at: usize,
    /// Where the text ends, for errors there.
    end: Pos,
    depth: usize,
    like: LikeSyntax,
}

impl Parser {
    fn peek(&self) -> Option<&TokenWithSpan> {
        self.tokens
            .get(self.at)
            .filter(|t| !matches!(t.token, Token::EOF))
    }

    fn pos(&self) -> Pos {
        self.peek().map_or(self.end, |t| t.span.start.into())
    }

    fn next(&mut self) -> Option<TokenWithSpan> {
        let t = self.peek().cloned();
        if t.is_some() {
            self.at += 1;
        }
        t
    }

    fn keyword(&self) -> Option<Keyword> {
        match self.peek().map(|t| &t.token) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.keyword),
            _ => None,
        }
    }

    fn eat(&mut self, k: Keyword) -> bool {
        let hit = self.keyword() == Some(k);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn eat_token(&mut self, want: &Token) -> bool {
        let hit = self.peek().is_some_and(|t| &t.token == want);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<()> {
        if self.eat_token(&want) {
            return Ok(());
        }
        Err(self.expected(what))
    }

    fn expected(&self, what: &str) -> Error {
        match self.peek() {
            Some(t) => err_at(
                self.pos(),
                format!("expected {what} but found '{}'", t.token),
            ),
            None => err_at(
                self.end,
                format!("expected {what} (the expression ended early)"),
            ),
        }
    }

    fn nest(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(err_at(
                self.pos(),
                format!("the expression nests too deeply (more than {MAX_NESTING} levels of parentheses and NOT)"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<FilterExpr> {
        let mut terms = vec![self.and()?];
        while self.eat(Keyword::OR) {
            terms.push(self.and()?);
        }
        Ok(n_ary(terms, FilterExpr::Or))
    }

    fn and(&mut self) -> Result<FilterExpr> {
        let mut terms = vec![self.unary()?];
        while self.eat(Keyword::AND) {
            terms.push(self.unary()?);
        }
        Ok(n_ary(terms, FilterExpr::And))
    }

    fn unary(&mut self) -> Result<FilterExpr> {
        if self.eat(Keyword::NOT) {
            self.nest()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(FilterExpr::Not(Box::new(inner)));
        }
        if !self.paren_key_ahead() && self.eat_token(&Token::LParen) {
            self.nest()?;
            let inner = self.or()?;
            self.expect(Token::RParen, "')'")?;
            self.depth -= 1;
            return Ok(inner);
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<FilterExpr> {
        let start = self.pos();
        let left = self.operand()?;
        let negated = self.eat(Keyword::NOT);
        if let Some(k) = self.keyword() {
            let shape = match k {
                Keyword::IN | Keyword::BETWEEN | Keyword::LIKE => true,
                Keyword::IS if !negated => true,
                _ => false,
            };
            if shape {
                let key = need_key(left, start)?;
                self.at += 1;
                return match k {
                    Keyword::IN => {
                        self.expect(Token::LParen, "'(' and a list of values")?;
                        let mut list = vec![self.literal()?];
                        while self.eat_token(&Token::Comma) {
                            list.push(self.literal()?);
                        }
                        self.expect(Token::RParen, "')' or ',' in the IN list")?;
                        Ok(FilterExpr::In { key, list, negated })
                    }
                    Keyword::BETWEEN => {
                        let low = self.literal()?;
                        if !self.eat(Keyword::AND) {
                            return Err(self.expected("AND in BETWEEN … AND …"));
                        }
                        let high = self.literal()?;
                        Ok(FilterExpr::Between {
                            key,
                            low,
                            high,
                            negated,
                        })
                    }
                    Keyword::LIKE => {
                        let pattern = self.literal()?;
                        if !matches!(pattern.kind, LitKind::Str(_)) {
                            return Err(err_at(pattern.pos, "LIKE needs a quoted string pattern"));
                        }
                        Ok(FilterExpr::Like {
                            key,
                            pattern,
                            negated,
                            syntax: self.like,
                        })
                    }
                    _ => {
                        let negated = self.eat(Keyword::NOT);
                        if !self.eat(Keyword::NULL) {
                            return Err(self.expected("NULL after IS"));
                        }
                        Ok(FilterExpr::IsNull { key, negated })
                    }
                };
            }
        }
        if negated {
            return Err(self.expected("IN, BETWEEN or LIKE after NOT"));
        }
        let op = match self.peek().map(|t| &t.token) {
            Some(Token::Eq | Token::DoubleEq) => CmpOp::Eq,
            Some(Token::Neq) => CmpOp::NotEq,
            Some(Token::Lt) => CmpOp::Lt,
            Some(Token::LtEq) => CmpOp::LtEq,
            Some(Token::Gt) => CmpOp::Gt,
            Some(Token::GtEq) => CmpOp::GtEq,
            Some(t) if is_operator(t) => {
                return Err(err_at(
                    self.pos(),
                    format!("operator '{t}' is not supported"),
                ))
            }
            _ => {
                return Err(self.expected(
                    "a comparison (=, <>, <, <=, >, >=), IN, BETWEEN, LIKE or IS [NOT] NULL",
                ))
            }
        };
        self.at += 1;
        let right_pos = self.pos();
        let right = self.operand()?;
        match (left, right) {
            (Operand::Key(key), Operand::Lit(lit)) => Ok(FilterExpr::Cmp { key, op, lit }),
            (Operand::Lit(lit), Operand::Key(key)) => Ok(FilterExpr::Cmp {
                key,
                op: op.flip(),
                lit,
            }),
            (Operand::Key(_), Operand::Key(k)) => Err(err_at(
                right_pos,
                format!(
                    "expected a literal but found the name '{}' (quote strings with ')",
                    k.name
                ),
            )),
            (Operand::Lit(_), Operand::Lit(_)) => Err(err_at(
                start,
                "a comparison needs a partition key on one side",
            )),
        }
    }

    /// `(key)`, which is how Spark writes the key of `IN` (`(dt) in ("a", "b")`)
    /// and Hive's grammar takes for `IN` and `BETWEEN`.
    fn paren_key_ahead(&self) -> bool {
        let t = |i: usize| self.tokens.get(self.at + i).map(|t| &t.token);
        matches!(
            (t(0), t(1), t(2)),
            (Some(Token::LParen), Some(Token::Word(w)), Some(Token::RParen))
                if w.quote_style != Some('"') && !is_reserved(w.keyword)
        )
    }

    /// A partition key (a bare, back-quoted or parenthesised name) or a literal.
    /// Double-quoted text is a string literal (Hive's filter syntax), never a key.
    fn operand(&mut self) -> Result<Operand> {
        if self.paren_key_ahead() {
            self.at += 1;
            let key = self.operand()?;
            self.at += 1;
            return Ok(key);
        }
        let pos = self.pos();
        let Some(t) = self.peek().cloned() else {
            return Err(self.expected("a partition key or a value"));
        };
        match &t.token {
            Token::Word(w) if w.quote_style.is_none() && is_reserved(w.keyword) => {
                Err(self.expected("a partition key or a value"))
            }
            Token::Word(w)
                if w.quote_style.is_none()
                    && matches!(w.keyword, Keyword::DATE | Keyword::TIMESTAMP)
                    && matches!(
                        self.tokens.get(self.at + 1).map(|t| &t.token),
                        Some(Token::SingleQuotedString(_))
                    ) =>
            {
                self.literal().map(Operand::Lit)
            }
            Token::Word(w) if w.quote_style.is_none() || w.quote_style == Some('`') => {
                self.at += 1;
                if self.peek().is_some_and(|t| t.token == Token::LParen) {
                    return Err(err_at(
                        pos,
                        format!("'{}(…)': functions are not supported; a comparison needs a partition key on one side", w.value),
                    ));
                }
                Ok(Operand::Key(KeyRef {
                    name: w.value.to_lowercase(),
                    pos,
                }))
            }
            _ => self.literal().map(Operand::Lit),
        }
    }

    fn literal(&mut self) -> Result<Lit> {
        let pos = self.pos();
        let Some(t) = self.next() else {
            return Err(self.expected("a value"));
        };
        let kind = match t.token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => LitKind::Str(s),
            Token::Word(w) if w.quote_style == Some('"') => LitKind::Str(w.value),
            Token::Number(n, _) => LitKind::Num(n),
            Token::Minus | Token::Plus => match self.next().map(|t| t.token) {
                Some(Token::Number(n, _)) if t.token == Token::Minus => {
                    LitKind::Num(format!("-{n}"))
                }
                Some(Token::Number(n, _)) => LitKind::Num(n),
                _ => return Err(err_at(pos, "a sign applies to numbers only")),
            },
            Token::Word(w)
                if w.quote_style.is_none()
                    && matches!(w.keyword, Keyword::DATE | Keyword::TIMESTAMP) =>
            {
                match self.next().map(|t| t.token) {
                    Some(Token::SingleQuotedString(s)) => LitKind::Str(s),
                    _ => return Err(err_at(pos, format!("{} needs a quoted value", w.value))),
                }
            }
            Token::Word(w) if w.quote_style.is_none() || w.quote_style == Some('`') => {
                return Err(err_at(
                    pos,
                    format!(
                        "expected a literal but found the name '{}' (quote strings with ')",
                        w.value
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
}

enum Operand {
    Key(KeyRef),
    Lit(Lit),
}

fn need_key(o: Operand, pos: Pos) -> Result<KeyRef> {
    match o {
        Operand::Key(k) => Ok(k),
        Operand::Lit(_) => Err(err_at(
            pos,
            "expected a partition key before IN, BETWEEN, LIKE or IS",
        )),
    }
}

/// Words that end or join conditions, so never a key.
fn is_reserved(k: Keyword) -> bool {
    matches!(
        k,
        Keyword::AND
            | Keyword::OR
            | Keyword::NOT
            | Keyword::IN
            | Keyword::BETWEEN
            | Keyword::LIKE
            | Keyword::IS
            | Keyword::NULL
            | Keyword::SELECT
            | Keyword::TRUE
            | Keyword::FALSE
    )
}

fn is_operator(t: &Token) -> bool {
    matches!(
        t,
        Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::StringConcat
            | Token::Ampersand
            | Token::Pipe
            | Token::Caret
            | Token::Spaceship
    )
}

fn n_ary(mut terms: Vec<FilterExpr>, make: fn(Vec<FilterExpr>) -> FilterExpr) -> FilterExpr {
    if terms.len() == 1 {
        terms.pop().expect("one term")
    } else {
        make(terms)
    }
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
    And(Vec<Node>),
    Or(Vec<Node>),
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
            Node::And(terms) => {
                let mut all = Some(true);
                for t in terms {
                    match self.eval(t, values) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            Node::Or(terms) => {
                let mut any = Some(false);
                for t in terms {
                    match self.eval(t, values) {
                        Some(true) => return Some(true),
                        None => any = None,
                        Some(false) => {}
                    }
                }
                any
            }
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
            crate::kv::keys::encode_value(out, text);
        }
    }

    /// Appends the encoding of a typed value; false if it has none (a fractional
    /// number on an integer key, an integer beyond 64 bits).
    fn encode_typed(&self, out: &mut Vec<u8>, t: &Typed) -> bool {
        match (self.0, t) {
            (Kind::Str, Typed::Str(s)) => {
                out.push(TAG_VALUE);
                crate::kv::keys::encode_value(out, s);
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

fn node_conjuncts(n: &Node) -> Vec<&Node> {
    match n {
        Node::And(terms) => terms.iter().collect(),
        n => vec![n],
    }
}

impl CompiledFilter {
    /// The bounds this filter puts on an index over the partition keys at
    /// `positions` (each with its codec). Conservative like [`ScanBounds`]: only
    /// top-level conjuncts narrow the range, and the full filter is still applied.
    pub fn index_bounds(&self, keys: &[(usize, KeyCodec)]) -> IndexBounds {
        let cs = node_conjuncts(&self.root);
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

    fn nodes(&self, terms: &[FilterExpr]) -> Result<Vec<Node>> {
        terms.iter().map(|t| self.node(t)).collect()
    }

    fn node(&self, e: &FilterExpr) -> Result<Node> {
        Ok(match e {
            FilterExpr::And(terms) => Node::And(self.nodes(terms)?),
            FilterExpr::Or(terms) => Node::Or(self.nodes(terms)?),
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
                syntax,
            } => {
                let i = self.key(key)?;
                let LitKind::Str(p) = &pattern.kind else {
                    unreachable!("checked when parsed")
                };
                let re = match syntax {
                    LikeSyntax::Sql => like_regex(p),
                    LikeSyntax::Regex => whole_match_regex(p),
                };
                Node::Like(i, re.map_err(|m| err_at(pattern.pos, m))?, *negated)
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

/// A Hive `like` operand: a Java regular expression that must match the whole
/// value (the metastore evaluates it as JDOQL `value.matches(pattern)`, i.e.
/// `String.matches`). The syntax both engines share (classes, `.`, `*`, `+`, `?`,
/// `{m,n}`, groups, alternation, escapes) means the same; `.` does not match a line
/// break in either.
fn whole_match_regex(pattern: &str) -> std::result::Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            format!(
                "the like operand is a regular expression (as in the Hive Metastore), and '{pattern}' is not a valid one: {}",
                e.to_string().lines().last().unwrap_or_default()
            )
        })
}

fn conjuncts(e: &FilterExpr) -> Vec<&FilterExpr> {
    match e {
        FilterExpr::And(terms) => terms.iter().collect(),
        e => vec![e],
    }
}

fn scan_bounds(e: &FilterExpr, keys: &[Column], kinds: &[Kind]) -> ScanBounds {
    let cs = conjuncts(e);
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
                "expected a partition key or a value (the expression ended early)",
                "line 1, column 13",
            ),
            (
                "dt = 'a' region = 'b'",
                "unexpected 'region' after the expression",
                "line 1, column 10",
            ),
            ("dt + 1 = 2", "operator '+' is not supported", "column 4"),
            (
                "'a' = 'b'",
                "a comparison needs a partition key on one side",
                "column 1",
            ),
            ("dt = 'a' AND (hour = 1", "expected ')'", "column 23"),
            (
                "dt NOT = 'a'",
                "expected IN, BETWEEN or LIKE after NOT",
                "column 8",
            ),
            ("dt IS 'a'", "expected NULL after IS", "column 7"),
            (
                "dt BETWEEN 'a' OR 'b'",
                "expected AND in BETWEEN",
                "column 16",
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
                "expected a literal but found the name 'SELECT'",
                "column 8",
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

    /// Hostile and machine-made filters: flat chains of any length parse into a
    /// shallow tree (no recursion per term), and nesting is capped with an error,
    /// so no input can overflow a worker's stack.
    #[test]
    fn long_filters_parse_and_evaluate_without_deep_recursion() {
        let keys = vec![Column::new("dt", "string"), Column::new("hour", "int")];
        let n = 100_000;
        let and: Vec<String> = (0..n).map(|i| format!("hour <> {i}")).collect();
        let or: Vec<String> = (0..n).map(|i| format!("dt = 'd{i}'")).collect();
        // Run on a thread with the stack of a tokio worker (2 MiB).
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                for (text, hit, miss) in [
                    (and.join(" AND "), ["x", "100001"], ["x", "5"]),
                    (or.join(" OR "), ["d99999", "1"], ["e", "1"]),
                ] {
                    let e = FilterExpr::parse(&text).unwrap().unwrap();
                    let f = CompiledFilter::compile(&e, &keys).unwrap();
                    let row = |v: [&str; 2]| v.map(String::from).to_vec();
                    assert!(f.matches(&row(hit)));
                    assert!(!f.matches(&row(miss)));
                }
                let nested = "NOT ".repeat(n) + "dt = 'a'";
                let e = FilterExpr::parse(&nested).unwrap_err().message;
                assert!(e.contains("nests too deeply"), "{e}");
                let parens = "(".repeat(n) + "dt = 'a'" + &")".repeat(n);
                assert!(FilterExpr::parse(&parens).is_err());
                // The deepest nesting allowed parses, compiles and evaluates.
                let m = MAX_NESTING;
                let deepest = "(NOT ".repeat(m / 2) + "dt = 'a'" + &")".repeat(m / 2);
                let e = FilterExpr::parse(&deepest).unwrap().unwrap();
                let f = CompiledFilter::compile(&e, &keys).unwrap();
                assert!(f.matches(&["a".to_string(), "1".to_string()]));
                // A long IN list is one term.
                let list: Vec<String> = (0..n).map(|i| format!("'{i}'")).collect();
                let e = FilterExpr::parse(&format!("dt IN ({})", list.join(",")))
                    .unwrap()
                    .unwrap();
                let f = CompiledFilter::compile(&e, &keys).unwrap();
                assert!(f.matches(&["77777".to_string(), "1".to_string()]));
            })
            .unwrap()
            .join()
            .unwrap();
    }

    /// The Hive Metastore's `like` takes a Java regular expression matched against
    /// the whole value; Spark sends `"2024-01.*"` for `LIKE '2024-01%'`.
    #[test]
    fn hive_like_is_a_whole_value_regular_expression() {
        let keys = vec![Column::new("dt", "string")];
        let m = |expr: &str, v: &str| {
            let e = FilterExpr::parse_as(expr, Dialect::Hive).unwrap().unwrap();
            CompiledFilter::compile(&e, &keys)
                .unwrap()
                .matches(&[v.to_string()])
        };
        assert!(m("dt like '2024-01.*'", "2024-01-02"));
        // Spark's IN and Hive's parenthesised keys.
        assert!(m("(dt) in ('a', '2024-01-02')", "2024-01-02"));
        assert!(m(
            "(dt) not in ('a') and ((dt) = 'b' or (dt) like 'b.*')",
            "bb"
        ));
        assert!(m("((dt) between 'a' and 'c')", "b"));
        assert!(!m("dt like '2024-01.*'", "2024-02-01"));
        assert!(m("dt like '.*01-0.*'", "2024-01-02"));
        assert!(m("dt like '.*02'", "2024-01-02"));
        assert!(!m("dt like '.*02'", "2024-01-20"));
        // Whole value, not a search: "01" alone matches only "01".
        assert!(!m("dt like '01'", "2024-01-02"));
        assert!(m("dt like '2024-0[12]-.*'", "2024-02-09"));
        assert!(m("not dt like '2024.*'", "2023-12-31"));
        assert!(!m("dt like '.*'", HIVE_NULL_PARTITION));
        // In Glue's grammar the same text is a SQL pattern.
        let glue = |expr: &str, v: &str| {
            let e = FilterExpr::parse(expr).unwrap().unwrap();
            CompiledFilter::compile(&e, &keys)
                .unwrap()
                .matches(&[v.to_string()])
        };
        assert!(!glue("dt LIKE '2024-01.*'", "2024-01-02"));
        assert!(glue("dt LIKE '2024-01%'", "2024-01-02"));
        assert!(glue("dt LIKE '2024.01%'", "2024.01-02"));
        assert!(!glue("dt LIKE '2024.01%'", "2024-01-02"));
        let e = FilterExpr::parse_as("dt like '2024-(01'", Dialect::Hive)
            .unwrap()
            .unwrap();
        let err = CompiledFilter::compile(&e, &keys).unwrap_err().message;
        assert!(
            err.contains("not a valid one") && err.contains("column 9"),
            "{err}"
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

    proptest::proptest! {
        /// Any text, in either grammar: an answer, never a panic.
        #[test]
        fn parsing_never_panics(s in "\\PC{0,200}") {
            let _ = FilterExpr::parse(&s);
            let _ = FilterExpr::parse_as(&s, Dialect::Hive);
        }

        /// Filter-like token soup: whatever parses also compiles or refuses, and
        /// evaluates on any stored values without a panic.
        #[test]
        fn filter_like_input_parses_compiles_and_evaluates(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "dt", "hour", "day", "(", ")", "=", "<>", "!=", "<", ">=", "AND", "OR", "NOT",
                    "IN", ",", "BETWEEN", "LIKE", "like", "IS", "NULL", "'2024-01-01'", "'a%'",
                    "'.*('", "\"x\"", "5", "-", "1.5", "`dt`", "DATE", "'2024-13-40'",
                ]),
                0..30,
            ),
            values in proptest::collection::vec("[0-9a-z%_.-]{0,6}", 3),
        ) {
            let keys = vec![
                Column::new("dt", "string"),
                Column::new("hour", "int"),
                Column::new("day", "date"),
            ];
            let text = parts.join(" ");
            for dialect in [Dialect::Glue, Dialect::Hive] {
                if let Ok(Some(e)) = FilterExpr::parse_as(&text, dialect) {
                    if let Ok(f) = CompiledFilter::compile(&e, &keys) {
                        let _ = f.matches(&values);
                    }
                }
            }
        }
    }
}
