-- Started inside tmux by tests/editors/test_neovim_keys.py: a buffer where <Tab> belongs to another
-- plugin (TAB_KIND says how it was mapped), with or without daima set up after it (WITH_DAIMA=1).
vim.o.swapfile = false
vim.o.expandtab = false
local kind = os.getenv("TAB_KIND")
if kind == "string" then
  vim.keymap.set("i", "<Tab>", "OTHER")
elseif kind == "lua_expr" then
  vim.keymap.set("i", "<Tab>", function()
    return "EXPR"
  end, { expr = true })
elseif kind == "vim_expr" then
  vim.cmd([[inoremap <expr> <Tab> "VIMEXPR"]])
elseif kind == "callback" then
  vim.keymap.set("i", "<Tab>", function()
    vim.api.nvim_put({ "CALLBACK" }, "c", false, true)
  end)
elseif kind == "plug" then
  vim.keymap.set("i", "<Plug>(other-tab)", "PLUG")
  vim.keymap.set("i", "<Tab>", "<Plug>(other-tab)", { remap = true })
end
if os.getenv("WITH_DAIMA") == "1" then
  require("daima").setup({
    cmd = vim.json.decode(os.getenv("DAIMA_CMD")),
    root_markers = { "daima-test-root" },
    server = { model = { name = "none" }, index = { enabled = false } },
  })
end
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("TAB_FILE")))
vim.o.statusline = "READY"
vim.o.laststatus = 2
