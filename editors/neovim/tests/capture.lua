-- Started inside tmux by tests/editors/test_neovim.py: the plugin against the real server, for the
-- terminal capture in docs/editors/neovim.md. DAIMA_CMD (JSON list) is the server command.
vim.o.termguicolors = false
vim.o.number = true
vim.o.showmode = true
require("daima").setup({
  cmd = vim.json.decode(os.getenv("DAIMA_CMD")),
  root_markers = { "daima-test-root" }, -- the test's scratch directory, not the cwd
  server = { model = { name = "none" }, index = { watch = false } },
})
-- Grey italic ghost text, as a user would set it; the plain-text capture shows its characters.
vim.api.nvim_set_hl(0, "DaimaGhost", { italic = true, ctermfg = 8 })
-- daima's own statusline component, as the docs suggest; the test types once it shows the server's
-- state (here "daima (no model)": model "none").
vim.o.laststatus = 2
vim.o.statusline = "%t %m%=%{v:lua.require'daima'.statusline()}  %l:%c "
vim.api.nvim_create_autocmd("User", { pattern = "DaimaStatus", command = "redrawstatus" })
