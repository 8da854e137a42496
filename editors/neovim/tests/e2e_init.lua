-- Started inside tmux by tests/e2e/test_neovim_tmux.py: the plugin as a user sets it up (default
-- options, the default model), on a copy of the examples project. DAIMA_CMD (JSON list) is the server
-- command; every message the plugin shows is also appended to DAIMA_NOTIFY_LOG, so the test can count
-- them.
vim.o.termguicolors = false
vim.o.number = false
vim.o.showmode = true
vim.o.swapfile = false
local cmd = vim.json.decode(os.getenv("DAIMA_CMD"))
local notify = vim.notify
vim.notify = function(message, level, opts)
  local log = io.open(os.getenv("DAIMA_NOTIFY_LOG"), "a")
  if log then
    log:write(vim.json.encode({ message = message, level = level }) .. "\n")
    log:close()
  end
  return notify(message, level, opts)
end
-- setup() again with another model name, as a user who edits their config and sources it.
function _G.daima_model(name)
  require("daima").setup({ cmd = cmd, server = name and { model = { name = name } } or nil })
end
_G.daima_model(nil)
vim.api.nvim_set_hl(0, "DaimaGhost", { italic = true, ctermfg = 8 })
vim.o.laststatus = 2
vim.o.statusline = "%t %m%=%{v:lua.require'daima'.statusline()}  %l:%c "
vim.api.nvim_create_autocmd("User", { pattern = "DaimaStatus", command = "redrawstatus" })
