-- Neovim (0.11+) setup for nixos-test-lsp, the language server for NixOS VM
-- tests. From your init.lua:
--
--   vim.opt.runtimepath:append("/path/to/nixos-test-tools/editors/neovim")
--   require("nixos-test").setup()
--
-- It registers the server for Nix buffers next to any Nix language server
-- (nil, nixd: ours speaks only about the testScript), and for its buffers:
-- diagnostics as virtual text, completion that opens by itself (with the
-- documentation beside it), the Run lenses kept fresh, `:NixosTestRun` and a
-- key for the lens under the cursor, and spaces for indentation (a tab in a
-- `''` string breaks Nix's dedent). Calling setup() again replaces the
-- autocommands instead of adding a second set.
local M = {}

local defaults = {
  cmd = { "nixos-test-lsp" },
  -- Diagnostics at the end of their line (Neovim 0.11 shows none by default).
  virtual_text = true,
  -- Completion pops up while typing ('.' '(' ','), docs in a popup.
  autocomplete = true,
  -- Spaces in Nix buffers.
  expandtab = true,
  -- Normal-mode key for the Run lens of the current line (false: none).
  run_key = "<leader>tr",
  -- Passed to the server (see the README: typeCheck, nixSyntaxErrors, ...).
  init_options = {},
}

local function attach(client, buf, opts)
  local group = vim.api.nvim_create_augroup("nixos-test-buffer-" .. buf, { clear = true })
  if opts.virtual_text then
    -- Pushed or pulled (0.11 pulls when the server offers it).
    for _, pull in ipairs({ false, true }) do
      vim.diagnostic.config({ virtual_text = true }, vim.lsp.diagnostic.get_namespace(client.id, pull))
    end
  end
  if opts.autocomplete and client:supports_method("textDocument/completion") then
    vim.bo[buf].completeopt = "menu,menuone,noinsert,popup"
    vim.lsp.completion.enable(true, client.id, buf, { autotrigger = true })
  end
  if client:supports_method("textDocument/codeLens") then
    vim.lsp.codelens.refresh({ bufnr = buf })
    vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "TextChanged" }, {
      group = group,
      buffer = buf,
      callback = function() vim.lsp.codelens.refresh({ bufnr = buf }) end,
    })
  end
  if opts.run_key then
    vim.keymap.set("n", opts.run_key, vim.lsp.codelens.run, { buffer = buf, desc = "nixos-test: run the test of this line" })
  end
end

function M.setup(user)
  local opts = vim.tbl_deep_extend("force", defaults, user or {})
  local group = vim.api.nvim_create_augroup("nixos-test", { clear = true })
  if vim.fn.executable(opts.cmd[1]) ~= 1 then
    vim.notify(
      ("nixos-test: the language server `%s` was not found. Install it (`cargo install --path crates/lsp` in nixos-test-tools, or `nix profile install github:…/nixos-test-tools`) or pass its path: require('nixos-test').setup({ cmd = { '/path/to/nixos-test-lsp' } })"):format(opts.cmd[1]),
      vim.log.levels.ERROR
    )
    return
  end
  vim.lsp.config("nixos_test", { cmd = opts.cmd, init_options = opts.init_options })
  vim.lsp.enable("nixos_test")
  if opts.expandtab then
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = "nix",
      callback = function(args) vim.bo[args.buf].expandtab = true end,
    })
  end
  vim.api.nvim_create_autocmd("LspAttach", {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == "nixos_test" then
        attach(client, args.buf, opts)
      end
    end,
  })
  vim.api.nvim_create_user_command("NixosTestRun", function() vim.lsp.codelens.run() end, {
    desc = "Run the NixOS test (or test_ function) of the current line",
  })
end

return M
