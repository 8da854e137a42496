-- Insert-mode keys: accept, accept word, accept line, dismiss, next, previous; and the normal-mode key
-- of next-edit suggestions. A key acts only on a suggestion that is shown; otherwise it does what it did before daima mapped it: the insert-mode
-- mapping another plugin (or the user) had put on it, or Neovim's own meaning of the key.
local ghost = require("daima.ghost")

local M = {}

-- The mapping each of our keys replaced, by mode and key (keycode form), captured when first mapped.
local previous = {}

--- Runs what `lhs` did before daima: the replaced mapping's callback or right-hand side (expr ones
--- evaluated, remappable ones fed for remapping), else Neovim's own meaning of the key: an unmapped
--- <M-x> (or <A-x>) is <Esc>x (:help i_META), any other key is fed without mappings.
--- Keys are fed with "i", at the front of the typeahead: when keys arrive together (fast typing, a
--- macro, a mapping, `.`), the ones after `lhs` are already waiting there, and appended keys would run
--- after them (after an <Esc>, in normal mode).
local function fall_back(lhs, mode)
  local before = previous[mode .. vim.keycode(lhs)]
  if before == nil then
    local meta = lhs:match("^<[MmAa]%-(.+)>$")
    if meta then
      local key = #meta == 1 and meta or ("<" .. meta .. ">")
      vim.api.nvim_feedkeys(vim.keycode("<Esc>" .. key), "im", false)
    else
      vim.api.nvim_feedkeys(vim.keycode(lhs), "in", false)
    end
    return
  end
  local keys
  if before.callback then
    keys = before.callback()
    if not before.expr then
      return
    end
  elseif before.expr == 1 then
    keys = vim.api.nvim_eval(before.rhs)
  else
    keys = before.rhs
  end
  if type(keys) ~= "string" or keys == "" then
    return
  end
  if before.sid and before.sid > 0 then
    keys = keys:gsub("<[Ss][Ii][Dd]>", "<SNR>" .. before.sid .. "_")
  end
  if before.replace_keycodes ~= 0 or not before.callback then
    keys = vim.keycode(keys)
  end
  vim.api.nvim_feedkeys(keys, before.noremap == 1 and "in" or "im", false)
end

local function map(lhs, fn, desc, mode)
  if not lhs then
    return
  end
  mode = mode or "i"
  local code = mode .. vim.keycode(lhs)
  if previous[code] == nil then
    local found = vim.fn.maparg(lhs, mode, false, true)
    if next(found) ~= nil and not (found.desc or ""):match("^daima: ") then
      previous[code] = found
    end
  end
  vim.keymap.set(mode, lhs, function()
    if not fn(vim.api.nvim_get_current_buf()) then
      fall_back(lhs, mode)
    end
  end, { desc = "daima: " .. desc, silent = true })
end

--- Maps `keys` (the `keymaps` option); `actions` has accept(bufnr) and dismiss() from init.lua.
function M.setup(keys, builtin, actions)
  if actions.next_edit then
    map(keys.next_edit, actions.next_edit, "jump to the next edit, or apply it", "n")
  end
  if builtin then
    map(keys.accept, function()
      return vim.lsp.inline_completion.get()
    end, "accept suggestion")
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
  map(keys.accept, actions.accept, "accept suggestion")
  map(keys.accept_word, function(bufnr)
    return ghost.accept(bufnr, "word")
  end, "accept next word")
  map(keys.accept_line, function(bufnr)
    return ghost.accept(bufnr, "line")
  end, "accept next line")
  map(keys.dismiss, function(bufnr)
    local shown = ghost.visible(bufnr)
    actions.dismiss()
    return shown
  end, "dismiss suggestion")
  map(keys.next, function(bufnr)
    return actions.cycle(bufnr, 1)
  end, "next suggestion")
  map(keys.prev, function(bufnr)
    return actions.cycle(bufnr, -1)
  end, "previous suggestion")
end

return M
