#!/usr/bin/env node
// The Windows PowerShell 5.1 gate for the project's PowerShell.
//
// The collector runs in Windows PowerShell 5.1, the only shell the Skype for Business
// module loads in, and no PowerShell runs on the build machines. So every script is
// parsed here with the tree-sitter PowerShell grammar (the WebAssembly build that ships
// in the tree-sitter-powershell package: no compiler, nothing downloaded at install), and
// refused when the grammar reports an ERROR or MISSING node, or when it uses syntax that
// only PowerShell 7 has. The grammar accepts some of that syntax (`&&`, `-Parallel`)
// and stumbles over the rest, so the check looks for both: on the syntax tree where the
// grammar gives a node, else on the script's code with comments, strings, here-strings,
// names and bare words blanked out, so that text never triggers it.
//
// Usage: node check.mjs [--stdin-name NAME] FILE...   ("-" reads standard input)
// Exit: 0 every file passes, 1 a file is refused, 2 usage error or unreadable file.
// Each refusal is a line `FILE:LINE:COLUMN: what` (1-based), then the line it is on.
//
// Known limits of the grammar (0.26.4), valid in 5.1 but refused here: an empty script
// block as a value (`{ }`), `?` in an unbraced variable name (`$a?`: write `${a?}`),
// `break`/`continue` with a label (`break outer`), `param(...)` and a named block on one
// line, a file of comments only.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Language, Parser } from "web-tree-sitter";

// The grammar is a 1 MB WebAssembly module of parse tables; V8's optimising compiler
// spends seconds on it that parsing a few scripts never wins back. Its baseline compiler
// alone takes milliseconds. (Read when the module is compiled, so setting it here works.)
setFlagsFromString("--liftoff-only");

const GRAMMAR_WASM = createRequire(import.meta.url).resolve(
  "tree-sitter-powershell/tree-sitter-powershell.wasm",
);

/** How a ForEach-Object call is spelled: name, module-qualified name, or alias. */
const FOREACH_OBJECT = /^(?:microsoft\.powershell\.core\\)?(?:foreach-object|foreach|%)$/i;
/** `-Parallel` as PowerShell 7 binds it: any unambiguous prefix (`-Pa`...), any case. */
const PARALLEL = /^-pa(?:r(?:a(?:l(?:l(?:el?)?)?)?)?)?:?$/i;

/**
 * What Windows PowerShell 5.1 does not have, and what to write there instead. A row finds
 * its construct either on the syntax tree (`nodes`: the node type, `at`: the node to
 * report, or null) or in the blanked code (`code`: a pattern; the `?` forms exclude each
 * other so one spot is named once).
 */
export const POWERSHELL_7_ONLY = [
  {
    construct: "null-coalescing assignment '??='",
    instead: "if ($null -eq $a) { $a = $b }",
    code: /\?\?=/g,
  },
  {
    construct: "null-coalescing operator '??'",
    instead: "if ($null -ne $a) { $a } else { $b }",
    code: /\?\?(?!=)/g,
  },
  {
    construct: "null-conditional member access '?.'",
    instead: "if ($null -ne $a) { $a.Name }",
    code: /(?<!\?)\?\./g,
  },
  {
    construct: "null-conditional index '?['",
    instead: "if ($null -ne $a) { $a[0] }",
    code: /(?<!\?)\?\[/g,
  },
  {
    construct: "ternary operator '? :'",
    instead: "if ($condition) { $a } else { $b }",
    code: /(?<!\?)\?(?![?.[])/g,
  },
  {
    construct: "pipeline chain '&&'",
    instead: "Get-First; if ($?) { Get-Second }",
    nodes: "pipeline_chain_tail",
    at: (node) => (node.text === "&&" ? node : null),
  },
  {
    construct: "pipeline chain '||'",
    instead: "Get-First; if (-not $?) { Get-Second }",
    nodes: "pipeline_chain_tail",
    at: (node) => (node.text === "||" ? node : null),
  },
  {
    construct: "ForEach-Object -Parallel",
    instead: "$items | ForEach-Object { Start-Job $work -ArgumentList $_ } | Receive-Job -Wait",
    nodes: "command",
    at: parallelParameter,
  },
  {
    construct: "'clean' block",
    instead: "try { Invoke-Work } finally { Close-Work }",
    code: /\bclean\s*\{/gi,
  },
];

function parallelParameter(command) {
  const name = command.childForFieldName("command_name");
  const elements = command.childForFieldName("command_elements");
  if (!name || !elements || !FOREACH_OBJECT.test(name.text)) return null;
  return (
    elements.namedChildren.find(
      (element) => element.type === "command_parameter" && PARALLEL.test(element.text),
    ) ?? null
  );
}

/** The parser, with the PowerShell grammar loaded. */
export async function loadParser() {
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(readFileSync(GRAMMAR_WASM)));
  return parser;
}

/** A script's text, without BOM: UTF-8 (with or without BOM) or UTF-16 with BOM. */
export function readScript(file) {
  const bytes = readFileSync(file);
  const [a, b] = bytes;
  // TextDecoder drops the BOM; fatal: a byte that is not UTF-8 is an error, not U+FFFD.
  if (a === 0xff && b === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (a === 0xfe && b === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/** Every refusal for one script, in source order: `{ line, column, message }`. */
export function check(parser, source) {
  const tree = parser.parse(source);
  try {
    const found = [...syntaxErrors(tree.rootNode), ...powershell7Only(tree.rootNode, source)];
    found.sort((x, y) => x.index - y.index);
    return found.map(({ index, message }) => ({ ...position(source, index), message }));
  } finally {
    tree.delete();
  }
}

/** ERROR and MISSING nodes; an ERROR is reported once, not for each node inside it. */
function syntaxErrors(root) {
  const found = [];
  const visit = (node) => {
    if (node.isMissing) {
      found.push({ index: node.startIndex, message: `syntax error: ${missing(node)}` });
    } else if (node.type === "ERROR") {
      const text = node.text.trimStart();
      const index = node.startIndex + node.text.length - text.length;
      const what = text === "" ? "end of file" : `'${shorten(text.split(/\r?\n/)[0], 40)}'`;
      found.push({ index, message: `syntax error: unexpected ${what}` });
      return;
    }
    for (const child of node.children) if (child.hasError || child.isMissing) visit(child);
  };
  visit(root);
  return found;
}

/** Brackets the grammar may find missing, and the tokens that open them. */
const OPENERS = { "}": ["{", "@{"], ")": ["(", "$(", "@("], "]": ["["] };

/** What is missing, and for a closing bracket where the one it closes was opened. */
function missing(node) {
  const opener = node.parent?.children.find((c) => OPENERS[node.type]?.includes(c.type));
  if (!opener) return `missing '${node.type}'`;
  const { row, column } = opener.startPosition;
  return `missing '${node.type}' to close the '${opener.type}' at ${row + 1}:${column + 1}`;
}

function powershell7Only(root, source) {
  const found = [];
  const seen = new Set();
  const add = (index, row) => {
    const line = position(source, index).line;
    // Error recovery can cut a string apart on a line that is already refused: name
    // each construct once per line.
    if (seen.has(`${line} ${row.construct}`)) return;
    seen.add(`${line} ${row.construct}`);
    const message = `PowerShell 7 only: ${row.construct}; in Windows PowerShell 5.1 write: `;
    found.push({ index, message: message + row.instead });
  };
  const { code, variableEnds } = codeOnly(root, source);
  for (const row of POWERSHELL_7_ONLY) {
    if (row.nodes) {
      for (const node of root.descendantsOfType(row.nodes)) {
        const at = row.at(node);
        if (at) add(at.startIndex, row);
      }
      continue;
    }
    for (const match of code.matchAll(row.code)) {
      // `$a?` is a variable named `a?` in 5.1 and 7 alike, not an operator.
      if (!variableEnds.has(match.index)) add(match.index, row);
    }
  }
  return found;
}

/**
 * The source with only code left: operators, punctuation, keywords and what the grammar
 * could not parse; everything else is blanked to spaces (line breaks kept, so indices and
 * positions stay those of the source). Blanked are the named tokens (comments, strings'
 * text, here-strings, names, numbers, parameters, bare words) and variables (`$?` is
 * one); code in a string's `$( )` stays code. The word `clean` stays, for the clean
 * block. Also returned: where each unbraced variable ends, since a `?` there belongs to
 * its name.
 */
function codeOnly(root, source) {
  const code = source.replace(/[^\r\n]/g, " ").split("");
  const variableEnds = new Set();
  const keep = (node) => {
    for (let i = node.startIndex; i < node.endIndex; i++) code[i] = source[i];
  };
  const visit = (node) => {
    if (node.type === "variable") {
      if (!node.text.startsWith("${")) variableEnds.add(node.endIndex);
    } else if (/^(?:command|simple)_name$/.test(node.type) && /^\s*clean\s*$/i.test(node.text)) {
      keep(node);
    } else if (node.childCount === 0) {
      if (node.type === "ERROR" || !node.isNamed) keep(node);
    } else {
      for (const child of node.children) visit(child);
    }
  };
  visit(root);
  return { code: code.join(""), variableEnds };
}

/** 1-based line and column of a string index. */
function position(source, index) {
  const before = source.slice(0, index);
  const line = before.split("\n").length;
  return { line, column: index - (before.lastIndexOf("\n") + 1) + 1 };
}

function shorten(text, width) {
  return text.length > width ? `${text.slice(0, width - 3)}...` : text;
}

/** `FILE:LINE:COLUMN: message`, then the line itself, indented. */
function format(name, source, finding) {
  const line = source.split(/\r?\n/)[finding.line - 1] ?? "";
  const where = `${name}:${finding.line}:${finding.column}`;
  return `${where}: ${finding.message}\n    ${shorten(line.trim(), 100)}`;
}

async function main(args) {
  let stdinName = "<stdin>";
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--stdin-name") {
      if (i + 1 === args.length) return usage("--stdin-name needs a name");
      stdinName = args[++i];
    } else if (args[i].startsWith("--")) {
      return usage(`unknown option ${args[i]}`);
    } else {
      files.push(args[i]);
    }
  }
  if (files.length === 0) return usage("no file given");

  const parser = await loadParser();
  let refused = 0;
  for (const file of files) {
    const name = file === "-" ? stdinName : file;
    let source;
    try {
      source = readScript(file === "-" ? 0 : file);
    } catch (error) {
      const reason =
        error.code === "ERR_ENCODING_INVALID_ENCODED_DATA"
          ? "not UTF-8 text; save it as UTF-8, or UTF-16 with BOM"
          : error.message;
      console.log(`${name}: cannot read: ${reason}`);
      return 2;
    }
    const findings = check(parser, source);
    if (findings.length === 0) {
      console.log(`ok ${name}`);
      continue;
    }
    refused++;
    for (const finding of findings) console.log(format(name, source, finding));
  }
  if (refused > 0) {
    console.log(`${refused} of ${files.length} file(s) refused: not valid Windows PowerShell 5.1`);
    return 1;
  }
  return 0;
}

function usage(problem) {
  console.error(`check.mjs: ${problem}; usage: node check.mjs [--stdin-name NAME] FILE...`);
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
