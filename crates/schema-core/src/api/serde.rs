//! serde support for the generated types (feature `serde`): reading a requested version, and
//! the rename phases of a renamed field.
//!
//! The generated code calls [`BothNames`] (a response carries a renamed field under both
//! names during its deprecation window) and [`either_name`] (a request may use either name;
//! the new one wins). Both work on the top-level struct only.

use std::fmt;
use std::marker::PhantomData;

use ::serde::de::{self, Deserialize, Deserializer, IntoDeserializer, Visitor};
use ::serde::ser::{self, Serialize, Serializer};

use crate::runtime::AnyVersion;

#[doc(hidden)]
pub use ::serde as __serde;

/// Reading a value of any version: implemented by the generated `UserAny`.
pub trait DeserializeVersion: AnyVersion {
    /// The input read as the version that serves API version `api` (see
    /// [`AnyVersion::type_version`]).
    fn deserialize_version<'de, D>(api: u32, deserializer: D) -> Result<Self, D::Error>
    where
        D: Deserializer<'de>;
}

/// A serializer that writes each `(new, old)` field of the top-level struct twice: under its
/// new name, then under its old one.
pub struct BothNames<S> {
    inner: S,
    pairs: &'static [(&'static str, &'static str)],
}

impl<S> BothNames<S> {
    pub fn new(inner: S, pairs: &'static [(&'static str, &'static str)]) -> Self {
        BothNames { inner, pairs }
    }
}

/// The struct state of [`BothNames`].
pub struct BothNamesStruct<S> {
    inner: S,
    pairs: &'static [(&'static str, &'static str)],
}

impl<S: ser::SerializeStruct> ser::SerializeStruct for BothNamesStruct<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        self.inner.serialize_field(key, value)?;
        for (new, old) in self.pairs {
            if *new == key {
                self.inner.serialize_field(old, value)?;
            }
        }
        Ok(())
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.inner.end()
    }
}

/// Forwards a `Serializer` method to the wrapped serializer.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(self, $($arg: $ty),*) -> Result<$ret, S::Error> {
            self.inner.$name($($arg),*)
        })*
    };
}

impl<S: Serializer> Serializer for BothNames<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = BothNamesStruct<S::SerializeStruct>;
    type SerializeStructVariant = S::SerializeStructVariant;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let extra = self.pairs.len();
        Ok(BothNamesStruct {
            inner: self.inner.serialize_struct(name, len + extra)?,
            pairs: self.pairs,
        })
    }

    forward! {
        serialize_bool(v: bool) -> S::Ok;
        serialize_i8(v: i8) -> S::Ok;
        serialize_i16(v: i16) -> S::Ok;
        serialize_i32(v: i32) -> S::Ok;
        serialize_i64(v: i64) -> S::Ok;
        serialize_i128(v: i128) -> S::Ok;
        serialize_u8(v: u8) -> S::Ok;
        serialize_u16(v: u16) -> S::Ok;
        serialize_u32(v: u32) -> S::Ok;
        serialize_u64(v: u64) -> S::Ok;
        serialize_u128(v: u128) -> S::Ok;
        serialize_f32(v: f32) -> S::Ok;
        serialize_f64(v: f64) -> S::Ok;
        serialize_char(v: char) -> S::Ok;
        serialize_str(v: &str) -> S::Ok;
        serialize_bytes(v: &[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(name: &'static str) -> S::Ok;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> S::Ok;
        serialize_seq(len: Option<usize>) -> S::SerializeSeq;
        serialize_tuple(len: usize) -> S::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> S::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> S::SerializeTupleVariant;
        serialize_map(len: Option<usize>) -> S::SerializeMap;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> S::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(value)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_struct(name, value)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, value)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Reads the input with `read` after renaming, in its top-level map, each `(new, old)` key:
/// `old` becomes `new` when `new` is absent, and is dropped when `new` is present (the new
/// name wins).
///
/// The input is buffered first, so this needs a self-describing format (JSON, YAML, ...).
pub fn either_name<'de, D, T>(
    deserializer: D,
    pairs: &[(&str, &str)],
    read: impl FnOnce(ContentDeserializer<D::Error>) -> Result<T, D::Error>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let content = Content::deserialize(deserializer)?;
    let content = match content {
        Content::Map(mut entries) => {
            for (new, old) in pairs {
                let has_new = entries.iter().any(|(k, _)| k.is_str(new));
                if has_new {
                    entries.retain(|(k, _)| !k.is_str(old));
                } else {
                    for (k, _) in entries.iter_mut() {
                        if k.is_str(old) {
                            *k = Content::String((*new).to_owned());
                        }
                    }
                }
            }
            Content::Map(entries)
        }
        other => other,
    };
    read(ContentDeserializer::new(content))
}

/// A buffered value of a self-describing input.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Bool(bool),
    U64(u64),
    I64(i64),
    U128(u128),
    I128(i128),
    F64(f64),
    Char(char),
    String(String),
    Bytes(Vec<u8>),
    None,
    Some(Box<Content>),
    Unit,
    Newtype(Box<Content>),
    Seq(Vec<Content>),
    Map(Vec<(Content, Content)>),
}

impl Content {
    fn is_str(&self, name: &str) -> bool {
        matches!(self, Content::String(s) if s == name)
    }

    fn unexpected(&self) -> de::Unexpected<'_> {
        match self {
            Content::Bool(b) => de::Unexpected::Bool(*b),
            Content::U64(n) => de::Unexpected::Unsigned(*n),
            Content::I64(n) => de::Unexpected::Signed(*n),
            Content::F64(n) => de::Unexpected::Float(*n),
            Content::Char(c) => de::Unexpected::Char(*c),
            Content::String(s) => de::Unexpected::Str(s),
            Content::Bytes(b) => de::Unexpected::Bytes(b),
            Content::None | Content::Some(_) => de::Unexpected::Option,
            Content::Unit => de::Unexpected::Unit,
            Content::Newtype(_) => de::Unexpected::NewtypeStruct,
            Content::Seq(_) => de::Unexpected::Seq,
            Content::Map(_) => de::Unexpected::Map,
            Content::U128(_) | Content::I128(_) => de::Unexpected::Other("128-bit integer"),
        }
    }
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ContentVisitor)
    }
}

struct ContentVisitor;

impl<'de> Visitor<'de> for ContentVisitor {
    type Value = Content;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Content, E> {
        Ok(Content::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Content, E> {
        Ok(Content::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Content, E> {
        Ok(Content::U64(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Content, E> {
        Ok(Content::I128(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Content, E> {
        Ok(Content::U128(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Content, E> {
        Ok(Content::F64(v))
    }
    fn visit_char<E>(self, v: char) -> Result<Content, E> {
        Ok(Content::Char(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Content, E> {
        Ok(Content::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Content, E> {
        Ok(Content::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Content, E> {
        Ok(Content::Bytes(v.to_owned()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Content, E> {
        Ok(Content::Bytes(v))
    }
    fn visit_none<E>(self) -> Result<Content, E> {
        Ok(Content::None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Content, D::Error> {
        Content::deserialize(d).map(|c| Content::Some(Box::new(c)))
    }
    fn visit_unit<E>(self) -> Result<Content, E> {
        Ok(Content::Unit)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Content, D::Error> {
        Content::deserialize(d).map(|c| Content::Newtype(Box::new(c)))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Content, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Content::Seq(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Content, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Content::Map(entries))
    }
}

/// Replays a [`Content`] to a `Deserialize` impl, with the error type of the original input.
pub struct ContentDeserializer<E> {
    content: Content,
    error: PhantomData<E>,
}

impl<E> ContentDeserializer<E> {
    pub fn new(content: Content) -> Self {
        ContentDeserializer {
            content,
            error: PhantomData,
        }
    }
}

impl<'de, E: de::Error> IntoDeserializer<'de, E> for Content {
    type Deserializer = ContentDeserializer<E>;

    fn into_deserializer(self) -> ContentDeserializer<E> {
        ContentDeserializer::new(self)
    }
}

impl<'de, E: de::Error> Deserializer<'de> for ContentDeserializer<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.content {
            Content::Bool(v) => visitor.visit_bool(v),
            Content::U64(v) => visitor.visit_u64(v),
            Content::I64(v) => visitor.visit_i64(v),
            Content::U128(v) => visitor.visit_u128(v),
            Content::I128(v) => visitor.visit_i128(v),
            Content::F64(v) => visitor.visit_f64(v),
            Content::Char(v) => visitor.visit_char(v),
            Content::String(v) => visitor.visit_string(v),
            Content::Bytes(v) => visitor.visit_byte_buf(v),
            Content::None => visitor.visit_none(),
            Content::Some(v) => visitor.visit_some(ContentDeserializer::new(*v)),
            Content::Unit => visitor.visit_unit(),
            Content::Newtype(v) => visitor.visit_newtype_struct(ContentDeserializer::new(*v)),
            Content::Seq(items) => {
                let mut seq = de::value::SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Content::Map(entries) => {
                let mut map = de::value::MapDeserializer::new(entries.into_iter());
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.content {
            Content::None | Content::Unit => visitor.visit_none(),
            Content::Some(v) => visitor.visit_some(ContentDeserializer::new(*v)),
            other => visitor.visit_some(ContentDeserializer::new(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        match self.content {
            Content::Newtype(v) => visitor.visit_newtype_struct(ContentDeserializer::new(*v)),
            other => visitor.visit_newtype_struct(ContentDeserializer::new(other)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        match self.content {
            Content::String(variant) => visitor.visit_enum(variant.into_deserializer()),
            Content::Map(entries) if entries.len() == 1 => {
                visitor.visit_enum(de::value::MapAccessDeserializer::new(
                    de::value::MapDeserializer::new(entries.into_iter()),
                ))
            }
            other => Err(de::Error::invalid_type(
                other.unexpected(),
                &"a string or a map with one entry",
            )),
        }
    }

    ::serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use ::serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        id: i64,
        name: String,
        tags: Option<Vec<String>>,
    }

    fn read(value: serde_json::Value) -> Result<Row, serde_json::Error> {
        either_name(value, &[("name", "display_name")], Row::deserialize)
    }

    #[test]
    fn either_name_reads_the_old_name_and_prefers_the_new_one() {
        let row = read(json!({"id": 1, "display_name": "old", "tags": ["a"]})).unwrap();
        assert_eq!(row.name, "old");
        assert_eq!(row.tags, Some(vec!["a".to_owned()]));
        let row = read(json!({"display_name": "old", "id": 1, "name": "new"})).unwrap();
        assert_eq!(row.name, "new");
        let row = read(json!({"name": "new", "id": 1, "display_name": "old"})).unwrap();
        assert_eq!(row.name, "new");
        let e = read(json!({"id": 1})).unwrap_err();
        assert_eq!(e.to_string(), "missing field `name`");
    }

    #[test]
    fn both_names_writes_the_old_name_after_the_new_one() {
        let row = Row {
            id: 1,
            name: "Ada".into(),
            tags: None,
        };
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut out);
        row.serialize(BothNames::new(&mut ser, &[("name", "display_name")]))
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":1,"name":"Ada","display_name":"Ada","tags":null}"#
        );
    }

    #[test]
    fn content_replays_every_json_value() {
        let value = json!({
            "n": -3, "u": 18446744073709551615u64, "f": 1.5, "b": true, "s": "x",
            "null": null, "list": [1, "two", [3]], "map": {"k": {"deep": false}}
        });
        let content = Content::deserialize(&value).unwrap();
        let back =
            serde_json::Value::deserialize(ContentDeserializer::<serde_json::Error>::new(content))
                .unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn content_replays_enums_and_options() {
        #[derive(Debug, PartialEq, Deserialize)]
        enum Kind {
            Plain,
            Tagged(i32),
        }
        #[derive(Debug, PartialEq, Deserialize)]
        struct Holder {
            a: Kind,
            b: Kind,
            c: Option<i32>,
            d: Option<i32>,
        }
        let value = json!({"a": "Plain", "b": {"Tagged": 4}, "c": null, "d": 5});
        let content = Content::deserialize(&value).unwrap();
        let holder =
            Holder::deserialize(ContentDeserializer::<serde_json::Error>::new(content)).unwrap();
        assert_eq!(
            holder,
            Holder {
                a: Kind::Plain,
                b: Kind::Tagged(4),
                c: None,
                d: Some(5)
            }
        );
    }
}
