-- The server's configuration for Neovim 0.11's `vim.lsp.config`: with this
-- directory on 'runtimepath', `vim.lsp.enable("nixos_test")` is all it takes
-- (lua/nixos-test.lua's setup() does that and more).
return {
  cmd = { "nixos-test-lsp" },
  filetypes = { "nix" },
  root_markers = { "nixos-test-lint.toml", ".nixos-test-lint.toml", "flake.nix", ".git" },
  capabilities = {
    general = { positionEncodings = { "utf-8", "utf-16" } },
  },
}
