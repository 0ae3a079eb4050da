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
