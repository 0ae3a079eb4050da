// Unit tests of the extension's own logic (src/logic.ts), with Node's test
// runner: `npm test` (or `cargo xtask vscode-test`).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { test } from "node:test";

import {
  LineSplitter,
  expectedActual,
  findBinary,
  initializationOptions,
  isExecutable,
  missingServerMessage,
  parseRunEvent,
  runnerArgs,
  splitTestId,
} from "../src/logic";

function executable(dir: string, name: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, "#!/bin/sh\n");
  fs.chmodSync(p, 0o755);
  return p;
}

test("the server is looked for in the setting, then the bundle, then PATH", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ntt-"));
  const ext = path.join(root, "ext");
  const bin = path.join(root, "bin");
  const onPath = executable(bin, "nixos-test-lsp");
  assert.deepEqual(findBinary("nixos-test-lsp", "", ext, bin, isExecutable), { path: onPath, origin: "PATH" });
  const bundled = executable(path.join(ext, "server"), "nixos-test-lsp");
  assert.deepEqual(findBinary("nixos-test-lsp", undefined, ext, bin, isExecutable), { path: bundled, origin: "bundled" });
  const mine = executable(path.join(root, "mine"), "lsp");
  assert.deepEqual(findBinary("nixos-test-lsp", mine, ext, bin, isExecutable), { path: mine, origin: "setting" });
  // A configured path that is not there is an error, not a silent fallback.
  assert.equal(findBinary("nixos-test-lsp", path.join(root, "nope"), ext, bin, isExecutable), undefined);
  assert.match(missingServerMessage(path.join(root, "nope")), /nixosTest\.server\.path/);
  assert.equal(findBinary("nixos-test-lsp", "", path.join(root, "none"), "", isExecutable), undefined);
  assert.match(missingServerMessage(""), /cargo install/);
});

test("runner events are parsed line by line, whatever the chunks", () => {
  const split = new LineSplitter();
  const lines = [
    ...split.push('{"event":"test_start","test":"test_a"}\n{"event":"test_fa'),
    ...split.push('il","test":"test_a","message":"assert 1 == 2","location":{"file":"/t.nix","line":8,"column":9},"screenshots":["/o/a.png"]}\nnoise\n'),
    ...split.push('{"event":"end","passed":0,"failed":1,"status":"failed","exit_code":1}'),
    ...split.end(),
  ];
  const events = lines.map(parseRunEvent);
  assert.equal(events.length, 4);
  assert.equal(events[0]?.event, "test_start");
  const fail = events[1];
  assert.ok(fail && fail.event === "test_fail");
  assert.equal(fail.location?.line, 8);
  assert.deepEqual(fail.screenshots, ["/o/a.png"]);
  assert.equal(events[2], undefined, "a line that is not an event");
  assert.equal(events[3]?.event, "end");
  assert.equal(parseRunEvent('{"event":"nope"}'), undefined);
  assert.equal(parseRunEvent("null"), undefined);
});

test("pytest ids map to their function and parameters", () => {
  assert.deepEqual(splitTestId("test_fetch"), { func: "test_fetch" });
  assert.deepEqual(splitTestId("test_fetch[/index.html]"), { func: "test_fetch", params: "/index.html" });
  assert.deepEqual(splitTestId("[odd]"), { func: "[odd]" });
});

test("an assertion's expected and actual values are read from pytest's message", () => {
  assert.deepEqual(expectedActual("AssertionError: assert '41' == '42'\n  - 42\n  + 41"), { actual: "'41'", expected: "'42'" });
  assert.equal(expectedActual("command `false` failed (exit code 1)"), undefined);
});

test("settings become initializationOptions; empty ones are left to the server", () => {
  assert.deepEqual(initializationOptions({}), { typeCheck: false, nixSyntaxErrors: false, settings: {} });
  assert.deepEqual(initializationOptions({ driver: "2025", select: ["NT2"], ignore: [], typeCheck: true }), {
    typeCheck: true,
    nixSyntaxErrors: false,
    settings: { driver: "2025", select: ["NT2"] },
  });
});

test("the runner gets the file last, after --", () => {
  assert.deepEqual(runnerArgs({ file: "-odd.nix", attr: "tests.web", functions: ["test_a", "test_b"], out: "/o" }), [
    "--format",
    "json",
    "--out",
    "/o",
    "--attr",
    "tests.web",
    "--test",
    "test_a",
    "--test",
    "test_b",
    "--",
    "-odd.nix",
  ]);
});
