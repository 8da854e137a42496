-- Commands only; nothing starts until require("daima").setup() is called.
if vim.g.loaded_daima then
  return
end
vim.g.loaded_daima = true

local function daima()
  return require("daima")
end

vim.api.nvim_create_user_command("DaimaTrigger", function()
  daima().trigger()
end, { desc = "Ask daima for a suggestion (with alternatives) at the cursor now" })
vim.api.nvim_create_user_command("DaimaToggle", function()
  vim.notify("daima: suggestions " .. (daima().toggle() and "on" or "off"))
end, { desc = "Turn daima's automatic suggestions on or off" })
vim.api.nvim_create_user_command("DaimaSnooze", function(args)
  local back = daima().snooze(args.args ~= "" and args.args or nil)
  vim.notify("daima: suggestions off until " .. os.date("%H:%M", back))
end, { nargs = "?", desc = "Turn daima's suggestions off for N minutes (default 15)" })
vim.api.nvim_create_user_command("DaimaToggleFiletype", function(args)
  local filetype = args.args ~= "" and args.args or vim.bo.filetype
  local on = daima().toggle_filetype(filetype)
  vim.notify(("daima: suggestions %s for %s"):format(on and "on" or "off", filetype))
end, { nargs = "?", complete = "filetype", desc = "Turn daima's suggestions off or on for a filetype" })
vim.api.nvim_create_user_command("DaimaNextEdit", function()
  if not daima().next_edit() then
    vim.notify("daima: no next edit proposed here")
  end
end, { desc = "Jump to daima's proposed next edit; on it, apply it" })
vim.api.nvim_create_user_command("DaimaRestart", function()
  daima().restart()
end, { desc = "Restart daima's language server" })
vim.api.nvim_create_user_command("DaimaStatus", function()
  local lsp = require("daima.lsp")
  local status, err = lsp.request_status(nil, 3000)
  vim.notify("daima: " .. (status and lsp.describe(status) or ("no status: " .. tostring(err))))
end, { desc = "Show daima's model status in one line" })
vim.api.nvim_create_user_command("DaimaLog", function()
  vim.cmd("LspLog")
end, { desc = "Open the LSP log (daima's server messages)" })
