// Tests of the Windows PowerShell 5.1 gate (check.mjs): `node --test check.test.mjs`.
//
// fixtures/refused/ holds one script per PowerShell 7 construct, each with the construct
// named in a comment too (a comment must never count); fixtures/valid/ holds 5.1 scripts
// that put the same characters where they are not syntax. The real collector script is
// copied and broken at run time, so the gate is shown to fail on the file it guards.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { POWERSHELL_7_ONLY, check, loadParser, readScript } from "./check.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const FIXTURES = join(HERE, "fixtures");
const COLLECTOR = join(HERE, "../../packaging/windows/Collect-CsBackupStatus.ps1");

/** Each refused fixture: the construct it must be refused for, at LINE:COLUMN. */
const REFUSED = {
  "null-coalescing.ps1": ["null-coalescing operator '??'", ["3:20"]],
  "null-coalescing-assignment.ps1": ["null-coalescing assignment '??='", ["3:10"]],
  "null-conditional-member.ps1": ["null-conditional member access '?.'", ["4:17"]],
  "null-conditional-index.ps1": ["null-conditional index '?['", ["3:21"]],
  "ternary.ps1": ["ternary operator '? :'", ["3:22"]],
  "chain-and.ps1": ["pipeline chain '&&'", ["2:32"]],
  "chain-or.ps1": ["pipeline chain '||'", ["2:32"]],
  "foreach-object-parallel.ps1": [
    "ForEach-Object -Parallel",
    ["3:25", "4:25", "5:12", "6:18", "7:25", "8:51"],
  ],
  "clean-block.ps1": ["'clean' block", ["5:5", "9:5"]],
};

/** Constructs the grammar parses without complaint: only the second check catches them. */
const GRAMMAR_ACCEPTS = ["chain-and.ps1", "chain-or.ps1", "foreach-object-parallel.ps1"];

let parser;
let dir;
before(async () => {
  parser = await loadParser();
  dir = mkdtempSync(join(tmpdir(), "ps-grammar-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args, input) =>
  spawnSync(process.execPath, [join(HERE, "check.mjs"), ...args], { input, encoding: "utf8" });
const sevenOnly = (findings) => findings.filter((f) => f.message.startsWith("PowerShell 7 only"));
const syntax = (findings) => findings.filter((f) => f.message.startsWith("syntax error"));
const at = (findings) => findings.map((f) => `${f.line}:${f.column}`);
const fixture = (...path) => readScript(join(FIXTURES, ...path));

describe("PowerShell 7 constructs are refused", () => {
  test("every row of the table has a fixture", () => {
    const covered = new Set(Object.values(REFUSED).map(([construct]) => construct));
    for (const row of POWERSHELL_7_ONLY) assert.ok(covered.has(row.construct), row.construct);
    assert.deepEqual(readdirSync(join(FIXTURES, "refused")).sort(), Object.keys(REFUSED).sort());
  });

  for (const [file, [construct, positions]] of Object.entries(REFUSED)) {
    test(`${file}: ${construct} at ${positions.join(", ")}`, () => {
      const found = sevenOnly(check(parser, fixture("refused", file)));
      assert.deepEqual(at(found), positions);
      for (const { message } of found) {
        assert.ok(message.includes(`: ${construct}; in Windows PowerShell 5.1 write: `), message);
      }
    });
  }

  for (const file of GRAMMAR_ACCEPTS) {
    test(`${file}: the grammar itself accepts it`, () => {
      assert.deepEqual(syntax(check(parser, fixture("refused", file))), []);
    });
  }

  test("a '?' in a string inside the same refused line is not named twice", () => {
    const found = sevenOnly(check(parser, `$a = $b ?? "x ?? y"\n`));
    assert.deepEqual(at(found), ["1:9"]);
  });

  test("code inside a string's $( ) is code", () => {
    const found = sevenOnly(check(parser, `Write-Output "pool: $($pool ?? 'none')"\n`));
    assert.deepEqual(at(found), ["1:29"]);
  });
});

describe("valid Windows PowerShell 5.1 passes", () => {
  for (const file of readdirSync(join(FIXTURES, "valid"))) {
    test(file, () => {
      assert.deepEqual(check(parser, fixture("valid", file)), []);
    });
  }

  for (const row of POWERSHELL_7_ONLY) {
    test(`the replacement offered for ${row.construct} is itself valid 5.1`, () => {
      assert.deepEqual(check(parser, `${row.instead}\n`), []);
    });
  }

  test("'$a?' is a variable named 'a?' (5.1 and 7 alike), not an operator", () => {
    // The grammar does not know such names and reports a syntax error, which stands;
    // but the check must not call it a PowerShell 7 operator.
    const findings = check(parser, "$a? = 1\n$a?.Length\n$a?[0]\n");
    assert.deepEqual(sevenOnly(findings), []);
    assert.notDeepEqual(syntax(findings), []);
  });

  test("UTF-16LE and UTF-8 with BOM, CRLF line ends, as Windows editors save them", () => {
    const text = "$x = $y ?? 1\r\nWrite-Output 'a ?? b'\r\n";
    const saved = {
      "utf16le.ps1": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
      "utf8bom.ps1": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]),
    };
    for (const [name, bytes] of Object.entries(saved)) {
      writeFileSync(join(dir, name), bytes);
      // The BOM is not a column: the '??' is at 1:9 as an editor shows it.
      assert.deepEqual(at(sevenOnly(check(parser, readScript(join(dir, name))))), ["1:9"], name);
    }
  });
});

describe("the command line, on the real collector script", () => {
  test("passes as it is", () => {
    const result = run([COLLECTOR]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  test("fails with FILE:LINE:COLUMN when a closing brace is removed", () => {
    const lines = readFileSync(COLLECTOR, "utf8").split("\n");
    const brace = lines.findIndex((line) => /^\}\s*$/.test(line));
    assert.ok(brace > 0, "the collector has a '}' on a line of its own");
    const broken = join(dir, "Collect-CsBackupStatus.ps1");
    writeFileSync(broken, lines.filter((_, i) => i !== brace).join("\n"));

    const result = run([broken]);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    const report = result.stdout
      .split("\n")
      .find((line) => line.startsWith(`${broken}:`))
      ?.match(/:(\d+):(\d+): syntax error: missing '\}' to close the '\{' at (\d+):(\d+)$/);
    assert.ok(report, result.stdout);
    const [, line, column, openLine, openColumn] = report.map(Number);
    assert.ok(line >= 1 && line <= lines.length && column >= 1, report[0]);
    // The brace named as unclosed is a '{' of the original, before the removed '}'.
    assert.ok(openLine <= brace, report[0]);
    assert.equal(lines[openLine - 1][openColumn - 1], "{", report[0]);
  });

  test("fails naming the construct when PowerShell 7 syntax is added", () => {
    const lines = readFileSync(COLLECTOR, "utf8").split("\n");
    const first = lines.findIndex((line) => line.startsWith("$ErrorActionPreference"));
    lines.splice(first + 1, 0, "$pools = $env:CSBACKUP_POOLS ?? ''");
    const changed = join(dir, "Collect-CsBackupStatus-7.ps1");
    writeFileSync(changed, lines.join("\n"));

    const result = run([changed]);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    const expected = `${changed}:${first + 2}:30: PowerShell 7 only: null-coalescing operator '??'`;
    assert.ok(result.stdout.split("\n").some((line) => line.startsWith(expected)), result.stdout);
  });

  test("standard input is read like a file and named as told", () => {
    const bom = Buffer.from([0xff, 0xfe]);
    const input = Buffer.concat([bom, Buffer.from("Get-A && Get-B\r\n", "utf16le")]);
    const result = run(["--stdin-name", "collect --print-script", "-"], input);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^collect --print-script:1:7: PowerShell 7 only: pipeline chain/m);
  });
});
