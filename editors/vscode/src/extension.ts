// The VS Code side of nixos-test-tools: starts nixos-test-lsp for Nix files
// (and the Python files tests read), shows its state, and runs tests from the
// Test Explorer with nixos-test-run. What can be decided without VS Code is
// in logic.ts (unit-tested); this file is the glue.

import * as cp from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, State } from "vscode-languageclient/node";
import type * as lsp from "vscode-languageclient";

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
} from "./logic";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: vscode.StatusBarItem;
let lastRun: string | undefined;
/// The server the client runs: the runner is looked for beside it first.
let serverPath: string | undefined;
let extensionPath = "";
let controller: vscode.TestController;
/// What each test item runs (the server's Run lens arguments).
const runnable = new WeakMap<vscode.TestItem, Lens["args"]>();

const SCRIPT_SCHEME = "nixos-test-script";

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("nixosTest");
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionPath = context.extensionPath;
  output = vscode.window.createOutputChannel("NixOS Test");
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 0);
  status.command = "nixosTest.showOutput";
  context.subscriptions.push(output, status);

  context.subscriptions.push(
    vscode.commands.registerCommand("nixosTest.restartServer", async () => {
      await stopClient();
      await startClient(context);
    }),
    vscode.commands.registerCommand("nixosTest.showOutput", () => output.show(true)),
    vscode.commands.registerCommand("nixosTest.showScript", showScript),
    vscode.commands.registerCommand("nixosTest.migrate", migrate),
    vscode.commands.registerCommand("nixosTest.openLastRun", openLastRun),
    vscode.workspace.registerTextDocumentContentProvider(SCRIPT_SCHEME, scripts),
    vscode.window.onDidChangeActiveTextEditor(() => void showGeneration()),
    vscode.workspace.onDidOpenTextDocument(() => void showGeneration()),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("nixosTest")) {
        await stopClient();
        await startClient(context);
      }
    }),
  );
  await startClient(context);
  context.subscriptions.push(testExplorer(context));
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const configured = config().get<string>("server.path");
  const server = findBinary("nixos-test-lsp", configured, context.extensionPath, process.env.PATH, isExecutable);
  if (!server) {
    const message = missingServerMessage(configured);
    output.appendLine(message);
    setStatus("$(error) NixOS Test", `${message}\nClick for the log.`);
    void vscode.window.showErrorMessage(message);
    return;
  }
  output.appendLine(`nixos-test-lsp: ${server.path} (${server.origin})`);
  serverPath = server.path;
  const serverOptions: ServerOptions = { command: server.path, args: [] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "nix" },
      { scheme: "untitled", language: "nix" },
      // The files tests read with builtins.readFile.
      { scheme: "file", language: "python" },
    ],
    outputChannel: output,
    initializationOptions: initializationOptions({
      driver: config().get<string>("driver"),
      select: config().get<string[]>("select"),
      ignore: config().get<string[]>("ignore"),
      typeCheck: config().get<boolean>("typeCheck"),
      nixSyntaxErrors: config().get<boolean>("nixSyntaxErrors"),
    }),
    middleware: {
      // The Test Explorer and the gutter icons run tests as the lenses do:
      // the lenses can be turned off.
      provideCodeLenses: (document, token, next) => (config().get<boolean>("codeLens") ? next(document, token) : []),
    },
  };
  client = new LanguageClient("nixosTest", "NixOS Test", serverOptions, clientOptions);
  client.onDidChangeState((e) => {
    if (e.newState === State.Running) {
      running = `nixos-test-lsp is running (${server.origin}: ${server.path}).`;
      setStatus("$(beaker) NixOS Test", `${running}\nClick for the log.`);
      void showGeneration();
    } else if (e.newState === State.Stopped) {
      setStatus("$(debug-stop) NixOS Test", "nixos-test-lsp stopped. Restart: “NixOS Test: Restart the server”.");
    } else {
      setStatus("$(sync~spin) NixOS Test", "nixos-test-lsp is starting");
    }
  });
  await client.start();
}

let running = "";

/// The status bar says which driver generation the active Nix file is
/// checked against (configured, or detected from what the repository pins).
async function showGeneration(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!client || client.state !== State.Running || !editor || editor.document.languageId !== "nix") {
    return;
  }
  const info = await client
    .sendRequest<{ label: string; note: string } | null>("nixos-test/driverGeneration", { uri: editor.document.uri.toString() })
    .catch(() => null);
  if (info) {
    setStatus(`$(beaker) NixOS Test: ${info.label}`, `${running}\nChecked against the ${info.note}.\nClick for the log.`);
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    await c.stop().catch(() => undefined);
  }
}

function setStatus(text: string, tooltip: string): void {
  status.text = text;
  status.tooltip = tooltip;
  status.show();
}

// --- The extracted script, as a read-only document -------------------------

const shown = new Map<string, string>();
const scriptsChanged = new vscode.EventEmitter<vscode.Uri>();
const scripts: vscode.TextDocumentContentProvider = {
  onDidChange: scriptsChanged.event,
  provideTextDocumentContent: (uri) => shown.get(uri.toString()) ?? "",
};

async function showScript(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !client) {
    return;
  }
  const result = await client.sendRequest<{ test?: string; script: string } | null>("nixos-test/showScript", {
    textDocument: { uri: editor.document.uri.toString() },
    position: client.code2ProtocolConverter.asPosition(editor.selection.active),
  });
  if (!result) {
    void vscode.window.showInformationMessage("No NixOS test here.");
    return;
  }
  const name = `${path.basename(editor.document.uri.fsPath)}${result.test ? ` (${result.test})` : ""}.py`;
  const uri = vscode.Uri.from({ scheme: SCRIPT_SCHEME, path: `/${name}` });
  shown.set(uri.toString(), result.script);
  scriptsChanged.fire(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(doc, "python");
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

// --- Commands on the server's refactorings ---------------------------------

async function migrate(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return;
  }
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
    "vscode.executeCodeActionProvider",
    editor.document.uri,
    editor.selection,
    vscode.CodeActionKind.RefactorRewrite.value,
  );
  const action = actions?.find((a) => a.title.startsWith("Migrate"));
  if (!action?.edit) {
    void vscode.window.showInformationMessage("Nothing to migrate here (already fixture mode, or no legacy test at the cursor).");
    return;
  }
  await vscode.workspace.applyEdit(action.edit);
}

async function openLastRun(): Promise<void> {
  if (!lastRun) {
    void vscode.window.showInformationMessage("No test was run yet in this window.");
    return;
  }
  await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(lastRun));
}

// --- Test Explorer ----------------------------------------------------------

interface Lens {
  range: vscode.Range;
  args: { file: string; attr?: string; function?: string; test?: string };
}

/// Tests per file come from the server's Run lenses: the same rule that
/// decides what can run alone (legacy scripts only "Run all").
async function lensesOf(document: vscode.TextDocument): Promise<Lens[]> {
  if (!client || client.state !== State.Running) {
    return [];
  }
  const c = client;
  const lenses = await c.sendRequest<{ range: lsp.Range; command?: { command: string; arguments?: unknown[] } }[] | null>(
    "textDocument/codeLens",
    { textDocument: { uri: document.uri.toString() } },
  );
  return (lenses ?? [])
    .filter((l) => l.command?.command === "nixos-test.run" && l.command.arguments?.length)
    .map((l) => ({
      range: c.protocol2CodeConverter.asRange(l.range),
      args: l.command!.arguments![0] as Lens["args"],
    }));
}

function testExplorer(context: vscode.ExtensionContext): vscode.Disposable {
  controller = vscode.tests.createTestController("nixosTest", "NixOS Tests");

  const fileItem = (uri: vscode.Uri): vscode.TestItem => {
    const existing = controller.items.get(uri.toString());
    if (existing) {
      return existing;
    }
    const item = controller.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
    item.canResolveChildren = true;
    controller.items.add(item);
    return item;
  };

  const refresh = async (document: vscode.TextDocument): Promise<void> => {
    if (document.languageId !== "nix" || document.uri.scheme !== "file") {
      return;
    }
    const lenses = await lensesOf(document);
    if (lenses.length === 0) {
      controller.items.delete(document.uri.toString());
      return;
    }
    const file = fileItem(document.uri);
    const symbols =
      (await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>("vscode.executeDocumentSymbolProvider", document.uri)) ?? [];
    const children: vscode.TestItem[] = [];
    for (const lens of lenses) {
      const id = `${document.uri.toString()}#${lens.args.attr ?? ""}#${lens.args.function ?? "*"}`;
      const label = lens.args.function ?? `all tests${lens.args.test ? ` of ${lens.args.test}` : ""}`;
      const item = controller.createTestItem(id, label, document.uri);
      item.range = lens.range;
      runnable.set(item, lens.args);
      // Its `with subtest(...)` blocks, known from the server's outline:
      // shown as children; running one runs the test they belong to.
      for (const sub of subtestsOf(symbols, lens)) {
        const child = controller.createTestItem(`${id}/${sub.name}`, sub.name, document.uri);
        child.range = sub.range;
        runnable.set(child, lens.args);
        item.children.add(child);
      }
      children.push(item);
    }
    file.children.replace(children);
    runnable.set(file, { file: document.uri.fsPath });
  };

  controller.resolveHandler = async (item) => {
    if (!item) {
      for (const uri of await vscode.workspace.findFiles("**/*.nix", "**/node_modules/**", 2000)) {
        fileItem(uri);
      }
      return;
    }
    if (item.uri) {
      await refresh(await vscode.workspace.openTextDocument(item.uri));
    }
  };

  const run = async (request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> => {
    const testRun = controller.createTestRun(request);
    const queue = request.include ?? itemsOf(controller.items);
    for (const item of queue) {
      if (token.isCancellationRequested) {
        break;
      }
      if (item.canResolveChildren && item.children.size === 0 && item.uri) {
        await refresh(await vscode.workspace.openTextDocument(item.uri));
      }
      const args = runnable.get(item);
      if (!args) {
        continue;
      }
      await runOne(item, args, testRun, token);
    }
    testRun.end();
  };
  controller.createRunProfile("Run", vscode.TestRunProfileKind.Run, run, true);

  const subscriptions = [
    controller,
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => debounce(e.document, refresh)),
    vscode.workspace.onDidSaveTextDocument(refresh),
  ];
  for (const document of vscode.workspace.textDocuments) {
    void refresh(document);
  }
  context.subscriptions.push(...subscriptions);
  return vscode.Disposable.from(...subscriptions);
}

/// The subtests of a lens's test: those inside its `test_` function, or for
/// "all tests" those at the script's top level (subtests nest: all levels).
function subtestsOf(symbols: vscode.DocumentSymbol[], lens: Lens): vscode.DocumentSymbol[] {
  const nested = (s: vscode.DocumentSymbol): vscode.DocumentSymbol[] =>
    s.kind === vscode.SymbolKind.Namespace ? [s, ...s.children.flatMap(nested)] : [];
  const test = symbols.find((t) => t.range.contains(lens.range) || lens.range.contains(t.selectionRange)) ?? symbols[0];
  if (!test) {
    return [];
  }
  if (lens.args.function) {
    const find = (list: vscode.DocumentSymbol[]): vscode.DocumentSymbol | undefined =>
      list.find((s) => s.kind === vscode.SymbolKind.Function && s.name === lens.args.function) ?? list.map((s) => find(s.children)).find(Boolean);
    return (find(test.children)?.children ?? []).flatMap(nested);
  }
  return test.children.flatMap(nested);
}

const timers = new Map<string, NodeJS.Timeout>();
function debounce(document: vscode.TextDocument, f: (d: vscode.TextDocument) => Promise<void>): void {
  const key = document.uri.toString();
  clearTimeout(timers.get(key));
  timers.set(
    key,
    setTimeout(() => void f(document), 400),
  );
}

function itemsOf(items: vscode.TestItemCollection): vscode.TestItem[] {
  const all: vscode.TestItem[] = [];
  items.forEach((i) => all.push(i));
  return all;
}

/// Runs one item (a file: all its tests; a function; "all tests" of a
/// legacy script) with nixos-test-run, streaming its events into the run.
function runOne(item: vscode.TestItem, args: Lens["args"], testRun: vscode.TestRun, token: vscode.CancellationToken): Promise<void> {
  // The runner beside the server (a cargo install or the bundle) comes first.
  const beside = serverPath ? path.join(path.dirname(serverPath), "nixos-test-run") : undefined;
  const configured = config().get<string>("runner.path");
  const runner =
    (configured ? undefined : beside && isExecutable(beside) ? { path: beside } : undefined) ??
    findBinary("nixos-test-run", configured, extensionPath, process.env.PATH, isExecutable);
  if (!runner) {
    testRun.errored(item, new vscode.TestMessage("nixos-test-run was not found: set nixosTest.runner.path or put it on PATH."));
    return Promise.resolve();
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "nixos-test-run-"));
  lastRun = out;
  const functions = args.function ? [args.function] : [];
  const byName = new Map<string, vscode.TestItem>();
  item.children.forEach((c) => {
    const a = runnable.get(c);
    if (a?.function) {
      byName.set(a.function, c);
    }
  });
  if (args.function) {
    byName.set(args.function, item);
  }
  testRun.enqueued(item);
  testRun.started(item);
  const child = cp.spawn(runner.path, runnerArgs({ file: args.file, attr: args.attr, functions, out }), {
    cwd: path.dirname(args.file),
  });
  token.onCancellationRequested(() => child.kill("SIGINT"));
  const split = new LineSplitter();
  const caseItem = (test: string): vscode.TestItem => {
    const { func, params } = splitTestId(test);
    const parent = byName.get(func) ?? item;
    if (!params) {
      return parent;
    }
    const id = `${parent.id}[${params}]`;
    const existing = parent.children.get(id);
    if (existing) {
      return existing;
    }
    const created = controller.createTestItem(id, `[${params}]`, parent.uri);
    parent.children.add(created);
    return created;
  };
  let failed = 0;
  const handle = (line: string): void => {
    const e = parseRunEvent(line);
    if (!e) {
      return;
    }
    switch (e.event) {
      case "log":
        testRun.appendOutput(`${e.line}\r\n`);
        break;
      case "build":
        testRun.appendOutput(`[build] ${e.status}: ${e.message}\r\n`);
        break;
      case "machine_up":
        testRun.appendOutput(`[${e.machine}] ${e.status}\r\n`);
        break;
      case "test_start":
        testRun.started(caseItem(e.test));
        break;
      case "test_pass":
        testRun.passed(caseItem(e.test), e.duration * 1000);
        break;
      case "test_skip":
        testRun.skipped(caseItem(e.test));
        break;
      case "test_fail": {
        failed += 1;
        const diff = expectedActual(e.message);
        // The VMs' screendumps at the moment of failure, and the run's folder.
        const text = `${e.message}${e.screenshots.length ? `\n\nScreenshots: ${e.screenshots.join(", ")}` : ""}\n\nRun folder: ${out}`;
        const message = diff ? vscode.TestMessage.diff(text, diff.expected, diff.actual) : new vscode.TestMessage(text);
        if (e.location) {
          const at = new vscode.Position(Math.max(0, e.location.line - 1), Math.max(0, e.location.column - 1));
          message.location = new vscode.Location(vscode.Uri.file(e.location.file), at);
        }
        testRun.failed(caseItem(e.test), message);
        for (const shot of e.screenshots) {
          testRun.appendOutput(`screenshot: ${shot}\r\n`);
        }
        break;
      }
      case "end":
        if (e.exit_code === 0) {
          testRun.passed(item);
        } else if (failed > 0 || e.failed > 0) {
          testRun.failed(item, new vscode.TestMessage(`${e.failed} failed (${e.status}); output in ${out}`));
        } else {
          testRun.errored(item, new vscode.TestMessage(`${e.status}; output in ${out}`));
        }
        break;
    }
  };
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => split.push(chunk).forEach(handle));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => testRun.appendOutput(chunk.replace(/\n/g, "\r\n")));
  return new Promise((resolve) => {
    child.on("error", (err) => {
      testRun.errored(item, new vscode.TestMessage(`nixos-test-run could not start: ${err.message}`));
      resolve();
    });
    child.on("close", () => {
      split.end().forEach(handle);
      resolve();
    });
  });
}
