//! PowerShell text → pools: what the console prints for `$s.BackupModules`, the
//! `Format-Table` view (an `Identity ExportStatus ImportStatus` header, a dashes line, a
//! row per module) and `Format-List` blocks (`Name : Value` lines, a blank line between
//! objects).
//!
//! Each table row and each list block becomes a record of named strings, which the JSON
//! reader's mapping turns into the model like any other document's properties. What the
//! text view loses is said, never guessed: a value the table cut short with `...` (`…` in
//! PowerShell 7) is [`Reported::Truncated`], and a `BackupModules : {A, B}` summary is
//! refused as too little detail. The text names no pool unless a `PoolFqdn : x` line does,
//! so `--pool` names it.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::json::{self, Node as Tree, Object};
use crate::model::{clip, Pool, Reported};

const HINT: &str = "expected $s.BackupModules as PowerShell prints it (Format-Table or \
    Format-List), or export with ConvertTo-Json -Depth 5 or Export-Clixml";

/// Reads a PowerShell text view into its one pool.
pub fn read(source: &str) -> Result<Vec<Pool>, String> {
    let lines: Vec<String> = source
        .lines()
        .map(|line| without_colours(line).trim_end().to_owned())
        .collect();
    if lines.iter().any(|l| {
        let l = l.trim_start();
        l.starts_with("+ FullyQualifiedErrorId") || l.starts_with("+ CategoryInfo")
    }) {
        let first = lines
            .iter()
            .find(|l| !l.trim().is_empty())
            .map_or("", |l| l.trim());
        return Err(format!(
            "the text is a PowerShell error, not a status: '{}'",
            clip(first, 200)
        ));
    }
    let records = records(&lines)?;
    Ok(vec![pool(records)?])
}

/// One object of the view: a table row or a list block, and the line it starts on.
struct Record {
    line: usize,
    properties: Map<String, Value>,
}

fn records(lines: &[String]) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = &lines[index];
        index = if line.trim().is_empty() || is_prompt(line) {
            index + 1
        } else if lines.get(index + 1).is_some_and(|next| is_dashes(next)) {
            table(lines, index, &mut records)?
        } else {
            list(lines, index, &mut records)?
        };
    }
    if records.is_empty() {
        return Err(format!("the text holds no table and no list: {HINT}"));
    }
    Ok(records)
}

/// A `PS C:\> command` line pasted with the output.
fn is_prompt(line: &str) -> bool {
    line.trim_start().starts_with("PS ") && line.contains('>')
}

fn is_dashes(line: &str) -> bool {
    line.contains('-') && line.chars().all(|c| c == '-' || c == ' ')
}

/// Reads the table whose header is at `header`, returning the index after its last row.
fn table(lines: &[String], header: usize, records: &mut Vec<Record>) -> Result<usize, String> {
    let dashes: Vec<char> = lines[header + 1].chars().collect();
    let starts: Vec<usize> = (0..dashes.len())
        .filter(|&i| dashes[i] == '-' && (i == 0 || dashes[i - 1] == ' '))
        .collect();
    let names = cells(&lines[header], &starts).ok_or_else(|| {
        format!(
            "line {}: the column names do not line up with the dashes below them: {HINT}",
            header + 1
        )
    })?;
    if let Some(name) = names.iter().find(|n| n.is_empty() || is_cut(n)) {
        return Err(format!(
            "line {}: the table's column names are cut short or missing ('{}'): widen the console, \
             or use Format-Table -AutoSize, Format-List or ConvertTo-Json -Depth 5",
            header + 1,
            clip(name, 40)
        ));
    }
    let mut index = header + 2;
    while index < lines.len() && !lines[index].trim().is_empty() {
        let row = cells(&lines[index], &starts)
            .or_else(|| {
                // A hand-edited row that lost its alignment still reads if every cell is one word.
                let words: Vec<String> =
                    lines[index].split_whitespace().map(str::to_owned).collect();
                (words.len() == starts.len()).then_some(words)
            })
            .ok_or_else(|| {
                format!(
                    "line {}: the row does not line up with the columns of the dashes line: {HINT}",
                    index + 1
                )
            })?;
        records.push(Record {
            line: index + 1,
            properties: names
                .iter()
                .cloned()
                .zip(row.into_iter().map(Value::String))
                .collect(),
        });
        index += 1;
    }
    Ok(index)
}

/// The cells of `line` in the columns that start at `starts`, or `None` when a value
/// runs across a column's start.
fn cells(line: &str, starts: &[usize]) -> Option<Vec<String>> {
    let chars: Vec<char> = line.chars().collect();
    let mut cells = Vec::with_capacity(starts.len());
    for (column, &start) in starts.iter().enumerate() {
        let from = if column == 0 {
            0
        } else {
            start.min(chars.len())
        };
        let to = starts
            .get(column + 1)
            .map_or(chars.len(), |&next| next.min(chars.len()));
        if from > 0 && from < chars.len() && chars[from] != ' ' && chars[from - 1] != ' ' {
            return None;
        }
        cells.push(chars[from..to].iter().collect::<String>().trim().to_owned());
    }
    Some(cells)
}

/// Reads the `Name : Value` block starting at `start`, returning the index after it.
fn list(lines: &[String], start: usize, records: &mut Vec<Record>) -> Result<usize, String> {
    let mut properties = Map::new();
    let mut last: Option<String> = None;
    let mut index = start;
    while index < lines.len() && !lines[index].trim().is_empty() {
        let line = &lines[index];
        if lines.get(index + 1).is_some_and(|next| is_dashes(next)) {
            break;
        }
        if let Some((name, value)) = property(line) {
            properties
                .entry(name.clone())
                .or_insert(Value::String(value));
            last = Some(name);
        } else if let (true, Some(Value::String(value))) = (
            line.starts_with(char::is_whitespace),
            last.as_ref().and_then(|name| properties.get_mut(name)),
        ) {
            // Format-List wraps a long value onto lines indented under it.
            value.push(' ');
            value.push_str(line.trim());
        } else if !is_prompt(line) {
            // Not quoted: a file that is no status document may hold anything.
            return Err(format!(
                "line {} is neither part of a table nor a 'Name : Value' list: {HINT}",
                index + 1
            ));
        }
        index += 1;
    }
    if !properties.is_empty() {
        records.push(Record {
            line: start + 1,
            properties,
        });
    }
    Ok(index)
}

/// `Name : Value`, the name one word as property names are.
fn property(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    let word = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
    word.then(|| (name.to_owned(), value.trim().to_owned()))
}

/// A record's properties as the JSON reader's tree: text documents are small, so a copy.
fn tree(properties: &Map<String, Value>) -> Object<'static> {
    match Tree::from(Value::Object(properties.clone())) {
        Tree::Object(object) => object,
        _ => Object::new(),
    }
}

/// The records as one pool: modules from module records, the rest from a status record.
fn pool(records: Vec<Record>) -> Result<Pool, String> {
    let mut status: Option<Record> = None;
    let mut modules = Vec::new();
    let mut summary: Option<String> = None;
    for mut record in records {
        // An empty value in the text is no value; only an empty ActiveMasterFqdn says something.
        record.properties.retain(|name, value| {
            name.eq_ignore_ascii_case("ActiveMasterFqdn")
                || value.as_str().is_some_and(|v| !v.is_empty())
        });
        // The JSON reader's mapping classifies and reads the properties, on its own tree.
        let shape = tree(&record.properties);
        if json::is_status_object(&shape) {
            let key = record
                .properties
                .keys()
                .find(|k| k.eq_ignore_ascii_case("BackupModules"))
                .cloned();
            if let Some(Value::String(text)) = key.and_then(|k| record.properties.remove(&k)) {
                summary.get_or_insert(text);
            }
            if let Some(first) = &status {
                return Err(format!(
                    "the text holds several status objects (lines {} and {}) and names no pool for each \
                     one's modules: give one pool per file, or export with ConvertTo-Json -Depth 5",
                    first.line, record.line
                ));
            }
            status = Some(record);
        } else if json::is_module_object(&shape) {
            modules.push(Tree::Object(shape));
        } else {
            // Counted, not listed: `Name : Value` lines of any file (an account list, a
            // configuration) would otherwise be echoed.
            return Err(format!(
                "line {}: 'Name : Value' lines that are neither a backup module nor a Backup \
                 Service status (none of their {} names is Identity, ExportStatus, ImportStatus, \
                 PoolFqdn or BackupModules): {HINT}",
                record.line,
                record.properties.len()
            ));
        }
    }
    if let (true, Some(summary)) = (modules.is_empty(), summary) {
        return Err(format!(
            "the text shows BackupModules only as a summary ('{}'), without the statuses: print the \
             modules themselves ($s.BackupModules, as a table or piped to Format-List), or export \
             with ConvertTo-Json -Depth 5 or Export-Clixml",
            clip(&summary, 80)
        ));
    }
    let mut pool = status
        .map(|record| json::read_pool(tree(&record.properties)))
        .unwrap_or_default();
    if !modules.is_empty() {
        pool.modules = json::read_modules(Tree::Array(modules));
    }
    mark_truncated(&mut pool);
    Ok(pool)
}

/// Statuses the view cut short (`NonSteadySt...`) are not names.
fn mark_truncated(pool: &mut Pool) {
    let mark = |reported: &mut Reported| {
        if let Reported::Name(text) = reported {
            if is_cut(text) {
                *reported = Reported::Truncated(std::mem::take(text).into_owned());
            }
        }
    };
    pool.overall_export.iter_mut().for_each(mark);
    pool.overall_import.iter_mut().for_each(mark);
    if let crate::model::Modules::Listed { modules, .. } = &mut pool.modules {
        for module in modules {
            mark(&mut module.export);
            mark(&mut module.import);
        }
    }
}

fn is_cut(text: &str) -> bool {
    text.ends_with("...") || text.ends_with('…')
}

/// The line without ANSI colour sequences (PowerShell 7 colours table headers).
fn without_colours(line: &str) -> Cow<'_, str> {
    if !line.contains('\u{1b}') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
        } else if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Module, Modules};

    fn modules(pool: &Pool) -> &[Module] {
        match &pool.modules {
            Modules::Listed { modules, .. } => modules,
            other => panic!("expected modules, got {other:?}"),
        }
    }

    fn statuses(pool: &Pool) -> Vec<(&str, &Reported, &Reported)> {
        modules(pool)
            .iter()
            .map(|m| (m.name.as_str(), &m.export, &m.import))
            .collect()
    }

    fn name(s: &str) -> Reported {
        Reported::Name(s.to_owned().into())
    }

    const TABLE: &str = "\r
Identity                   ExportStatus   ImportStatus\r
--------                   ------------   ------------\r
UserServices.PresenceFocus SteadyState    NormalState\r
ConfServices.DataConf      FinalState     NormalState\r
CentralMgmt.CMSMaster      NotInitialized NormalState\r
\r
\r
";

    #[test]
    fn reads_the_table_view() {
        let pools = read(TABLE).unwrap();
        assert_eq!(pools.len(), 1);
        assert_eq!(pools[0].fqdn, None);
        assert_eq!(
            statuses(&pools[0]),
            [
                (
                    "UserServices.PresenceFocus",
                    &name("SteadyState"),
                    &name("NormalState")
                ),
                (
                    "ConfServices.DataConf",
                    &name("FinalState"),
                    &name("NormalState")
                ),
                (
                    "CentralMgmt.CMSMaster",
                    &name("NotInitialized"),
                    &name("NormalState")
                ),
            ]
        );
    }

    #[test]
    fn finds_columns_from_the_dashes_line() {
        // Narrow columns, an empty cell, an indented table, a prompt and colours.
        let text = "PS C:\\> $s.BackupModules\n\n  \u{1b}[32;1mIdentity     ExportStatus ImportStatus\u{1b}[0m\n  --------     ------------ ------------\n  A.B          NonSteadySt… No…\n  C.D                       NormalState\n";
        let pools = read(text).unwrap();
        assert_eq!(
            statuses(&pools[0]),
            [
                (
                    "A.B",
                    &Reported::Truncated("NonSteadySt…".into()),
                    &Reported::Truncated("No…".into())
                ),
                ("C.D", &Reported::Missing, &name("NormalState")),
            ]
        );
        assert_eq!(modules(&pools[0])[0].other, vec![]);
        let err =
            read("Identity  ExportSta...\n--------  ------------\nA         B\n").unwrap_err();
        assert!(err.contains("cut short"), "{err}");
    }

    #[test]
    fn reads_cut_values_the_windows_powershell_way() {
        let text = "Identity ExportStatus ImportStatus\n-------- ------------ ------------\nA        NonSteady... NormalState\n";
        let pools = read(text).unwrap();
        assert_eq!(
            modules(&pools[0])[0].export,
            Reported::Truncated("NonSteady...".into())
        );
    }

    #[test]
    fn reads_misaligned_one_word_rows() {
        let text = "Identity ExportStatus ImportStatus\n-------- ------------ ------------\nUserServices.PresenceFocus SteadyState NormalState\nConfServices.DataConf  ErrorState   NormalState\n";
        let pools = read(text).unwrap();
        assert_eq!(
            statuses(&pools[0]),
            [
                (
                    "UserServices.PresenceFocus",
                    &name("SteadyState"),
                    &name("NormalState")
                ),
                (
                    "ConfServices.DataConf",
                    &name("ErrorState"),
                    &name("NormalState")
                ),
            ]
        );
        let err = read("Identity ExportStatus\n-------- ------------\nUserServices.PresenceFocus SteadyState NormalState\n").unwrap_err();
        assert!(err.contains("line 3") && err.contains("line up"), "{err}");
    }

    #[test]
    fn reads_list_blocks_with_a_pool() {
        let text = "\r\nPoolFqdn            : pool01.contoso.com\r\nOverallExportStatus : SteadyState\r\nActiveMasterFqdn    :\r\nBackupModules       : {UserServices.PresenceFocus, ConfServices.DataConf}\r\n\r\nIdentity     : UserServices.PresenceFocus\r\nExportStatus : SteadyState\r\nImportStatus : NormalState\r\nComment      : a long value that\r\n               wraps\r\n\r\nIdentity     : ConfServices.DataConf\r\nExportStatus : ErrorState\r\nImportStatus :\r\n";
        let pools = read(text).unwrap();
        let pool = &pools[0];
        assert_eq!(pool.fqdn.as_deref(), Some("pool01.contoso.com"));
        assert_eq!(pool.overall_export, Some(name("SteadyState")));
        assert_eq!(pool.active_master_fqdn.as_deref(), Some(""));
        assert_eq!(
            statuses(pool),
            [
                (
                    "UserServices.PresenceFocus",
                    &name("SteadyState"),
                    &name("NormalState")
                ),
                (
                    "ConfServices.DataConf",
                    &name("ErrorState"),
                    &Reported::Missing
                ),
            ]
        );
        assert_eq!(
            modules(pool)[0].other,
            vec![("Comment".to_string(), "a long value that wraps".to_string())]
        );
    }

    #[test]
    fn refuses_a_module_summary() {
        let err = read("PoolFqdn      : pool01.contoso.com\nBackupModules : {UserServices.PresenceFocus, ConfServices.DataConf...}\n").unwrap_err();
        assert!(err.contains("only as a summary"), "{err}");
        assert!(
            err.contains("$s.BackupModules, as a table or piped to Format-List"),
            "{err}"
        );
        let table = "PoolFqdn           BackupModules\n--------           -------------\npool01.contoso.com {A, B}\n";
        assert!(read(table).unwrap_err().contains("only as a summary"));
    }

    #[test]
    fn refuses_other_text() {
        let err = |text: &str| read(text).unwrap_err();
        assert!(err("hello world\n").contains("line 1 is neither part of a table"));
        assert!(!err("hello world\n").contains("hello"));
        assert!(err("PS C:\\> $s\n\n").contains("no table and no list"));
        assert!(err("Foo : 1\nBar : 2\n").contains("none of their 2 names"));
        assert!(!err("Foo : 1\nBar : 2\n").contains("Foo"));
        assert!(err("PoolFqdn : a\n\nPoolFqdn : b\n").contains("lines 1 and 3"));
        let error = "Get-CsBackupServiceStatus : Cannot find pool.\nAt line:1 char:1\n+ Get-CsBackupServiceStatus -PoolFqdn x\n    + CategoryInfo          : InvalidOperation\n    + FullyQualifiedErrorId : X\n";
        assert!(err(error).contains(
            "a PowerShell error, not a status: 'Get-CsBackupServiceStatus : Cannot find pool.'"
        ));
    }
}
