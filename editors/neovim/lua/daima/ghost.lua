-- Ghost text: one suggestion per buffer, drawn with extmarks, accepted whole or in parts.
--
-- The suggestion's replace range is held by two extmarks, so Neovim keeps it right while the user
-- types through the suggestion; what is already typed is read back from the buffer, never counted.
local M = {}

M.ns = vim.api.nvim_create_namespace("daima.ghost")
local range_ns = vim.api.nvim_create_namespace("daima.range")

local state = {} -- bufnr -> { items, index, encoding, text, start_id, end_id }
M.highlight = "DaimaGhost"

local function byte_col(bufnr, row, character, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1]
  if line == nil then
    return nil
  end
  if encoding == "utf-8" then
    return math.min(character, #line)
  end
  local ok, col = pcall(vim.str_byteindex, line, encoding, character, false)
  return ok and col or nil
end

-- Buffer 0 means the current buffer, as in Neovim's API.
local function buf(bufnr)
  return (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
end

local function cursor()
  local pos = vim.api.nvim_win_get_cursor(0)
  return pos[1] - 1, pos[2]
end

local function mark(bufnr, id)
  local pos = vim.api.nvim_buf_get_extmark_by_id(bufnr, range_ns, id, {})
  return pos[1], pos[2]
end

--- Removes the ghost text and forgets the suggestion.
function M.clear(bufnr)
  bufnr = buf(bufnr)
  if state[bufnr] == nil then
    return
  end
  state[bufnr] = nil
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
    vim.api.nvim_buf_clear_namespace(bufnr, range_ns, 0, -1)
  end
end

--- The part of the suggestion still to be shown, or nil when what was typed left it.
function M.remainder(bufnr)
  local s = state[bufnr]
  if s == nil or bufnr ~= vim.api.nvim_get_current_buf() then
    return nil
  end
  local srow, scol = mark(bufnr, s.start_id)
  local erow, ecol = mark(bufnr, s.end_id)
  local crow, ccol = cursor()
  if srow == nil or crow < srow or (crow == srow and ccol < scol) then
    return nil
  end
  if erow ~= nil and (crow > erow or (crow == erow and ccol > ecol)) then
    return nil
  end
  local typed = table.concat(vim.api.nvim_buf_get_text(bufnr, srow, scol, crow, ccol, {}), "\n")
  if s.text:sub(1, #typed) ~= typed then
    return nil
  end
  local rest = s.text:sub(#typed + 1)
  return rest ~= "" and rest or nil
end

--- Draws the remainder at the cursor: inline text for its first line, virtual lines for the rest.
function M.render(bufnr)
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  local rest = M.remainder(bufnr)
  if rest == nil then
    return false
  end
  local lines = vim.split(rest, "\n", { plain = true })
  local row, col = cursor()
  local opts = { virt_text_pos = "inline", hl_mode = "combine", right_gravity = true }
  if lines[1] ~= "" then
    opts.virt_text = { { lines[1], M.highlight } }
  end
  if #lines > 1 then
    opts.virt_lines = {}
    for i = 2, #lines do
      table.insert(opts.virt_lines, { { lines[i] == "" and " " or lines[i], M.highlight } })
    end
  end
  vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, col, opts)
  return true
end

--- Takes LSP inline completion items (encoding `encoding`) as the buffer's suggestion and draws it.
function M.set(bufnr, items, encoding, index)
  M.clear(bufnr)
  index = index or 1
  local item = items[index]
  if item == nil then
    return false
  end
  local text = type(item.insertText) == "table" and item.insertText.value or item.insertText
  local crow, ccol = cursor()
  local srow, scol, erow, ecol = crow, ccol, crow, ccol
  if item.range then
    srow, erow = item.range.start.line, item.range["end"].line
    scol = byte_col(bufnr, srow, item.range.start.character, encoding)
    ecol = byte_col(bufnr, erow, item.range["end"].character, encoding)
  end
  if scol == nil or ecol == nil or type(text) ~= "string" then
    return false
  end
  state[bufnr] = {
    items = items,
    index = index,
    encoding = encoding,
    text = text,
    start_id = vim.api.nvim_buf_set_extmark(bufnr, range_ns, srow, scol, { right_gravity = false }),
    end_id = vim.api.nvim_buf_set_extmark(bufnr, range_ns, erow, ecol, { right_gravity = true }),
  }
  if not M.render(bufnr) then
    M.clear(bufnr)
    return false
  end
  return true
end

--- Whether a suggestion is shown in `bufnr`.
function M.visible(bufnr)
  return state[buf(bufnr)] ~= nil
end

--- The suggestion's full text (for tests and statuslines), or nil.
function M.current(bufnr)
  local s = state[buf(bufnr)]
  return s and s.text or nil
end

--- Shows the next (step 1) or previous (step -1) of the items received last.
function M.cycle(bufnr, step)
  local s = state[bufnr]
  if s == nil or #s.items < 2 then
    return false
  end
  local index = (s.index - 1 + step) % #s.items + 1
  return M.set(bufnr, s.items, s.encoding, index)
end

local function put_cursor_after(row, col, lines)
  local last = #lines
  local end_col = (last == 1 and col or 0) + #lines[last]
  vim.api.nvim_win_set_cursor(0, { row + last, end_col })
end

local function next_piece(rest, kind)
  if kind == "line" then
    if rest:sub(1, 1) == "\n" then
      return "\n" .. rest:sub(2):match("^[^\n]*")
    end
    return rest:match("^[^\n]*")
  end
  -- A word: leading blanks, then a run of identifier characters (any non-ASCII character counts, so
  -- 计算总价 is one word) or else a run of punctuation.
  return rest:match("^%s*[%w_\128-\255]+") or rest:match("^%s*[^%s%w_\128-\255]+") or rest:match("^%s+")
end

--- Accepts the whole suggestion ("all"), its next word ("word") or the rest of its line ("line").
function M.accept(bufnr, kind)
  local s = state[bufnr]
  local rest = M.remainder(bufnr)
  if s == nil or rest == nil then
    return false
  end
  local piece = kind ~= "all" and next_piece(rest, kind) or rest
  if piece == nil or piece == "" or piece == rest then
    -- The whole range is replaced by the whole text: already-typed characters are rewritten to
    -- themselves, and text the server asked to replace after the cursor goes.
    local srow, scol = mark(bufnr, s.start_id)
    local erow, ecol = mark(bufnr, s.end_id)
    local lines = vim.split(s.text, "\n", { plain = true })
    M.clear(bufnr)
    vim.api.nvim_buf_set_text(bufnr, srow, scol, erow, ecol, lines)
    put_cursor_after(srow, scol, lines)
    return true
  end
  local row, col = cursor()
  local lines = vim.split(piece, "\n", { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  put_cursor_after(row, col, lines)
  M.render(bufnr)
  return true
end

return M
