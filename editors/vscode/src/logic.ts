// The extension's own logic, free of the `vscode` module so that it is
// unit-tested with plain Node (test/logic.test.ts): where the binaries are,
// what the runner's JSON lines mean, which test item a pytest id belongs
// to, and what the server is told at start.

import * as fs from "fs";
import * as path from "path";

/// Whether `p` is an executable regular file.
export function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/// Where a binary comes from, in the order it is looked for.
export type Origin = "setting" | "bundled" | "PATH";

export interface Found {
  path: string;
  origin: Origin;
}

/// Finds `name`: the configured path, then the binary bundled in the
/// extension (`server/<name>`), then `PATH`. `isExecutable` is the file
/// test (injected for tests).
export function findBinary(
  name: string,
  configured: string | undefined,
  extensionDir: string,
  envPath: string | undefined,
  isExecutable: (p: string) => boolean,
): Found | undefined {
  if (configured && configured.trim() !== "") {
    const p = expandHome(configured.trim());
    return isExecutable(p) ? { path: p, origin: "setting" } : undefined;
  }
  const bundled = path.join(extensionDir, "server", name);
  if (isExecutable(bundled)) {
    return { path: bundled, origin: "bundled" };
  }
  for (const dir of (envPath ?? "").split(path.delimiter)) {
    if (dir === "") {
      continue;
    }
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) {
      return { path: candidate, origin: "PATH" };
    }
  }
  return undefined;
}

function expandHome(p: string): string {
  const home = process.env.HOME;
  return p.startsWith("~/") && home ? path.join(home, p.slice(2)) : p;
}

/// The one message shown when the server cannot be found.
export function missingServerMessage(configured: string | undefined): string {
  if (configured && configured.trim() !== "") {
    return `nixos-test-lsp: the configured nixosTest.server.path (${configured}) is not an executable file.`;
  }
  return "nixos-test-lsp was not found (not bundled, not on PATH). Install it with `cargo install --path crates/lsp` from nixos-test-tools, or set nixosTest.server.path.";
}

/// What `nixos-test-run --format json` prints, one event per line.
export type RunEvent =
  | { event: "build"; status: string; message: string }
  | { event: "log"; line: string }
  | { event: "machine_up"; machine: string; status: string }
  | { event: "test_start"; test: string }
  | { event: "test_pass"; test: string; duration: number }
  | {
      event: "test_fail";
      test: string;
      message: string;
      location?: { file: string; line: number; column: number } | null;
      screenshots: string[];
    }
  | { event: "test_skip"; test: string }
  | { event: "end"; passed: number; failed: number; status: string; exit_code: number };

const KINDS = new Set(["build", "log", "machine_up", "test_start", "test_pass", "test_fail", "test_skip", "end"]);

/// One line of runner output as an event; anything else (a partial line, a
/// message from elsewhere) is `undefined`.
export function parseRunEvent(line: string): RunEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) {
    return undefined;
  }
  const kind = (v as { event?: unknown }).event;
  return typeof kind === "string" && KINDS.has(kind) ? (v as RunEvent) : undefined;
}

/// Splits a stream into lines as chunks arrive.
export class LineSplitter {
  private rest = "";
  push(chunk: string): string[] {
    this.rest += chunk;
    const lines = this.rest.split("\n");
    this.rest = lines.pop() ?? "";
    return lines;
  }
  end(): string[] {
    const last = this.rest;
    this.rest = "";
    return last === "" ? [] : [last];
  }
}

/// A pytest test id as the runner reports it (`test_x`, `test_x[param]`):
/// the function and, for a parametrized case, its parameters.
export function splitTestId(id: string): { func: string; params?: string } {
  const open = id.indexOf("[");
  if (open > 0 && id.endsWith("]")) {
    return { func: id.slice(0, open), params: id.slice(open + 1, -1) };
  }
  return { func: id };
}

/// Expected and actual of a pytest assertion message (`assert 'a' == 'b'`),
/// for the Test Explorer's diff view.
export function expectedActual(message: string): { expected: string; actual: string } | undefined {
  const m = /assert (.+?) == (.+?)(?:\n|$)/.exec(message);
  return m ? { actual: m[1].trim(), expected: m[2].trim() } : undefined;
}

/// The server's `initializationOptions` from the extension's settings. The
/// repository's `nixos-test-lint.toml` takes precedence over `settings`
/// (the server merges them so).
export function initializationOptions(config: {
  driver?: string;
  select?: string[];
  ignore?: string[];
  typeCheck?: boolean;
  nixSyntaxErrors?: boolean;
}): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  if (config.driver) {
    settings.driver = config.driver;
  }
  if (config.select && config.select.length > 0) {
    settings.select = config.select;
  }
  if (config.ignore && config.ignore.length > 0) {
    settings.ignore = config.ignore;
  }
  return {
    typeCheck: config.typeCheck ?? false,
    nixSyntaxErrors: config.nixSyntaxErrors ?? false,
    settings,
  };
}

/// The runner's command line for one Test Explorer run.
export function runnerArgs(run: { file: string; attr?: string; functions: string[]; out: string }): string[] {
  const args = ["--format", "json", "--out", run.out];
  if (run.attr) {
    args.push("--attr", run.attr);
  }
  for (const f of run.functions) {
    args.push("--test", f);
  }
  // The file last, after `--`: a name starting with `-` stays a file.
  args.push("--", run.file);
  return args;
}
