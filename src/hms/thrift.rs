//! Thrift's binary protocol, as the Hive Metastore speaks it, decoded into a generic
//! value tree.
//!
//! Decoding the whole message generically (rather than into generated structs)
//! means unknown fields and the arguments of unknown methods are skipped for free,
//! so structs of later Hive versions decode and an unserved call leaves the
//! connection in step. Lengths are checked against the message's byte budget
//! before anything is allocated, so an absurd length prefix costs nothing.

use std::future::Future;
use std::pin::Pin;
use tokio::io::{AsyncRead, AsyncReadExt};

pub const T_STOP: u8 = 0;
pub const T_BOOL: u8 = 2;
pub const T_BYTE: u8 = 3;
pub const T_DOUBLE: u8 = 4;
pub const T_I16: u8 = 6;
pub const T_I32: u8 = 8;
pub const T_I64: u8 = 10;
pub const T_STRING: u8 = 11;
pub const T_STRUCT: u8 = 12;
pub const T_MAP: u8 = 13;
pub const T_SET: u8 = 14;
pub const T_LIST: u8 = 15;

pub const CALL: u8 = 1;
pub const REPLY: u8 = 2;
pub const EXCEPTION: u8 = 3;
pub const ONEWAY: u8 = 4;

/// TApplicationException types.
pub const UNKNOWN_METHOD: i32 = 1;
pub const INTERNAL_ERROR: i32 = 6;

const VERSION_1: u32 = 0x8001_0000;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum TValue {
    Bool(bool),
    Byte(i8),
    Double(f64),
    I16(i16),
    I32(i32),
    I64(i64),
    Str(Vec<u8>),
    Struct(TStruct),
    Map(u8, u8, Vec<(TValue, TValue)>),
    Set(u8, Vec<TValue>),
    List(u8, Vec<TValue>),
}

impl TValue {
    pub fn type_id(&self) -> u8 {
        match self {
            TValue::Bool(_) => T_BOOL,
            TValue::Byte(_) => T_BYTE,
            TValue::Double(_) => T_DOUBLE,
            TValue::I16(_) => T_I16,
            TValue::I32(_) => T_I32,
            TValue::I64(_) => T_I64,
            TValue::Str(_) => T_STRING,
            TValue::Struct(_) => T_STRUCT,
            TValue::Map(..) => T_MAP,
            TValue::Set(..) => T_SET,
            TValue::List(..) => T_LIST,
        }
    }

    pub fn as_str(&self) -> Option<String> {
        match self {
            TValue::Str(b) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            TValue::Byte(v) => Some(*v as i64),
            TValue::I16(v) => Some(*v as i64),
            TValue::I32(v) => Some(*v as i64),
            TValue::I64(v) => Some(*v),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&TStruct> {
        match self {
            TValue::Struct(s) => Some(s),
            _ => None,
        }
    }

    pub fn items(&self) -> &[TValue] {
        match self {
            TValue::List(_, v) | TValue::Set(_, v) => v,
            _ => &[],
        }
    }

    pub fn str_list(items: impl IntoIterator<Item = String>) -> TValue {
        TValue::List(
            T_STRING,
            items
                .into_iter()
                .map(|s| TValue::Str(s.into_bytes()))
                .collect(),
        )
    }

    pub fn struct_list(items: impl IntoIterator<Item = TStruct>) -> TValue {
        TValue::List(T_STRUCT, items.into_iter().map(TValue::Struct).collect())
    }

    pub fn str_map<'a>(m: impl IntoIterator<Item = (&'a String, &'a String)>) -> TValue {
        TValue::Map(
            T_STRING,
            T_STRING,
            m.into_iter()
                .map(|(k, v)| {
                    (
                        TValue::Str(k.clone().into_bytes()),
                        TValue::Str(v.clone().into_bytes()),
                    )
                })
                .collect(),
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TStruct {
    pub fields: Vec<(i16, TValue)>,
}

impl TStruct {
    pub fn new() -> Self {
        TStruct::default()
    }

    pub fn get(&self, id: i16) -> Option<&TValue> {
        self.fields.iter().find(|(i, _)| *i == id).map(|(_, v)| v)
    }

    pub fn str(&self, id: i16) -> Option<String> {
        self.get(id).and_then(TValue::as_str)
    }

    pub fn int(&self, id: i16) -> Option<i64> {
        self.get(id).and_then(TValue::as_i64)
    }

    pub fn bool(&self, id: i16) -> Option<bool> {
        match self.get(id) {
            Some(TValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn strct(&self, id: i16) -> Option<&TStruct> {
        self.get(id).and_then(TValue::as_struct)
    }

    pub fn list(&self, id: i16) -> &[TValue] {
        self.get(id).map(TValue::items).unwrap_or(&[])
    }

    pub fn strings(&self, id: i16) -> Vec<String> {
        self.list(id).iter().filter_map(TValue::as_str).collect()
    }

    pub fn str_map(&self, id: i16) -> std::collections::BTreeMap<String, String> {
        match self.get(id) {
            Some(TValue::Map(_, _, kv)) => kv
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
                .collect(),
            _ => Default::default(),
        }
    }

    /// Adds a field (builder style).
    pub fn with(mut self, id: i16, v: TValue) -> Self {
        self.fields.push((id, v));
        self
    }

    pub fn with_str(self, id: i16, s: impl Into<String>) -> Self {
        self.with(id, TValue::Str(s.into().into_bytes()))
    }

    pub fn with_opt_str(self, id: i16, s: Option<impl Into<String>>) -> Self {
        match s {
            Some(s) => self.with_str(id, s),
            None => self,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ThriftError {
    #[error("connection closed")]
    Closed,
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed message: {0}")]
    Malformed(String),
}

fn bad(msg: impl Into<String>) -> ThriftError {
    ThriftError::Malformed(msg.into())
}

/// One decoded message.
#[derive(Debug)]
pub struct Message {
    pub name: String,
    pub kind: u8,
    pub seq: i32,
    pub args: TStruct,
}

/// Reads values from a stream within a byte budget.
pub struct Reader<'a, R> {
    r: &'a mut R,
    budget: usize,
}

type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, ThriftError>> + Send + 'a>>;

impl<'a, R: AsyncRead + Unpin + Send> Reader<'a, R> {
    pub fn new(r: &'a mut R, budget: usize) -> Self {
        Reader { r, budget }
    }

    fn spend(&mut self, n: usize) -> Result<(), ThriftError> {
        if n > self.budget {
            return Err(bad(format!(
                "a length of {n} bytes exceeds what is left of the message limit"
            )));
        }
        self.budget -= n;
        Ok(())
    }

    async fn bytes<const N: usize>(&mut self) -> Result<[u8; N], ThriftError> {
        self.spend(N)?;
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                bad("the message ends early")
            } else {
                ThriftError::Io(e)
            }
        })?;
        Ok(b)
    }

    async fn u8(&mut self) -> Result<u8, ThriftError> {
        Ok(self.bytes::<1>().await?[0])
    }

    async fn i16(&mut self) -> Result<i16, ThriftError> {
        Ok(i16::from_be_bytes(self.bytes().await?))
    }

    async fn i32(&mut self) -> Result<i32, ThriftError> {
        Ok(i32::from_be_bytes(self.bytes().await?))
    }

    async fn len(&mut self, what: &str, unit: usize) -> Result<usize, ThriftError> {
        let n = self.i32().await?;
        if n < 0 {
            return Err(bad(format!("negative {what} length {n}")));
        }
        // Every element takes at least `unit` bytes: check before allocating.
        if (n as usize).saturating_mul(unit) > self.budget {
            return Err(bad(format!(
                "a {what} of {n} elements cannot fit in what is left of the message"
            )));
        }
        Ok(n as usize)
    }

    async fn string(&mut self) -> Result<Vec<u8>, ThriftError> {
        let n = self.len("string", 1).await?;
        self.spend(n)?;
        let mut b = vec![0u8; n];
        self.r.read_exact(&mut b).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                bad("the message ends inside a string")
            } else {
                ThriftError::Io(e)
            }
        })?;
        Ok(b)
    }

    fn value(&mut self, ty: u8, depth: usize) -> Fut<'_, TValue> {
        Box::pin(async move {
            if depth > MAX_DEPTH {
                return Err(bad("values nest too deeply"));
            }
            Ok(match ty {
                T_BOOL => TValue::Bool(self.u8().await? != 0),
                T_BYTE => TValue::Byte(self.u8().await? as i8),
                T_DOUBLE => TValue::Double(f64::from_be_bytes(self.bytes().await?)),
                T_I16 => TValue::I16(self.i16().await?),
                T_I32 => TValue::I32(self.i32().await?),
                T_I64 => TValue::I64(i64::from_be_bytes(self.bytes().await?)),
                T_STRING => TValue::Str(self.string().await?),
                T_STRUCT => TValue::Struct(self.strukt(depth + 1).await?),
                T_MAP => {
                    let (k, v) = (self.u8().await?, self.u8().await?);
                    let n = self.len("map", 2).await?;
                    let mut out = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        let key = self.value(k, depth + 1).await?;
                        let val = self.value(v, depth + 1).await?;
                        out.push((key, val));
                    }
                    TValue::Map(k, v, out)
                }
                T_SET | T_LIST => {
                    let e = self.u8().await?;
                    let n = self.len("list", 1).await?;
                    let mut out = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        out.push(self.value(e, depth + 1).await?);
                    }
                    if ty == T_SET {
                        TValue::Set(e, out)
                    } else {
                        TValue::List(e, out)
                    }
                }
                other => return Err(bad(format!("unknown field type {other}"))),
            })
        })
    }

    fn strukt(&mut self, depth: usize) -> Fut<'_, TStruct> {
        Box::pin(async move {
            let mut s = TStruct::new();
            loop {
                let ty = self.u8().await?;
                if ty == T_STOP {
                    return Ok(s);
                }
                let id = self.i16().await?;
                let v = self.value(ty, depth).await?;
                s.fields.push((id, v));
            }
        })
    }

    /// Reads a message header and its argument struct. `first` is the first byte of
    /// the header, already read by the caller.
    pub async fn message(&mut self, first: u8) -> Result<Message, ThriftError> {
        let rest: [u8; 3] = self.bytes().await?;
        let word = u32::from_be_bytes([first, rest[0], rest[1], rest[2]]);
        let (name, kind) = if word & 0xffff_0000 == VERSION_1 {
            let kind = (word & 0xff) as u8;
            (self.string().await?, kind)
        } else if word & 0x8000_0000 == 0 {
            // Old, non-strict: the name's length, the name, then the type.
            let n = word as usize;
            self.spend(n)?;
            let mut name = vec![0u8; n];
            self.r.read_exact(&mut name).await?;
            (name, self.u8().await?)
        } else {
            return Err(bad(format!("bad protocol version {word:#x}")));
        };
        let seq = self.i32().await?;
        let args = self.strukt(0).await?;
        Ok(Message {
            name: String::from_utf8_lossy(&name).into_owned(),
            kind,
            seq,
            args,
        })
    }
}

/// Writes values in the binary protocol.
pub fn write_value(out: &mut Vec<u8>, v: &TValue) {
    match v {
        TValue::Bool(b) => out.push(u8::from(*b)),
        TValue::Byte(b) => out.push(*b as u8),
        TValue::Double(d) => out.extend_from_slice(&d.to_be_bytes()),
        TValue::I16(x) => out.extend_from_slice(&x.to_be_bytes()),
        TValue::I32(x) => out.extend_from_slice(&x.to_be_bytes()),
        TValue::I64(x) => out.extend_from_slice(&x.to_be_bytes()),
        TValue::Str(s) => {
            out.extend_from_slice(&(s.len() as i32).to_be_bytes());
            out.extend_from_slice(s);
        }
        TValue::Struct(s) => write_struct(out, s),
        TValue::Map(k, val, kv) => {
            out.push(*k);
            out.push(*val);
            out.extend_from_slice(&(kv.len() as i32).to_be_bytes());
            for (a, b) in kv {
                write_value(out, a);
                write_value(out, b);
            }
        }
        TValue::Set(e, items) | TValue::List(e, items) => {
            out.push(*e);
            out.extend_from_slice(&(items.len() as i32).to_be_bytes());
            for i in items {
                write_value(out, i);
            }
        }
    }
}

pub fn write_struct(out: &mut Vec<u8>, s: &TStruct) {
    for (id, v) in &s.fields {
        out.push(v.type_id());
        out.extend_from_slice(&id.to_be_bytes());
        write_value(out, v);
    }
    out.push(T_STOP);
}

/// A whole message: strict header, then the body struct.
pub fn write_message(name: &str, kind: u8, seq: i32, body: &TStruct) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&(VERSION_1 | kind as u32).to_be_bytes());
    out.extend_from_slice(&(name.len() as i32).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    write_struct(&mut out, body);
    out
}

/// TApplicationException {1: message, 2: type}.
pub fn application_exception(message: &str, kind: i32) -> TStruct {
    TStruct::new()
        .with_str(1, message)
        .with(2, TValue::I32(kind))
}

/// `s` in Thrift's TJSONProtocol, the form Hive's `JSONMessageFactory` puts
/// catalog objects into notification messages (`tableObjJson`, …): fields by id
/// with their type, lists and maps with their element types and sizes.
pub fn to_tjson(s: &TStruct) -> String {
    let mut out = String::new();
    tjson_struct(&mut out, s);
    out
}

fn tjson_type(t: u8) -> &'static str {
    match t {
        T_BOOL => "tf",
        T_BYTE => "i8",
        T_DOUBLE => "dbl",
        T_I16 => "i16",
        T_I32 => "i32",
        T_I64 => "i64",
        T_STRING => "str",
        T_STRUCT => "rec",
        T_MAP => "map",
        T_SET => "set",
        _ => "lst",
    }
}

fn tjson_struct(out: &mut String, s: &TStruct) {
    out.push('{');
    for (i, (id, v)) in s.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{id}\":{{\"{}\":", tjson_type(v.type_id())));
        tjson_value(out, v, false);
        out.push('}');
    }
    out.push('}');
}

/// A value; map keys are always JSON strings (`as_key`).
fn tjson_value(out: &mut String, v: &TValue, as_key: bool) {
    let num = |out: &mut String, n: String| {
        if as_key {
            out.push_str(&serde_json::Value::String(n).to_string());
        } else {
            out.push_str(&n);
        }
    };
    match v {
        TValue::Bool(b) => num(out, (*b as u8).to_string()),
        TValue::Byte(n) => num(out, n.to_string()),
        TValue::I16(n) => num(out, n.to_string()),
        TValue::I32(n) => num(out, n.to_string()),
        TValue::I64(n) => num(out, n.to_string()),
        TValue::Double(d) => num(out, serde_json::json!(d).to_string()),
        TValue::Str(b) => {
            let s = String::from_utf8_lossy(b);
            out.push_str(&serde_json::Value::String(s.into_owned()).to_string());
        }
        TValue::Struct(s) => tjson_struct(out, s),
        TValue::List(t, items) | TValue::Set(t, items) => {
            out.push_str(&format!("[\"{}\",{}", tjson_type(*t), items.len()));
            for it in items {
                out.push(',');
                tjson_value(out, it, false);
            }
            out.push(']');
        }
        TValue::Map(k, vt, entries) => {
            out.push_str(&format!(
                "[\"{}\",\"{}\",{},{{",
                tjson_type(*k),
                tjson_type(*vt),
                entries.len()
            ));
            for (i, (key, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                tjson_value(out, key, true);
                out.push(':');
                tjson_value(out, val, false);
            }
            out.push_str("}]");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TStruct {
        TStruct::new()
            .with_str(1, "db")
            .with(2, TValue::I32(-7))
            .with(3, TValue::str_list(["a".to_string(), "b".to_string()]))
            .with(
                4,
                TValue::Struct(
                    TStruct::new()
                        .with(1, TValue::Bool(true))
                        .with(9, TValue::I64(1 << 40)),
                ),
            )
            .with(
                5,
                TValue::Map(
                    T_STRING,
                    T_I16,
                    vec![(TValue::Str(b"k".to_vec()), TValue::I16(3))],
                ),
            )
            .with(6, TValue::Double(1.5))
    }

    async fn decode(bytes: &[u8]) -> Result<Message, ThriftError> {
        let mut r = bytes;
        let first = r[0];
        r = &r[1..];
        Reader::new(&mut r, 1 << 20).message(first).await
    }

    #[tokio::test]
    async fn messages_round_trip() {
        let bytes = write_message("get_table", CALL, 42, &sample());
        let m = decode(&bytes).await.unwrap();
        assert_eq!((m.name.as_str(), m.kind, m.seq), ("get_table", CALL, 42));
        assert_eq!(m.args, sample());
    }

    #[tokio::test]
    async fn malformed_input_is_refused_without_allocating() {
        let mut bytes = write_message("x", CALL, 1, &TStruct::new());
        bytes.pop(); // drop the STOP
                     // A list that claims two billion elements.
        bytes.extend_from_slice(&[T_LIST, 0, 1, T_STRING, 0x7f, 0xff, 0xff, 0xff]);
        let e = decode(&bytes).await.unwrap_err();
        assert!(e.to_string().contains("cannot fit"), "{e}");
        // A string of 2 GiB.
        let mut bytes = write_message("x", CALL, 1, &TStruct::new());
        bytes.pop();
        bytes.extend_from_slice(&[T_STRING, 0, 1, 0x7f, 0xff, 0xff, 0xff]);
        assert!(decode(&bytes).await.is_err());
        // Truncated.
        let bytes = write_message("get_table", CALL, 42, &sample());
        let e = decode(&bytes[..bytes.len() - 5]).await.unwrap_err();
        assert!(e.to_string().contains("ends"), "{e}");
        // Unknown type.
        let mut bytes = write_message("x", CALL, 1, &TStruct::new());
        bytes.pop();
        bytes.extend_from_slice(&[99, 0, 1]);
        assert!(decode(&bytes)
            .await
            .unwrap_err()
            .to_string()
            .contains("unknown field type"));
    }

    proptest::proptest! {
        /// Any bytes: a message or an error, never a panic or a runaway allocation.
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                if let Some((&first, rest)) = bytes.split_first() {
                    let mut r: &[u8] = rest;
                    let _ = Reader::new(&mut r, 1 << 16).message(first).await;
                }
            });
        }

        /// A valid message with bytes flipped: still never a panic.
        #[test]
        fn decoding_corrupted_messages_never_panics(flips in proptest::collection::vec((0usize..200, proptest::num::u8::ANY), 1..8)) {
            let mut msg = write_message("get_table", CALL, 3, &sample());
            for (at, b) in flips {
                let i = at % msg.len();
                msg[i] = b;
            }
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let (&first, rest) = msg.split_first().unwrap();
                let mut r: &[u8] = rest;
                let _ = Reader::new(&mut r, 1 << 16).message(first).await;
            });
        }
    }

    #[test]
    fn tjson_is_what_thrifts_tjsonprotocol_writes() {
        let s = TStruct::new()
            .with_str(1, "a \"quoted\" \u{e9}")
            .with(2, TValue::Bool(true))
            .with(3, TValue::I32(-7))
            .with(
                4,
                TValue::Map(
                    T_I32,
                    T_STRING,
                    vec![(TValue::I32(1), TValue::Str(b"x".to_vec()))],
                ),
            )
            .with(5, TValue::str_list(["p".to_string()]))
            .with(6, TValue::Struct(TStruct::new().with(1, TValue::I64(9))));
        assert_eq!(
            to_tjson(&s),
            r#"{"1":{"str":"a \"quoted\" é"},"2":{"tf":1},"3":{"i32":-7},"4":{"map":["i32","str",1,{"1":"x"}]},"5":{"lst":["str",1,"p"]},"6":{"rec":{"1":{"i64":9}}}}"#
        );
    }
}
