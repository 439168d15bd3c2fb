//! CLIXML → pools: `Get-CsBackupServiceStatus | Export-Clixml` output, the PowerShell
//! serialization (`<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">`)
//! in which enums keep their names, unlike Windows PowerShell 5.1's `ConvertTo-Json`.
//!
//! The XML is turned into the property tree a JSON document gives (objects, lists,
//! strings, numbers) and handed to the JSON reader's mapping, so both formats land on the
//! model by the same rules. Only the serialization lives here: `<Props>` and `<MS>`
//! properties, the primitive elements, `<LST>`/`<IE>`/`<DCT>` collections, `<Ref>` and
//! `<TNRef>` back-references, enums as their `<ToString>` name (never their number) and
//! the `_xHHHH_` escapes for characters XML cannot carry.
//!
//! A hostile file ends as an error, never a hang or a memory blow-up: a DTD is refused
//! (so no entity is ever expanded), the XML may hold at most [`MAX_NODES`] nodes, values
//! nest at most [`MAX_DEPTH`] deep, and what `<Ref>`s may copy is budgeted, so a chain of
//! references that doubles at every step stops early.

use std::collections::HashMap;

use roxmltree::{Node, ParsingOptions};
use serde_json::{Map, Number, Value};

use super::json::{self, Node as Tree};
use crate::model::{clip, is_whole_number, Pool};

/// A status document holds a few hundred nodes per pool; this is far beyond any.
const MAX_NODES: u32 = 250_000;
/// A status is a pool → its module list → a module → an enum: a handful of levels.
const MAX_DEPTH: usize = 64;
/// How many values `<Ref>`s may copy: a status document refers back to a few enums.
const MAX_COPIED: usize = 20_000;

/// Reads a CLIXML status document into its pools.
pub fn read(source: &str) -> Result<Vec<Pool>, String> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(source, options).map_err(xml_error)?;
    let root = document.root_element();
    if root.tag_name().name() != "Objs" {
        return Err(format!(
            "an XML document whose root is <{}>, not <Objs>: expected what \
             Export-Clixml writes for Get-CsBackupServiceStatus",
            clip(root.tag_name().name(), 40)
        ));
    }
    let mut graph = Graph::new(&document, source.len());
    let mut values = Vec::new();
    for node in elements(root) {
        values.push(graph.value(node, 0)?);
    }
    pools(values)
}

fn xml_error(e: roxmltree::Error) -> String {
    match e {
        roxmltree::Error::DtdDetected => "the XML declares a DTD, which Export-Clixml never writes: \
             refused, so that no entity is expanded, export again with Export-Clixml"
            .into(),
        roxmltree::Error::NodesLimitReached => format!(
            "the XML holds more than {MAX_NODES} nodes, far more than any status document: \
             refused, export one pool per file with Export-Clixml"
        ),
        e => format!(
            "not well-formed XML ({e}), is this what Export-Clixml wrote for Get-CsBackupServiceStatus?"
        ),
    }
}

/// The top-level objects: status objects (one pool each), or the modules of one pool
/// (`$s.BackupModules | Export-Clixml`).
fn pools(values: Vec<Value>) -> Result<Vec<Pool>, String> {
    // The JSON reader's mapping works on its own tree: one set of rules for both formats.
    let values: Vec<Tree> = values.into_iter().map(Tree::from).collect();
    // `Export-Clixml -InputObject $list` writes the whole list as one object.
    let values = match <[Tree; 1]>::try_from(values) {
        Ok([Tree::Array(items)]) => items,
        Ok([single]) => vec![single],
        Err(values) => values,
    };
    if values.is_empty() {
        return Err("<Objs> holds no object: did Get-CsBackupServiceStatus return nothing?".into());
    }
    let is_status = |v: &Tree| matches!(v, Tree::Object(m) if json::is_status_object(m));
    let is_module = |v: &Tree| matches!(v, Tree::Object(m) if json::is_module_object(m));
    let statuses = values.iter().filter(|v| is_status(v)).count();
    if statuses == values.len() {
        return Ok(values
            .into_iter()
            .filter_map(|v| match v {
                Tree::Object(map) => Some(json::read_pool(map)),
                _ => None,
            })
            .collect());
    }
    if statuses == 0 && values.iter().any(is_module) {
        return Ok(vec![Pool {
            modules: json::read_modules(Tree::Array(values)),
            ..Pool::default()
        }]);
    }
    let stray = values
        .iter()
        .find(|v| !is_status(v))
        .map_or_else(String::new, describe);
    Err(format!(
        "{} top-level objects, {statuses} of them Backup Service statuses, the first other is {stray}: \
         expected what Export-Clixml writes for Get-CsBackupServiceStatus",
        values.len()
    ))
}

fn describe(value: &Tree) -> String {
    match value {
        Tree::Object(map) if map.is_empty() => "an object without properties".into(),
        Tree::Object(map) => {
            let names: Vec<&str> = map.iter().take(6).map(|(k, _)| k.as_ref()).collect();
            format!(
                "an object with the properties {}",
                clip(&names.join(", "), 60)
            )
        }
        Tree::String(s) => format!("the text '{}'", clip(s, 60)),
        Tree::Array(items) => format!("a list of {} elements", items.len()),
        other => format!("the value {}", clip(&other.to_string(), 60)),
    }
}

fn elements<'a, 'input>(node: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(Node::is_element)
}

/// The serialized object graph, and the budget its conversion may spend.
struct Graph<'a, 'input> {
    /// `<Obj RefId>` → the object a `<Ref RefId>` names.
    objects: HashMap<&'a str, Node<'a, 'input>>,
    /// `<TN RefId>` → its type names, which a `<TNRef RefId>` names.
    type_names: HashMap<&'a str, Vec<String>>,
    /// The `RefId`s of the objects being converted, to spot a reference to an enclosing one.
    open: Vec<&'a str>,
    /// How many `<Ref>`s are being followed: what is converted meanwhile is a copy.
    following: usize,
    copied_values: usize,
    copied_bytes: usize,
    max_copied_bytes: usize,
}

impl<'a, 'input> Graph<'a, 'input> {
    fn new(document: &'a roxmltree::Document<'input>, source_len: usize) -> Self {
        let mut objects = HashMap::new();
        let mut type_names = HashMap::new();
        for node in document.descendants().filter(Node::is_element) {
            let Some(id) = node.attribute("RefId") else {
                continue;
            };
            match node.tag_name().name() {
                "Obj" => {
                    objects.entry(id).or_insert(node);
                }
                "TN" => {
                    type_names.entry(id).or_insert_with(|| {
                        elements(node)
                            .filter(|t| t.has_tag_name("T"))
                            .map(|t| unescape(t.text().unwrap_or("")))
                            .collect()
                    });
                }
                _ => {}
            }
        }
        Graph {
            objects,
            type_names,
            open: Vec::new(),
            following: 0,
            copied_values: 0,
            copied_bytes: 0,
            max_copied_bytes: source_len.saturating_add(1 << 20),
        }
    }

    /// Counts a value of `bytes` text against the budget, if it is a `<Ref>`'s copy.
    fn spend(&mut self, bytes: usize) -> Result<(), String> {
        if self.following == 0 {
            return Ok(());
        }
        self.copied_values += 1;
        self.copied_bytes = self.copied_bytes.saturating_add(bytes);
        if self.copied_values > MAX_COPIED || self.copied_bytes > self.max_copied_bytes {
            return Err(format!(
                "the <Ref> back-references copy more than {MAX_COPIED} values or {} bytes, \
                 far more than any status document: refused",
                self.max_copied_bytes
            ));
        }
        Ok(())
    }

    /// One value element: `<Obj>`, `<Ref>`, `<Nil/>` or a primitive.
    fn value(&mut self, node: Node<'a, 'input>, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "values nested more than {MAX_DEPTH} levels deep, far more than any status document: refused"
            ));
        }
        match node.tag_name().name() {
            "Obj" => self.object(node, depth),
            "Ref" => {
                let id = node
                    .attribute("RefId")
                    .ok_or("a <Ref> without a RefId: the file is damaged, export it again")?;
                match self.objects.get(id) {
                    Some(target) => {
                        self.following += 1;
                        let copy = self.object(*target, depth + 1);
                        self.following -= 1;
                        copy
                    }
                    None => Err(format!(
                        "<Ref RefId=\"{}\"> names no object in the file: the file is damaged, export it again",
                        clip(id, 20)
                    )),
                }
            }
            tag => self.primitive(node, tag),
        }
    }

    fn object(&mut self, node: Node<'a, 'input>, depth: usize) -> Result<Value, String> {
        let id = node.attribute("RefId");
        if let Some(id) = id {
            if self.open.contains(&id) {
                self.spend(0)?;
                return Ok(Value::String("(a reference to an enclosing object)".into()));
            }
            self.open.push(id);
        }
        let value = self.object_content(node, depth);
        if id.is_some() {
            self.open.pop();
        }
        value
    }

    fn object_content(&mut self, node: Node<'a, 'input>, depth: usize) -> Result<Value, String> {
        self.spend(0)?;
        let mut is_enum = false;
        let mut to_string = None;
        let mut primitive = None;
        let mut collection = None;
        let mut properties = Map::new();
        for child in elements(node) {
            match child.tag_name().name() {
                "TN" | "TNRef" => {
                    is_enum = child
                        .attribute("RefId")
                        .and_then(|id| self.type_names.get(id))
                        .is_some_and(|names| names.iter().any(|t| is_enum_type(t)));
                }
                "ToString" => to_string = Some(unescape(child.text().unwrap_or(""))),
                "Props" | "MS" => {
                    for property in elements(child) {
                        let name = unescape(property.attribute("N").unwrap_or(""));
                        let value = self.value(property, depth + 1)?;
                        // Adapted (`<Props>`) before extended (`<MS>`) properties; first wins.
                        if !name.is_empty() && !properties.contains_key(&name) {
                            properties.insert(name, value);
                        }
                    }
                }
                "LST" | "IE" | "STK" | "QUE" => {
                    let mut items = Vec::new();
                    for item in elements(child) {
                        items.push(self.value(item, depth + 1)?);
                    }
                    collection = Some(Value::Array(items));
                }
                "DCT" => collection = Some(Value::Object(self.dictionary(child, depth)?)),
                tag if is_value_tag(tag) => primitive = Some(self.value(child, depth + 1)?),
                _ => {}
            }
        }
        match (to_string, primitive, collection) {
            // An enum: its name, never its number (which no one has published).
            (Some(name), Some(Value::Number(_)), _) if is_enum || !is_whole_number(&name) => {
                Ok(Value::String(name))
            }
            (Some(name), None, None) if is_enum || properties.is_empty() => Ok(Value::String(name)),
            (_, _, Some(collection)) => Ok(collection),
            (_, Some(primitive), _) => Ok(primitive),
            _ => Ok(Value::Object(properties)),
        }
    }

    /// `<DCT><En><S N="Key">…</S><… N="Value">…</…></En>…</DCT>`.
    fn dictionary(
        &mut self,
        node: Node<'a, 'input>,
        depth: usize,
    ) -> Result<Map<String, Value>, String> {
        let mut map = Map::new();
        for entry in elements(node).filter(|e| e.has_tag_name("En")) {
            let (mut key, mut value) = (None, Value::Null);
            for part in elements(entry) {
                match part.attribute("N") {
                    Some("Key") => key = Some(self.value(part, depth + 1)?),
                    Some("Value") => value = self.value(part, depth + 1)?,
                    _ => {}
                }
            }
            let key = match key {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => continue,
            };
            map.entry(key).or_insert(value);
        }
        Ok(map)
    }

    fn primitive(&mut self, node: Node<'a, 'input>, tag: &str) -> Result<Value, String> {
        let text = node.text().unwrap_or("");
        self.spend(text.len())?;
        let value = match tag {
            "Nil" => Value::Null,
            "S" | "URI" | "Version" | "G" | "DT" | "TS" | "XD" | "SBK" => {
                Value::String(unescape(text))
            }
            "B" => Value::Bool(matches!(text.trim(), "true" | "1")),
            "C" => Value::String(
                text.trim()
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .map(String::from)
                    .unwrap_or_default(),
            ),
            "I32" | "I64" | "I16" | "U16" | "U32" | "U64" | "By" | "SB" | "Sg" | "Db" | "D" => {
                number(text)
            }
            "BA" => Value::String("(binary data)".into()),
            "SS" => Value::String("(secure string)".into()),
            other => {
                return Err(format!(
                    "the element <{}> is not part of the PowerShell serialization: \
                     expected what Export-Clixml writes for Get-CsBackupServiceStatus",
                    clip(other, 40)
                ))
            }
        };
        Ok(value)
    }
}

fn is_value_tag(tag: &str) -> bool {
    matches!(
        tag,
        "Obj"
            | "Ref"
            | "Nil"
            | "S"
            | "URI"
            | "Version"
            | "G"
            | "DT"
            | "TS"
            | "XD"
            | "SBK"
            | "B"
            | "C"
            | "I32"
            | "I64"
            | "I16"
            | "U16"
            | "U32"
            | "U64"
            | "By"
            | "SB"
            | "Sg"
            | "Db"
            | "D"
            | "BA"
            | "SS"
    )
}

/// `System.Enum`, also as an `Import-Clixml` → `Export-Clixml` round trip names it.
fn is_enum_type(name: &str) -> bool {
    name.strip_prefix("Deserialized.").unwrap_or(name) == "System.Enum"
}

/// A number as its text says; a value no JSON number can hold (`NaN`) stays text.
fn number(text: &str) -> Value {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Value::Number(n.into());
    }
    if let Ok(n) = text.parse::<u64>() {
        return Value::Number(n.into());
    }
    match text.parse::<f64>().ok().and_then(Number::from_f64) {
        Some(n) => Value::Number(n),
        None => Value::String(text.to_owned()),
    }
}

/// Decodes the `_xHHHH_` escapes the serializer writes for characters XML cannot carry
/// (`_x000D__x000A_` for a line break, `_x005F_` for a literal `_`): UTF-16 code units,
/// a surrogate pair as two escapes in a row.
pub fn unescape(text: &str) -> String {
    if !text.contains("_x") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut units: Vec<u16> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(unit) = escape_at(rest) {
            units.push(unit);
            rest = &rest[7..];
            continue;
        }
        out.extend(
            char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
        );
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.extend(
        char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
    );
    out
}

/// The code unit of an `_xHHHH_` escape at the start of `text`.
fn escape_at(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    if bytes.len() < 7 || !text.starts_with("_x") || bytes[6] != b'_' {
        return None;
    }
    let hex = text.get(2..6)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CollectedAt, Module, Modules, Reported};

    const HEAD: &str =
        r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">"#;

    fn objs(body: &str) -> String {
        format!("{HEAD}{body}</Objs>")
    }

    fn status_enum(property: &str, name: &str, number: i32, ref_id: u32) -> String {
        format!(
            r#"<Obj N="{property}" RefId="{ref_id}"><TNRef RefId="9" /><ToString>{name}</ToString><I32>{number}</I32></Obj>"#
        )
    }

    fn modules(pool: &Pool) -> &[Module] {
        match &pool.modules {
            Modules::Listed { modules, .. } => modules,
            other => panic!("expected modules, got {other:?}"),
        }
    }

    #[test]
    fn reads_enums_by_name_never_by_number() {
        let xml = objs(
            r#"<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN>
              <MS><S N="PoolFqdn">pool01.contoso.com</S>
                <Obj N="BackupModules" RefId="1"><TN RefId="1"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN>
                  <LST><Obj RefId="2"><TNRef RefId="0" /><MS><S N="Identity">ConfServices.DataConf</S>
                    <Obj N="ExportStatus" RefId="3"><TN RefId="9"><T>Contoso.ExportStatus</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>NonSteadyState</ToString><I32>2</I32></Obj>
                    <Obj N="ImportStatus" RefId="4"><TNRef RefId="9" /><ToString>NormalState</ToString><I32>0</I32></Obj>
                  </MS></Obj></LST></Obj></MS></Obj>"#,
        );
        let pools = read(&xml).unwrap();
        assert_eq!(pools.len(), 1);
        assert_eq!(pools[0].fqdn.as_deref(), Some("pool01.contoso.com"));
        let m = &modules(&pools[0])[0];
        assert_eq!(m.name, "ConfServices.DataConf");
        assert_eq!(m.export, Reported::Name("NonSteadyState".into()));
        assert_eq!(m.import, Reported::Name("NormalState".into()));
    }

    #[test]
    fn reads_an_enum_exported_again_after_import_clixml() {
        let xml = objs(
            r#"<Obj RefId="0"><MS><S N="Identity">A</S>
                 <Obj N="ExportStatus" RefId="1"><TN RefId="0"><T>Deserialized.Contoso.State</T><T>Deserialized.System.Enum</T></TN>
                   <ToString>7</ToString><I32>3</I32></Obj></MS></Obj>"#,
        );
        // Its name is the text 7, not the number 3 beside it; and a name of digits is a number.
        assert_eq!(
            modules(&read(&xml).unwrap()[0])[0].export,
            Reported::Number("7".into())
        );
    }

    #[test]
    fn keeps_a_bare_number_a_number() {
        let xml = objs(
            r#"<Obj RefId="0"><MS><S N="Identity">A</S><I32 N="ExportStatus">2</I32><Nil N="ImportStatus" /></MS></Obj>"#,
        );
        let pools = read(&xml).unwrap();
        assert_eq!(pools[0].fqdn, None);
        assert_eq!(modules(&pools[0])[0].export, Reported::Number("2".into()));
        assert_eq!(modules(&pools[0])[0].import, Reported::Missing);
    }

    #[test]
    fn resolves_references() {
        let module = |id: u32, name: &str, export: &str| {
            format!(
                r#"<Obj RefId="{id}"><TNRef RefId="7" /><Props><S N="Identity">{name}</S>{}{}</Props></Obj>"#,
                status_enum("ExportStatus", export, 1, id + 100),
                status_enum("ImportStatus", "NormalState", 0, id + 200),
            )
        };
        let xml = objs(&format!(
            r#"<Obj RefId="0"><TN RefId="7"><T>Contoso.Status</T></TN><TN RefId="9"><T>Contoso.State</T><T>System.Enum</T></TN>
                 <Props><S N="PoolFqdn">pool01.contoso.com</S><Obj N="BackupModules" RefId="1"><LST>{}{}</LST></Obj></Props></Obj>
               <Obj RefId="5"><TNRef RefId="7" /><Props><S N="PoolFqdn">pool02.contoso.com</S><Ref N="BackupModules" RefId="1" /></Props></Obj>"#,
            module(2, "UserServices.PresenceFocus", "SteadyState"),
            module(3, "ConfServices.DataConf", "ErrorState"),
        ));
        let pools = read(&xml).unwrap();
        assert_eq!(pools.len(), 2);
        assert_eq!(pools[1].fqdn.as_deref(), Some("pool02.contoso.com"));
        assert_eq!(modules(&pools[0]), modules(&pools[1]));
        let m = modules(&pools[1]);
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].export, Reported::Name("ErrorState".into()));
        assert_eq!(m[1].import, Reported::Name("NormalState".into()));
    }

    #[test]
    fn decodes_escapes_in_strings_and_names() {
        assert_eq!(unescape("a_x000D__x000A_b"), "a\r\nb");
        assert_eq!(unescape("_x005F_x0041_"), "_x0041_");
        assert_eq!(unescape("_xD83D__xDE00_"), "😀");
        assert_eq!(unescape("_xD83D_x"), "\u{FFFD}x");
        assert_eq!(unescape("_x12_ and _xZZZZ_ äö"), "_x12_ and _xZZZZ_ äö");
        let xml = objs(
            r#"<Obj RefId="0"><MS><S N="Pool_x0046_qdn">pool01</S><S N="Error">Access denied._x000D__x000A_Ask an admin.</S></MS></Obj>"#,
        );
        let pool = &read(&xml).unwrap()[0];
        assert_eq!(pool.fqdn.as_deref(), Some("pool01"));
        assert_eq!(
            pool.error.as_deref(),
            Some("Access denied.\r\nAsk an admin.")
        );
    }

    #[test]
    fn reads_dates_dictionaries_and_props_before_members() {
        let xml = objs(
            r#"<Obj RefId="0"><Props><S N="PoolFqdn">adapted</S></Props>
                 <MS><S N="PoolFqdn">extended</S><DT N="CollectedAt">2024-11-28T02:00:00+01:00</DT><B N="Flag">true</B>
                   <Obj N="Labels" RefId="1"><DCT><En><S N="Key">site</S><S N="Value">east</S></En></DCT></Obj></MS></Obj>"#,
        );
        let pool = &read(&xml).unwrap()[0];
        assert_eq!(pool.fqdn.as_deref(), Some("adapted"));
        assert_eq!(
            pool.collected_at,
            Some(CollectedAt::At(
                jiff::Timestamp::from_millisecond(1732755600000).unwrap()
            ))
        );
        assert!(pool
            .other
            .contains(&("Flag".to_string(), "true".to_string())));
        assert!(pool
            .other
            .contains(&("Labels".to_string(), r#"{"site":"east"}"#.to_string())));
    }

    #[test]
    fn reads_a_bare_module_list_and_an_xml_declaration() {
        let xml = format!(
            r#"<?xml version="1.0" encoding="utf-16"?>{}"#,
            objs(
                r#"<Obj RefId="0"><MS><S N="Identity">A</S><S N="ExportStatus">FinalState</S></MS></Obj>
                   <Obj RefId="1"><MS><S N="Identity">B</S><S N="ExportStatus">SteadyState</S></MS></Obj>"#
            )
        );
        let pools = read(&xml).unwrap();
        assert_eq!(pools.len(), 1);
        let names: Vec<&str> = modules(&pools[0]).iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
    }

    #[test]
    fn survives_a_reference_to_an_enclosing_object() {
        let xml = objs(
            r#"<Obj RefId="0"><MS><S N="PoolFqdn">p</S><Ref N="Self" RefId="0" /></MS></Obj>"#,
        );
        let pool = &read(&xml).unwrap()[0];
        assert_eq!(pool.other[0].1, "(a reference to an enclosing object)");
    }

    #[test]
    fn refuses_what_is_not_a_status() {
        let error = |xml: &str| read(xml).unwrap_err();
        assert!(error("<root/>").contains("not <Objs>"));
        assert!(error(&objs("")).contains("holds no object"));
        assert!(error(&objs("<S>hello</S>")).contains("the text 'hello'"));
        assert!(
            error(&objs(r#"<Obj RefId="0"><MS><S N="Foo">1</S></MS></Obj>"#))
                .contains("properties Foo")
        );
        assert!(error(&objs("<Bogus/>")).contains("<Bogus>"));
        assert!(error(&objs(r#"<Ref RefId="4" />"#)).contains("names no object"));
        assert!(error(&format!("{HEAD}<Obj>")).contains("not well-formed XML"));
    }

    #[test]
    fn refuses_hostile_xml_quickly() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE Objs [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Objs><S>&b;</S></Objs>"#;
        assert!(read(laughs).unwrap_err().contains("DTD"));
        assert!(read(&objs("<S>&undeclared;</S>"))
            .unwrap_err()
            .contains("not well-formed"));

        let deep = format!(
            "{HEAD}{}{}</Objs>",
            "<Obj><LST>".repeat(200),
            "</LST></Obj>".repeat(200)
        );
        let err = read(&deep).unwrap_err();
        assert!(err.contains("nested more than"), "{err}");

        let nodes = objs(&"<Nil/>".repeat(MAX_NODES as usize));
        assert!(read(&nodes).unwrap_err().contains("nodes"));

        // Each list refers twice to the one before: 2^40 values if expanded.
        let mut bomb = String::from(r#"<Obj RefId="0"><LST><S>x</S></LST></Obj>"#);
        for i in 1..=40 {
            bomb.push_str(&format!(
                r#"<Obj RefId="{i}"><LST><Ref RefId="{0}" /><Ref RefId="{0}" /></LST></Obj>"#,
                i - 1
            ));
        }
        assert!(read(&objs(&bomb)).unwrap_err().contains("back-references"));
    }
}
