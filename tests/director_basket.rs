//! The Icinga Director basket (`packaging/icinga2/director-basket.json`) against the
//! command line and the Icinga 2 CheckCommand (`packaging/icinga2/check_csbackup.conf`):
//! every option of the check is an argument of both, built alike, with a Director data
//! field for its variable; and the basket keeps the rules Director's restore relies on
//! (objects keyed by their names, fields by their ids, settings as strings, or a second
//! restore duplicates them). When an option is added, the failure says what to add
//! where. `tests/stack/director.sh` restores the basket into a real Director.

use std::collections::BTreeMap;

use serde_json::{json, Value};

mod common;

use common::packaging::{check_options, read, CheckOption};

const BASKET: &str = "packaging/icinga2/director-basket.json";
const CONF: &str = "packaging/icinga2/check_csbackup.conf";
const DATATYPE: &str = "Icinga\\Module\\Director\\DataType\\";
/// The data types Director 1.10 (Debian 12) knows.
const DATATYPES: [&str; 9] = [
    "DataTypeArray",
    "DataTypeBoolean",
    "DataTypeDatalist",
    "DataTypeDictionary",
    "DataTypeDirectorObject",
    "DataTypeNumber",
    "DataTypeSqlQuery",
    "DataTypeString",
    "DataTypeTime",
];

/// An argument value or condition: a macro string, or an Icinga 2 lambda (`{{ ... }}`)
/// whose body is kept one trimmed line a line, as Director and the .conf indent it
/// differently.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Text(String),
    Lambda(String),
}

/// One argument of a CheckCommand: what decides the command line Icinga builds.
#[derive(Debug, Clone, Default, PartialEq)]
struct Argument {
    value: Option<Expr>,
    set_if: Option<Expr>,
    repeat_key: Option<bool>,
    skip_key: Option<bool>,
    description: String,
}

impl Argument {
    /// The argument as the basket writes it.
    fn to_basket(&self) -> Value {
        let mut out = json!({ "description": self.description });
        match &self.value {
            Some(Expr::Text(text)) => out["value"] = json!(text),
            Some(Expr::Lambda(body)) => out["value"] = json!({ "type": "Function", "body": body }),
            None => {}
        }
        match &self.set_if {
            Some(Expr::Text(text)) => out["set_if"] = json!(text),
            Some(Expr::Lambda(body)) => {
                out["set_if"] = json!(body);
                out["set_if_format"] = json!("expression");
            }
            None => {}
        }
        if let Some(repeat_key) = self.repeat_key {
            out["repeat_key"] = json!(repeat_key);
        }
        if let Some(skip_key) = self.skip_key {
            out["skip_key"] = json!(skip_key);
        }
        out
    }

    fn uses(&self, var: &str) -> bool {
        let macro_ = format!("${var}$");
        [&self.value, &self.set_if]
            .into_iter()
            .flatten()
            .any(|e| match e {
                Expr::Text(text) | Expr::Lambda(text) => text.contains(&macro_),
            })
    }
}

fn lambda(body: &str) -> Expr {
    let lines: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    Expr::Lambda(lines.join("\n"))
}

/// A double-quoted Icinga 2 string literal.
fn unquote(literal: &str) -> String {
    let inner = literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{CONF}: expected a quoted string, found {literal}"));
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// The arguments of check_csbackup.conf, by name. Knows the shapes the file uses: one
/// attribute a line, lambdas on one line or from `{{` to `}}`.
fn conf_arguments() -> BTreeMap<String, Argument> {
    let conf = read(CONF);
    let mut arguments = BTreeMap::new();
    let mut lines = conf.lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line
            .strip_prefix("\t\t\"")
            .and_then(|l| l.strip_suffix("\" = {"))
        {
            arguments.insert(name.to_owned(), conf_argument(name, &mut lines));
        }
    }
    assert!(
        arguments.len() >= 12,
        "{CONF}: only {} arguments read",
        arguments.len()
    );
    arguments
}

/// One argument's attributes, up to the line that closes it.
fn conf_argument<'a>(name: &str, lines: &mut impl Iterator<Item = &'a str>) -> Argument {
    let mut argument = Argument::default();
    while let Some(line) = lines.next() {
        if line == "\t\t}" {
            break;
        }
        let Some((key, rest)) = line.trim().split_once(" = ") else {
            continue;
        };
        match (key, conf_expr(rest, lines)) {
            ("value", expr) => argument.value = Some(expr),
            ("set_if", expr) => argument.set_if = Some(expr),
            ("description", Expr::Text(text)) => argument.description = text,
            ("repeat_key", Expr::Text(text)) => argument.repeat_key = Some(text == "true"),
            ("skip_key", Expr::Text(text)) => argument.skip_key = Some(text == "true"),
            (key, _) => {
                panic!("{CONF}: argument {name} sets {key}, which this test does not read yet")
            }
        }
    }
    argument
}

/// What follows `key = `: a string, a lambda on this line, or a lambda to its `}}` line.
fn conf_expr<'a>(rest: &str, lines: &mut impl Iterator<Item = &'a str>) -> Expr {
    if rest == "{{" {
        let body: Vec<&str> = lines.take_while(|l| l.trim() != "}}").collect();
        lambda(&body.join("\n"))
    } else if let Some(body) = rest.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        lambda(body)
    } else if rest.starts_with('"') {
        Expr::Text(unquote(rest))
    } else {
        Expr::Text(rest.to_owned())
    }
}

fn basket() -> Value {
    serde_json::from_str(&read(BASKET)).unwrap_or_else(|e| panic!("{BASKET} is no JSON: {e}"))
}

fn command(basket: &Value) -> &Value {
    &basket["Command"]["csbackup"]
}

fn template(basket: &Value) -> &Value {
    &basket["ServiceTemplate"]["csbackup"]
}

fn object<'a>(value: &'a Value, what: &str) -> &'a serde_json::Map<String, Value> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("{BASKET}: {what} is not a JSON object"))
}

fn array<'a>(value: &'a Value, what: &str) -> &'a Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{BASKET}: {what} is not a JSON array"))
}

/// The basket's argument as an [`Argument`].
fn basket_argument(name: &str, json: &Value) -> Argument {
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
    let value = match json.get("value") {
        None => None,
        Some(Value::String(text)) => Some(Expr::Text(text.clone())),
        Some(function) if function["type"] == "Function" => {
            Some(lambda(function["body"].as_str().unwrap_or_else(|| {
                panic!("{BASKET}: argument {name}: a Function value needs a body")
            })))
        }
        Some(other) => {
            panic!("{BASKET}: argument {name}: value {other} is neither a string nor a Function")
        }
    };
    let set_if = text("set_if").map(|condition| match text("set_if_format").as_deref() {
        Some("expression") => lambda(&condition),
        _ => Expr::Text(condition),
    });
    Argument {
        value,
        set_if,
        repeat_key: json.get("repeat_key").and_then(Value::as_bool),
        skip_key: json.get("skip_key").and_then(Value::as_bool),
        description: text("description").unwrap_or_default(),
    }
}

fn basket_arguments(basket: &Value) -> BTreeMap<String, Argument> {
    object(&command(basket)["arguments"], "Command.csbackup.arguments")
        .iter()
        .map(|(name, json)| (name.clone(), basket_argument(name, json)))
        .collect()
}

/// Data field id → the field, from the basket's Datafield section.
fn data_fields(basket: &Value) -> BTreeMap<u64, &Value> {
    object(&basket["Datafield"], "Datafield")
        .iter()
        .map(|(id, field)| {
            let id = id
                .parse()
                .unwrap_or_else(|_| panic!("{BASKET}: Datafield key {id:?} is not a number"));
            (id, field)
        })
        .collect()
}

/// The variables an object's "fields" link, with whether each is required.
fn linked_vars(basket: &Value, owner: &Value, what: &str) -> BTreeMap<String, bool> {
    let fields = data_fields(basket);
    array(&owner["fields"], what)
        .iter()
        .map(|link| {
            let id = link["datafield_id"].as_u64().unwrap_or_else(|| {
                panic!(
                    "{BASKET}: {what}: datafield_id {} is not a number",
                    link["datafield_id"]
                )
            });
            let field = fields.get(&id).unwrap_or_else(|| {
                panic!("{BASKET}: {what} links datafield_id {id}, which Datafield lacks")
            });
            let var = field["varname"].as_str().unwrap_or_default().to_owned();
            (var, link["is_required"] == "y")
        })
        .collect()
}

/// The data field an option's variable wants: an array for a repeatable option, a
/// boolean for a flag, else a string.
fn suggested_field(option: &CheckOption, id: u64) -> Value {
    let datatype = if option.repeatable {
        "DataTypeArray"
    } else if option.flag {
        "DataTypeBoolean"
    } else {
        "DataTypeString"
    };
    let settings = if datatype == "DataTypeString" {
        json!({ "visibility": "visible" })
    } else {
        json!({})
    };
    json!({
        "caption": format!("... (--{})", option.long),
        "category": null,
        "datatype": format!("{DATATYPE}{datatype}"),
        "description": option.help,
        "format": null,
        "originalId": id.to_string(),
        "settings": settings,
        "varname": option.var,
    })
}

/// The .conf argument an option wants, when the .conf lacks it too.
fn suggested_argument(option: &CheckOption) -> Argument {
    let macro_ = format!("${}$", option.var);
    Argument {
        value: (!option.flag).then(|| Expr::Text(macro_.clone())),
        set_if: option.flag.then_some(Expr::Text(macro_)),
        repeat_key: option.repeatable.then_some(true),
        skip_key: None,
        description: option.help.clone(),
    }
}

fn conf_snippet(long: &str, argument: &Argument) -> String {
    let mut lines = vec![format!("\t\t\"--{long}\" = {{")];
    for (key, expr) in [("value", &argument.value), ("set_if", &argument.set_if)] {
        if let Some(Expr::Text(text)) = expr {
            lines.push(format!("\t\t\t{key} = \"{text}\""));
        }
    }
    if argument.repeat_key == Some(true) {
        lines.push("\t\t\trepeat_key = true".to_owned());
    }
    lines.push(format!("\t\t\tdescription = \"{}\"", argument.description));
    lines.push("\t\t}".to_owned());
    lines.join("\n")
}

/// What to add to the basket for an option it lacks, each piece where it goes.
fn basket_instructions(option: &CheckOption, argument: &Argument, next_id: u64) -> String {
    let long = &option.long;
    let link = json!({ "datafield_id": next_id, "is_required": "n", "var_filter": null });
    format!(
        "{BASKET} lacks --{long}: add\n\
         \x20 to Command.csbackup.arguments:\n    \"--{long}\": {}\n\
         \x20 to Datafield (caption and description for the Director form):\n    \"{next_id}\": {}\n\
         \x20 to Command.csbackup.fields, and to ServiceTemplate.csbackup.fields when a service \
         reading a file sets it:\n    {}\n\
         \x20 then run tests/stack/director.sh, which restores the basket into a real Director",
        argument.to_basket(),
        suggested_field(option, next_id),
        link
    )
}

#[test]
fn every_option_is_an_argument_of_the_check_command_and_of_the_basket() {
    let conf = conf_arguments();
    let basket = basket();
    let arguments = basket_arguments(&basket);
    let command_vars = linked_vars(&basket, command(&basket), "Command.csbackup.fields");
    let mut next_id = data_fields(&basket).keys().max().copied().unwrap_or(0) + 1;
    let mut problems = Vec::new();
    let options = check_options();
    for option in &options {
        let name = format!("--{}", option.long);
        let var = &option.var;
        let wanted = conf.get(&name).cloned().unwrap_or_else(|| {
            let argument = suggested_argument(option);
            problems.push(format!(
                "{CONF} lacks {name}: add to the CheckCommand's arguments (and show the file \
                 as shipped in docs/icinga2.md)\n{}",
                conf_snippet(&option.long, &argument)
            ));
            argument
        });
        if !wanted.uses(var) {
            problems.push(format!("{CONF}: {name} does not use ${var}$"));
        }
        if !arguments.contains_key(&name) {
            problems.push(basket_instructions(option, &wanted, next_id));
            next_id += 1;
            continue;
        }
        if !arguments[&name].uses(var) {
            problems.push(format!(
                "{BASKET}: Command.csbackup.arguments[\"{name}\"] does not use ${var}$"
            ));
        }
        if !command_vars.contains_key(var) {
            problems.push(format!(
                "{BASKET}: Command.csbackup.fields links no data field with varname {var} \
                 (add a Datafield for it and {{\"datafield_id\": <its id>, \"is_required\": \"n\", \
                 \"var_filter\": null}} to Command.csbackup.fields)"
            ));
        }
    }
    let known: Vec<String> = options.iter().map(|o| format!("--{}", o.long)).collect();
    for name in conf.keys().chain(arguments.keys()) {
        if !known.contains(name) {
            problems.push(format!(
                "{name} is an argument in {CONF} or {BASKET}, but check_csbackup --help has no such option: remove it"
            ));
        }
    }
    assert!(options.len() >= 12, "only {} options found", options.len());
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n\n"));
}

#[test]
fn basket_arguments_are_built_like_the_check_commands() {
    let conf = conf_arguments();
    let arguments = basket_arguments(&basket());
    for (name, wanted) in &conf {
        let Some(shipped) = arguments.get(name) else {
            continue;
        };
        assert_eq!(
            shipped,
            wanted,
            "{BASKET}: Command.csbackup.arguments[\"{name}\"] differs from {CONF}'s; as the .conf has it, it is\n  \"{name}\": {}",
            wanted.to_basket()
        );
    }
}

#[test]
fn basket_command_runs_the_plugin_like_the_check_command() {
    let basket = basket();
    let command = command(&basket);
    assert_eq!(
        command["object_name"], "csbackup",
        "{BASKET}: Command key and object_name"
    );
    assert_eq!(
        command["object_type"], "object",
        "{BASKET}: Command.csbackup.object_type"
    );
    assert_eq!(
        command["methods_execute"], "PluginCheck",
        "{BASKET}: a check command"
    );
    // Director renders it as [ PluginDir + "/check_csbackup" ].
    assert_eq!(
        command["command"], "PluginDir + /check_csbackup",
        "{BASKET}: Command.csbackup.command"
    );
    let conf_timeout = read(CONF)
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("timeout = ")
                .map(|t| t.trim_end_matches('s').to_owned())
        })
        .expect("check_csbackup.conf sets timeout = <N>s");
    assert_eq!(
        command["timeout"],
        json!(conf_timeout),
        "{BASKET}: Command.csbackup.timeout, as {CONF}'s"
    );
}

#[test]
fn basket_data_fields_fit_their_arguments() {
    let basket = basket();
    let arguments = basket_arguments(&basket);
    let fields = data_fields(&basket);
    let lists = object(&basket["DataList"], "DataList");
    for field in fields.values() {
        let var = field["varname"].as_str().unwrap_or_default();
        let datatype = field["datatype"].as_str().unwrap_or_default();
        let kind = datatype.strip_prefix(DATATYPE).unwrap_or_default();
        assert!(
            DATATYPES.contains(&kind),
            "{BASKET}: {var} has datatype {datatype}, which Director does not know"
        );
        let settings = object(&field["settings"], "a Datafield's settings");
        let list_kind = settings.get("data_type").and_then(Value::as_str);
        if kind == "DataTypeDatalist" {
            let list = settings
                .get("datalist")
                .and_then(Value::as_str)
                .unwrap_or_default();
            assert!(
                lists.contains_key(list),
                "{BASKET}: {var} uses data list {list:?}, which DataList lacks"
            );
            assert!(
                matches!(list_kind, Some("string" | "array")),
                "{BASKET}: {var}: data_type {list_kind:?}"
            );
        }
        let Some((name, argument)) = arguments.iter().find(|(_, a)| a.uses(var)) else {
            panic!("{BASKET}: no argument of Command.csbackup uses the data field {var}");
        };
        let is_list = kind == "DataTypeArray" || list_kind == Some("array");
        let repeated = argument.repeat_key == Some(true);
        assert_eq!(
            is_list,
            repeated,
            "{BASKET}: {var} is {}an array but {name} is {}repeated (repeat_key = true)",
            if is_list { "" } else { "not " },
            if repeated { "" } else { "not " }
        );
        if argument.value.is_none() {
            assert_eq!(
                kind, "DataTypeBoolean",
                "{BASKET}: {var} switches {name} on: a DataTypeBoolean"
            );
        }
    }
}

#[test]
fn basket_keeps_directors_restore_rules() {
    let basket = basket();
    // Director finds an object by the key it stands under; data fields by originalId.
    for (section, name_key) in [
        ("Command", "object_name"),
        ("ServiceTemplate", "object_name"),
        ("DataList", "list_name"),
    ] {
        for (key, item) in object(&basket[section], section) {
            assert_eq!(
                item[name_key],
                json!(key),
                "{BASKET}: {section} {key:?} has {name_key} {}",
                item[name_key]
            );
        }
    }
    let mut vars = Vec::new();
    for (id, field) in data_fields(&basket) {
        assert_eq!(
            field["originalId"],
            json!(id.to_string()),
            "{BASKET}: Datafield {id}'s originalId"
        );
        let var = field["varname"].as_str().unwrap_or_default().to_owned();
        assert!(!vars.contains(&var), "{BASKET}: two data fields for {var}");
        // Director keeps settings as strings: anything else reads back different, and
        // the next restore adds the field a second time.
        for (key, value) in object(&field["settings"], "a Datafield's settings") {
            assert!(
                value.is_string(),
                "{BASKET}: {var}: setting {key} is {value}, not a string"
            );
        }
        vars.push(var);
    }
    for (name, list) in object(&basket["DataList"], "DataList") {
        for entry in array(&list["entries"], "a DataList's entries") {
            assert!(
                entry["entry_name"].is_string() && entry["entry_value"].is_string(),
                "{BASKET}: data list {name}: entries have string entry_name and entry_value: {entry}"
            );
        }
    }
}

#[test]
fn basket_template_asks_for_the_status_document() {
    let basket = basket();
    let template = template(&basket);
    assert_eq!(
        template["object_type"], "template",
        "{BASKET}: ServiceTemplate.csbackup.object_type"
    );
    assert_eq!(
        template["check_command"], "csbackup",
        "{BASKET}: ServiceTemplate.csbackup.check_command"
    );
    let on_template = linked_vars(&basket, template, "ServiceTemplate.csbackup.fields");
    let on_command = linked_vars(&basket, command(&basket), "Command.csbackup.fields");
    let required: Vec<&String> = on_template
        .iter()
        .filter(|(_, &r)| r)
        .map(|(v, _)| v)
        .collect();
    assert_eq!(
        required,
        ["csbackup_file"],
        "{BASKET}: the template requires the status document only"
    );
    for var in on_template.keys() {
        assert!(
            on_command.contains_key(var),
            "{BASKET}: the template's field {var} is not one of the command's"
        );
    }
    assert!(
        on_command.values().all(|&required| !required),
        "{BASKET}: the command requires no field (the template does)"
    );
}

/// Seconds of an Icinga 2 duration literal as the snippets write them (`5m`, `60s`).
fn seconds(duration: &str) -> u64 {
    let (number, unit) = duration.split_at(duration.len() - 1);
    let number: u64 = number.parse().expect("a number of units");
    match unit {
        "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => panic!("unit of {duration}"),
    }
}

#[test]
fn basket_template_checks_as_often_as_the_sample_services() {
    let services = std::fs::read_to_string("packaging/icinga2/check_csbackup-services.conf")
        .expect("the sample services");
    let basket = basket();
    let template = template(&basket);
    for interval in ["check_interval", "retry_interval"] {
        let conf = services
            .lines()
            .find_map(|line| line.trim().strip_prefix(&format!("{interval} = ")))
            .unwrap_or_else(|| panic!("the sample services set no {interval}"));
        assert_eq!(
            template[interval],
            seconds(conf).to_string(),
            "{BASKET}: ServiceTemplate.csbackup.{interval} against the sample services' {conf}"
        );
    }
}
