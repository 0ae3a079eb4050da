-- Neovim (0.11+) setup for nixos-test-lsp: the language server for NixOS VM
-- tests. Use it from your init.lua:
--
--   vim.opt.runtimepath:append("/path/to/nixos-test-tools/editors/neovim")
--   require("nixos-test").setup({ cmd = { "nixos-test-lsp" } })
--
-- It registers the server for Nix buffers next to any Nix language server
-- (nil, nixd): ours only speaks about the testScript.
local M = {}

function M.setup(opts)
  opts = opts or {}
  vim.lsp.config("nixos_test", {
    cmd = opts.cmd or { "nixos-test-lsp" },
    filetypes = { "nix" },
    root_markers = { "nixos-test-lint.toml", "flake.nix", ".git" },
    capabilities = {
      general = { positionEncodings = { "utf-8", "utf-16" } },
    },
    -- The "Run test" lenses send this command; it is run by the server.
    commands = {},
  })
  vim.lsp.enable("nixos_test")

  vim.api.nvim_create_autocmd("LspAttach", {
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if not client or client.name ~= "nixos_test" then
        return
      end
      -- Code lenses ("▶ Run test_...") refresh as you edit.
      if client:supports_method("textDocument/codeLens") then
        vim.lsp.codelens.refresh({ bufnr = args.buf })
        vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "TextChanged" }, {
          buffer = args.buf,
          callback = function() vim.lsp.codelens.refresh({ bufnr = args.buf }) end,
        })
      end
    end,
  })
end

return M
