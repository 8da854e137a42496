-- Next-edit suggestions: after a change made in normal mode or on leaving insert mode, daima/nextEdit
-- proposes the related edits elsewhere in the buffer (a rename's other identifiers, a new parameter's
-- calls). Each is drawn where it applies: the text it replaces struck through, the new text beside it.
-- One key jumps to the next proposal and, with the cursor on it, applies it; the server then proposes
-- what remains (it sees the applied edit as the user's). After a rename of a module-level name the
-- server also names the files that import it: with nothing left here, the key opens the next of them,
-- where the same rename is proposed (nothing is changed in a file before the user goes there).
local M = {}

M.ns = vim.api.nvim_create_namespace("daima_next_edit")
M.delay_ms = 100 -- after the change settles: a `ciw` then <Esc> is one change, not two

local state = {} -- bufnr -> { edits, version, encoding, kind }
local other_files = {} -- bufnr -> file names the last answer said need the same rename
local timer = nil
local lsp = nil -- daima.lsp, set by setup() (kept out of the require graph for the tests' sake)

local function real(bufnr)
  return (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
end

--- The highlight groups, unless the user (or a colour scheme) defined them: the old text struck
--- through (underlined where a terminal cannot strike through), the new text as a diff's addition.
function M.define_highlights()
  vim.api.nvim_set_hl(0, "DaimaNextEditOld", {
    strikethrough = true, fg = "#a0a0a0", ctermfg = 244, cterm = { strikethrough = true }, default = true,
  })
  vim.api.nvim_set_hl(0, "DaimaNextEdit", { link = "DiffAdd", default = true })
end

local function byte_col(bufnr, position, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, position.line, position.line + 1, false)[1] or ""
  if encoding == "utf-8" then
    return math.min(position.character, #line)
  end
  local ok, col = pcall(vim.str_byteindex, line, encoding, position.character, false)
  return ok and col or #line
end

-- Each proposal with its byte positions in the buffer: { edit, srow, scol, erow, ecol }.
local function placed(bufnr, s)
  local out = {}
  for _, edit in ipairs(s.edits) do
    local r = edit.range
    out[#out + 1] = {
      edit = edit,
      srow = r.start.line,
      scol = byte_col(bufnr, r.start, s.encoding),
      erow = r["end"].line,
      ecol = byte_col(bufnr, r["end"], s.encoding),
    }
  end
  return out
end

local function draw(bufnr, s)
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  for _, p in ipairs(placed(bufnr, s)) do
    if p.srow ~= p.erow or p.scol ~= p.ecol then
      vim.api.nvim_buf_set_extmark(bufnr, M.ns, p.srow, p.scol, {
        end_row = p.erow, end_col = p.ecol, hl_group = "DaimaNextEditOld",
      })
    end
    local first = vim.split(p.edit.newText, "\n", { plain = true })[1]
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, p.erow, p.ecol, {
      virt_text = { { first, "DaimaNextEdit" } }, virt_text_pos = "inline", right_gravity = false,
    })
  end
end

--- Removes the proposals drawn in `bufnr`.
function M.clear(bufnr)
  bufnr = real(bufnr)
  state[bufnr] = nil
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

--- The proposals shown in `bufnr` for its current text (a list of {range, newText, reason}), or nil.
function M.proposals(bufnr)
  bufnr = real(bufnr)
  local s = state[bufnr]
  if s == nil or s.version ~= vim.lsp.util.buf_versions[bufnr] then
    return nil
  end
  return s.edits, s.kind
end

--- Asks the server what the buffer's latest change calls for; draws the answer if the buffer has not
--- changed since.
function M.request(bufnr)
  bufnr = real(bufnr)
  local client = lsp and lsp.client(bufnr)
  if client == nil or bufnr ~= vim.api.nvim_get_current_buf() then
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local version = vim.lsp.util.buf_versions[bufnr]
  params.textDocument.version = version
  client:request("daima/nextEdit", params, function(err, result)
    if err or type(result) ~= "table" or not vim.api.nvim_buf_is_valid(bufnr) then
      return
    end
    if type(result.otherFiles) == "table" and #result.otherFiles > 0 then
      other_files[bufnr] = vim.tbl_map(vim.uri_to_fname, result.otherFiles)
    end
    if result.version ~= vim.lsp.util.buf_versions[bufnr] or type(result.edits) ~= "table" or #result.edits == 0 then
      return
    end
    state[bufnr] = { edits = result.edits, version = result.version, encoding = client.offset_encoding, kind = result.kind }
    draw(bufnr, state[bufnr])
  end, bufnr)
end

local function schedule(bufnr)
  M.clear(bufnr)
  timer = timer or vim.uv.new_timer()
  timer:stop()
  timer:start(M.delay_ms, 0, vim.schedule_wrap(function()
    if vim.api.nvim_buf_is_valid(bufnr) and not vim.api.nvim_get_mode().mode:match("^i") then
      M.request(bufnr)
    end
  end))
end

--- With the cursor on a proposal: applies it (true). Otherwise moves the cursor to the next proposal
--- after it, or the first (true). False when no proposal is shown.
function M.jump_or_apply(bufnr)
  bufnr = real(bufnr)
  local s = state[bufnr]
  if s == nil or s.version ~= vim.lsp.util.buf_versions[bufnr] then
    local files = other_files[bufnr]
    if files and #files > 0 then -- nothing left here: go to the next file that needs the rename
      vim.cmd.edit(vim.fn.fnameescape(table.remove(files, 1)))
      return true
    end
    return false
  end
  local pos = vim.api.nvim_win_get_cursor(0)
  local row, col = pos[1] - 1, pos[2]
  local all = placed(bufnr, s)
  table.sort(all, function(a, b)
    return a.srow < b.srow or (a.srow == b.srow and a.scol < b.scol)
  end)
  for _, p in ipairs(all) do
    if row == p.srow and col >= p.scol and col <= math.max(p.ecol, p.scol) then
      M.clear(bufnr)
      vim.lsp.util.apply_text_edits({ { range = p.edit.range, newText = p.edit.newText } }, bufnr, s.encoding)
      return true
    end
  end
  local target = all[1]
  for _, p in ipairs(all) do
    if p.srow > row or (p.srow == row and p.scol > col) then
      target = p
      break
    end
  end
  vim.api.nvim_win_set_cursor(0, { target.srow + 1, target.scol })
  return true
end

--- Called from setup(): the autocommands that ask after a change and clear what went stale.
function M.setup(group, daima_lsp)
  lsp = daima_lsp
  M.define_highlights()
  vim.api.nvim_create_autocmd({ "InsertLeave", "TextChanged" }, {
    group = group,
    callback = function(args)
      if lsp.client(args.buf) ~= nil then
        schedule(args.buf)
      end
    end,
  })
  -- Going to a file asks too: a rename made in a module it imports from is proposed there.
  vim.api.nvim_create_autocmd("BufEnter", {
    group = group,
    callback = function(args)
      if lsp.client(args.buf) ~= nil and not vim.api.nvim_get_mode().mode:match("^i") then
        schedule(args.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd({ "TextChangedI", "BufLeave" }, {
    group = group,
    callback = function(args)
      if state[args.buf] then
        M.clear(args.buf)
      end
    end,
  })
end

return M
