-- A minimal, self-contained Neovim config using nixos-test-lsp: the README's
-- quick start and the end-to-end test both use it.
--   nvim -u editors/neovim/init.lua examples/mistakes.nix
-- NIXOS_TEST_LSP may point at the server binary (default: on PATH).
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)")
vim.opt.runtimepath:append(here)
vim.opt.swapfile = false
vim.filetype.add({ extension = { nix = "nix" } })
require("nixos-test").setup({ cmd = { os.getenv("NIXOS_TEST_LSP") or "nixos-test-lsp" } })
