-- Insert-mode keys: accept, accept word, accept line, dismiss, next, previous. A key does what it
-- did before when there is no suggestion to act on.
local ghost = require("daima.ghost")

local M = {}

local function map(lhs, fn, desc, fallback)
  if not lhs then
    return
  end
  vim.keymap.set("i", lhs, function()
    if not fn(vim.api.nvim_get_current_buf()) and fallback then
      vim.api.nvim_feedkeys(vim.keycode(lhs), "n", false)
    end
  end, { desc = "daima: " .. desc, silent = true })
end

--- Maps `keys` (the `keymaps` option); `actions` has accept(bufnr) and dismiss() from init.lua.
function M.setup(keys, builtin, actions)
  if builtin then
    map(keys.accept, function()
      return vim.lsp.inline_completion.get()
    end, "accept suggestion", true)
    map(keys.next, function()
      vim.lsp.inline_completion.select({ count = 1 })
      return true
    end, "next suggestion")
    map(keys.prev, function()
      vim.lsp.inline_completion.select({ count = -1 })
      return true
    end, "previous suggestion")
    return
  end
  map(keys.accept, actions.accept, "accept suggestion", true)
  map(keys.accept_word, function(bufnr)
    return ghost.accept(bufnr, "word")
  end, "accept next word", true)
  map(keys.accept_line, function(bufnr)
    return ghost.accept(bufnr, "line")
  end, "accept next line", true)
  map(keys.dismiss, function(bufnr)
    local shown = ghost.visible(bufnr)
    actions.dismiss()
    return shown
  end, "dismiss suggestion", true)
  map(keys.next, function(bufnr)
    return ghost.cycle(bufnr, 1)
  end, "next suggestion", true)
  map(keys.prev, function(bufnr)
    return ghost.cycle(bufnr, -1)
  end, "previous suggestion", true)
end

return M
