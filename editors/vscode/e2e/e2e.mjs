// End to end in a real VS Code: code-server (VS Code in the browser) with the
// built .vsix installed, driven by headless Chromium through puppeteer-core.
// Run by `cargo xtask vscode-e2e`, which installs and starts code-server
// and passes: E2E_URL (the workbench with the workspace open), E2E_SHOTS
// (where the screenshots of each step go), CHROMIUM.
//
// Each step checks what a user sees on the screen and saves a screenshot.

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import puppeteer from "puppeteer-core";

const url = process.env.E2E_URL;
const shots = process.env.E2E_SHOTS;
fs.mkdirSync(shots, { recursive: true });

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
  ],
  defaultViewport: { width: 1400, height: 900 },
});
const page = await browser.newPage();
let step = 0;
const failures = [];

async function shot(name) {
  step += 1;
  const file = path.join(shots, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
}

async function check(name, f) {
  try {
    await f();
    console.log(`ok: ${name}`);
  } catch (e) {
    console.log(`FAILED: ${name}: ${e.message}`);
    failures.push(name);
  }
  await shot(name.replace(/[^a-z0-9]+/gi, "-").toLowerCase());
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// Waits until `f()` (evaluated in the page) is truthy; returns its value.
async function until(f, arg, timeout = 60000) {
  const handle = await page.waitForFunction(f, { timeout, polling: 250 }, arg);
  return handle.jsonValue();
}

/// Commands by the keys the profile binds them to (xtask's keybindings.json):
/// typing a title into the palette may pick a neighbour.
const KEYS = {
  testing: "1",
  runAtCursor: "2",
  refreshTests: "3",
  problems: "4",
  gotoLine: "5",
  revert: "6",
  quickOpen: "7",
  showScript: "8",
  migrate: "9",
};

async function command(name) {
  await page.keyboard.down("Control");
  await page.keyboard.down("Alt");
  await page.keyboard.press(KEYS[name]);
  await page.keyboard.up("Alt");
  await page.keyboard.up("Control");
  await sleep(700);
}

async function openFile(name) {
  await command("quickOpen");
  await page.waitForSelector(".quick-input-widget input", { visible: true });
  await page.keyboard.type(name, { delay: 10 });
  await sleep(800);
  await page.keyboard.press("Enter");
  await until((n) => [...document.querySelectorAll(".tab.active")].some((t) => t.textContent.includes(n)), name);
  await sleep(500);
}

async function goToLine(line, column = 1) {
  await command("gotoLine");
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press("Enter");
  await sleep(300);
}

/// The screen position of the first editor token whose text is `text`.
async function tokenAt(text) {
  return until((t) => {
    const span = [...document.querySelectorAll(".editor-instance .view-line span span")].find((s) => s.textContent.trim() === t);
    if (!span) return null;
    const r = span.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2, color: getComputedStyle(span).color };
  }, text);
}

/// Expands the Testing view's row of `file` (its tests are listed below).
async function expand(file) {
  await until((f) => [...document.querySelectorAll(".test-explorer .monaco-list-row")].some((r) => r.textContent.includes(f)), file);
  const expanded = await page.evaluate((f) => {
    const row = [...document.querySelectorAll(".test-explorer .monaco-list-row")].find((r) => r.textContent.includes(f));
    if (row.getAttribute("aria-expanded") === "true") return true;
    row.querySelector(".monaco-tl-twistie")?.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    return false;
  }, file);
  if (!expanded) {
    await sleep(1000);
  }
}

try {
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForSelector(".monaco-workbench", { timeout: 120000 });
  await sleep(3000);
  await shot("workbench");

  await check("the Problems panel lists the findings of mistakes.nix", async () => {
    await openFile("mistakes.nix");
    await command("problems");
    const text = await until(
      () => {
        const panel = document.querySelector(".markers-panel");
        const t = panel?.textContent ?? "";
        return t.includes("bobb") && t.includes("wait_for_unti") ? t : null;
      },
      undefined,
      90000,
    );
    assert.match(text, /carol/);
    // The status bar says which driver the file is checked against.
    await until(() => [...document.querySelectorAll(".statusbar-item")].some((i) => i.textContent.includes("NixOS Test: newest")));
  });

  await check("the Python in a testScript is coloured", async () => {
    // The colours of the tokens on the script's `start_all()` line and on
    // the Nix comment of line 1: the script's are not all the comment's.
    const colours = await until(() => {
      const lines = [...document.querySelectorAll(".editor-instance .view-line")];
      const of = (needle) => {
        const line = lines.find((l) => l.textContent.includes(needle));
        return line ? [...line.querySelectorAll("span span")].map((s) => [s.textContent, getComputedStyle(s).color]) : null;
      };
      const script = of("start_all()");
      const comment = of("Deliberate"); // (spaces are rendered as no-break spaces)
      return script && comment ? { script, comment } : null;
    });
    const call = colours.script.find(([t]) => t.includes("start_all"));
    assert.ok(call, JSON.stringify(colours));
    assert.notEqual(call[1], colours.comment[0][1], JSON.stringify(colours));
  });

  await check("hover shows a Machine method's signature", async () => {
    const at = await tokenAt("wait_for_open_port");
    await page.mouse.move(at.x, at.y);
    const hover = await until(() => {
      const h = document.querySelector(".monaco-hover:not(.hidden)");
      return h && h.textContent.includes("wait_for_open_port(") ? h.textContent : null;
    });
    assert.match(hover, /port: int/);
  });

  await check("completion after alice. offers wait_for_unit", async () => {
    await page.mouse.move(5, 5);
    await goToLine(12, 45);
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("alice.wait_for_u", { delay: 50 });
    await until(() => {
      const w = document.querySelector(".suggest-widget.visible");
      return w && w.textContent.includes("wait_for_unit");
    });
    await page.keyboard.press("Escape");
    await command("revert");
  });

  await check("Show the extracted testScript opens the Python beside the Nix file", async () => {
    await goToLine(12, 8);
    await command("showScript");
    await until(() => [...document.querySelectorAll(".tab")].some((t) => t.textContent.includes("mistakes.nix (mistakes).py")));
    const text = await until(() => {
      const editors = [...document.querySelectorAll(".editor-instance")];
      const t = editors.map((e) => e.textContent).find((x) => x.includes("start_all()") && !x.includes("testScript"));
      return t ?? null;
    });
    assert.match(text, /alice\.wait_for_unit/);
  });

  await check("Migrate turns a legacy test into test functions", async () => {
    await openFile("legacy-webserver.nix");
    await goToLine(20, 5);
    await command("migrate");
    const text = await until(() => {
      const t = [...document.querySelectorAll(".editor-group-container.active .view-line")].map((l) => l.textContent).join("\n");
      return t.includes("usePytestFixtures") && /def\u00a0test_/.test(t) ? t : null;
    });
    assert.doesNotMatch(text, /start_all\(\)/);
    await command("revert");
  });

  await check("the Test Explorer lists the test_ functions of fixtures-webserver.nix", async () => {
    await openFile("fixtures-webserver.nix");
    await command("testing");
    await sleep(1500);
    await expand("fixtures-webserver.nix");
    const tree = await until(
      () => {
        const t = document.querySelector(".test-explorer")?.textContent ?? "";
        return t.includes("test_nginx_running") && t.includes("test_client_fetches") && t.includes("test_no_failed_units") ? t : null;
      },
      undefined,
      60000,
    );
    assert.match(tree, /fixtures-webserver\.nix/);
    // A legacy script's subtests, known statically, under its "all tests".
    await expand("legacy-webserver.nix");
    await expand("all tests of legacy-webserver");
    await until(() => (document.querySelector(".test-explorer")?.textContent ?? "").includes("client can fetch the page"));
  });

  await check("running a test with the fake driver shows it failed at its line", async () => {
    await openFile("e2e.nix");
    await goToLine(8, 9);
    await command("runAtCursor");
    await expand("e2e.nix");
    // The Testing view marks it failed.
    await until(
      () =>
        [...document.querySelectorAll(".test-explorer .monaco-list-row")].some(
          (r) => r.textContent.includes("test_broken") && r.querySelector(".codicon-testing-failed-icon"),
        ),
      undefined,
      120000,
    );
    // The message is in the editor, on line 8 (the failing call).
    const at = await until(() => {
      const message = [...document.querySelectorAll(".editor-group-container.active .editor-instance *")].find(
        (e) => e.children.length === 0 && e.textContent.includes("command `false` failed (exit code 1)"),
      );
      if (!message) return null;
      const top = message.getBoundingClientRect().top;
      const number = [...document.querySelectorAll(".editor-group-container.active .line-numbers")].find(
        (n) => Math.abs(n.getBoundingClientRect().top - top) < 12,
      );
      return number ? number.textContent.trim() : "?";
    });
    assert.equal(at, "8");
  });

  await check("running a passing test shows it passed", async () => {
    await page.keyboard.press("Escape");
    await openFile("e2e.nix");
    await goToLine(5, 9);
    await command("runAtCursor");
    await until(
      () =>
        [...document.querySelectorAll(".test-explorer .monaco-list-row")].some(
          (r) => r.textContent.includes("test_ok") && r.querySelector(".codicon-testing-passed-icon"),
        ),
      undefined,
      120000,
    );
  });
} finally {
  await shot("end");
  await browser.close();
}

if (failures.length > 0) {
  console.log(`${failures.length} step(s) failed: ${failures.join("; ")}`);
  process.exit(1);
}
console.log("all steps passed");
