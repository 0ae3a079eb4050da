// The injection grammar with the real TextMate engine of VS Code
// (vscode-textmate + oniguruma) on top of the Nix and Python grammars that
// editors use (tm-grammars carries Nix IDE's and VS Code's): the Python of a
// testScript gets Python scopes, Nix around it stays Nix.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { test } from "node:test";

import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const root = path.join(__dirname, "..", "..");
const grammars: Record<string, string> = {
  "source.nix": path.join(root, "node_modules/tm-grammars/grammars/nix.json"),
  "source.python": path.join(root, "node_modules/tm-grammars/grammars/python.json"),
  "nixos-test.injection": path.join(root, "syntaxes/nixos-test-injection.tmLanguage.json"),
};

async function registry(): Promise<textmate.Registry> {
  const wasm = fs.readFileSync(path.join(root, "node_modules/vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  return new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      const file = grammars[scope];
      return file ? textmate.parseRawGrammar(fs.readFileSync(file, "utf8"), file) : null;
    },
    getInjections: (scope) => (scope === "source.nix" ? ["nixos-test.injection"] : undefined),
  });
}

/// The scopes of each token of `text`, line by line: [token text, scopes].
async function tokens(text: string): Promise<[string, string[]][]> {
  const grammar = await (await registry()).loadGrammar("source.nix");
  assert.ok(grammar);
  let stack = textmate.INITIAL;
  const out: [string, string[]][] = [];
  for (const line of text.split("\n")) {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) {
      out.push([line.slice(t.startIndex, t.endIndex), t.scopes]);
    }
    stack = r.ruleStack;
  }
  return out;
}

function scopesOf(all: [string, string[]][], text: string): string[] {
  const found = all.find(([t]) => t === text);
  assert.ok(found, `no token ${JSON.stringify(text)} in ${JSON.stringify(all.map(([t]) => t))}`);
  return found[1];
}

test("the Python of an indented testScript is Python; Nix around it stays Nix", async () => {
  const all = await tokens(
    [
      "{ pkgs, ... }: {",
      "  nodes.server = { };",
      "  testScript = ''",
      "    def test_up(server):",
      "        server.succeed(\"echo ''${HOME}\")",
      "        assert ${toString 1} == 1",
      "  '';",
      "  name = \"x\";",
      "}",
    ].join("\n"),
  );
  assert.ok(scopesOf(all, "def").some((s) => s.startsWith("storage.type.function.python")), JSON.stringify(scopesOf(all, "def")));
  assert.ok(scopesOf(all, "def").includes("meta.embedded.block.python.nixos-test"));
  assert.ok(scopesOf(all, "assert").some((s) => s.endsWith(".python")), JSON.stringify(scopesOf(all, "assert")));
  assert.ok(scopesOf(all, "toString").includes("meta.embedded.line.nix"), JSON.stringify(scopesOf(all, "toString")));
  // After the closing '' the Nix grammar is back.
  assert.ok(!scopesOf(all, "name").some((s) => s.includes("python")), JSON.stringify(scopesOf(all, "name")));
});

test("the function form, a # python marker and a double-quoted script", async () => {
  const all = await tokens(
    [
      "{",
      "  testScript = { nodes, ... }: # python",
      "    ''",
      "      import json",
      "    '';",
      "  other.testScript = \"start_all()\";",
      "  description = ''def not_python()'';",
      "}",
    ].join("\n"),
  );
  assert.ok(scopesOf(all, "import").some((s) => s.endsWith(".python")), JSON.stringify(scopesOf(all, "import")));
  assert.ok(scopesOf(all, "start_all").includes("meta.embedded.block.python.nixos-test"), JSON.stringify(scopesOf(all, "start_all")));
  const other = all.filter(([t]) => t.includes("not_python"));
  assert.ok(other.length > 0 && other.every(([, s]) => !s.includes("meta.embedded.block.python.nixos-test")), "other strings stay strings");
});
