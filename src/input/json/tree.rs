//! A JSON value that borrows its strings from the document's text.
//!
//! `serde_json::Value` allocates every string and builds a hash map per object; for a
//! document of 100,000 pools that tree is several times the document's size and most of
//! the reading time. This tree keeps objects as lists of properties in document order
//! (duplicates included, so "the first of several wins" holds for exact duplicates too)
//! and allocates a string only when it holds an escape.
//!
//! One rule of the domain lives here: the value of a `BackupModules` property is read into
//! modules element by element as it is parsed ([`ModulesSeed`]), so a document of 100,000
//! modules never exists as a tree: only one module's properties do, at a time.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::ModuleList;
use crate::model::Modules;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// One JSON value; strings borrow from the text when they can.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Object<'a>),
    /// A `BackupModules` list, already read (boxed: it is rare and large).
    Modules(Box<Modules>),
}

/// An object's properties, in document order.
pub type Object<'a> = Vec<(Cow<'a, str>, Node<'a>)>;

/// Parses a whole JSON text.
pub fn parse(text: &str) -> serde_json::Result<Node<'_>> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let node = Node::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(node)
}

/// A `serde_json::Value` as a tree, for readers that build one (CLIXML): every string
/// is owned, the shape is the same.
impl From<serde_json::Value> for Node<'static> {
    fn from(value: serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => Node::Number(n),
            Value::String(s) => Node::String(Cow::Owned(s)),
            Value::Array(items) => Node::Array(items.into_iter().map(Node::from).collect()),
            Value::Object(map) => Node::Object(
                map.into_iter()
                    .map(|(key, value)| (Cow::Owned(key), Node::from(value)))
                    .collect(),
            ),
        }
    }
}

impl Node<'_> {
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
}

/// Compact JSON, as `serde_json::Value` would print it.
impl fmt::Display for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(s) => serializer.serialize_str(s),
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(properties) => {
                let mut map = serializer.serialize_map(Some(properties.len()))?;
                for (key, value) in properties {
                    map.serialize_entry(key.as_ref(), value)?;
                }
                map.end()
            }
            // Its text is gone; where it is shown (a misplaced BackupModules), say what it held.
            Node::Modules(read) => {
                serializer.serialize_str(&format!("(a list of {} backup modules)", count(read)))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        // serde_json never yields a non-finite number; null is what Value makes of one.
        Ok(serde_json::Number::from_f64(n).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut properties = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            let value = if is_backup_modules(&key) {
                map.next_value_seed(ModulesSeed)?
            } else {
                map.next_value()?
            };
            properties.push((key, value));
        }
        Ok(Node::Object(properties))
    }
}

/// `BackupModules` in any letter case, with or without surrounding white space.
fn is_backup_modules(key: &str) -> bool {
    const NAME: &str = "backupmodules";
    // Most names are shorter: no need to trim them.
    key.len() >= NAME.len() && key.trim().eq_ignore_ascii_case(NAME)
}

/// The number of elements a read `BackupModules` list held.
pub fn count(modules: &Modules) -> usize {
    match modules {
        Modules::Listed { modules, damaged } => modules.len() + damaged.len(),
        Modules::Absent | Modules::DepthCut(_) => 0,
    }
}

/// Reads a `BackupModules` value: a list becomes modules one element at a time; anything
/// else (null, a depth-cut string, a `{"value":[...]}` wrapper, one unrolled module) stays
/// a [`Node`] for the reader to interpret as it does any other value.
struct ModulesSeed;

impl<'de> DeserializeSeed<'de> for ModulesSeed {
    type Value = Node<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ModulesSeed {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of backup modules")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut list = ModuleList::default();
        while let Some(item) = seq.next_element()? {
            list.push(item);
        }
        Ok(Node::Modules(Box::new(list.finish())))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Node<'de>, A::Error> {
        NodeVisitor.visit_map(map)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node<'de>, E> {
        NodeVisitor.visit_bool(b)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Node<'de>, E> {
        NodeVisitor.visit_i64(n)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Node<'de>, E> {
        NodeVisitor.visit_u64(n)
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node<'de>, E> {
        NodeVisitor.visit_f64(n)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Node<'de>, E> {
        NodeVisitor.visit_borrowed_str(s)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Node<'de>, E> {
        NodeVisitor.visit_str(s)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Node<'de>, E> {
        NodeVisitor.visit_string(s)
    }
}

/// A property name, borrowed when it holds no escape (serde's own `Cow` never borrows).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a property name")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_strings_and_keeps_duplicates_in_order() {
        let text = r#"{"a":"plain","b":"esc\"aped","a":[1,-2,3.5,true,null]}"#;
        let Node::Object(properties) = parse(text).unwrap() else {
            panic!("not an object")
        };
        let keys: Vec<&str> = properties.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a", "b", "a"]);
        assert!(matches!(
            &properties[0].1,
            Node::String(Cow::Borrowed("plain"))
        ));
        assert!(matches!(&properties[1].1, Node::String(Cow::Owned(s)) if s == "esc\"aped"));
        assert_eq!(
            parse(text).unwrap().to_string(),
            r#"{"a":"plain","b":"esc\"aped","a":[1,-2,3.5,true,null]}"#
        );
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        assert!(parse("{\"a\":1} x").is_err());
        assert!(parse(&"[".repeat(200)).is_err());
        assert!(parse("[1,]").is_err());
        assert!(parse("{\"a\":1").unwrap_err().is_eof());
    }
}
