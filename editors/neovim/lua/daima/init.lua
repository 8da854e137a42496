-- daima for Neovim: `require("daima").setup(opts)` attaches daima's language server and shows its
-- suggestions as ghost text. The server does the work; this file decides when to ask and what to draw.
local config_mod = require("daima.config")
local ghost = require("daima.ghost")
local lsp = require("daima.lsp")
local Debounce = require("daima.debounce")
local keymaps = require("daima.keymaps")
local next_edit = require("daima.next_edit")

local M = {}

M.config = nil
M.enabled = true
local group = vim.api.nvim_create_augroup("daima", { clear = true })
local timer = nil
local pending = nil -- the one request in flight: { token, bufnr, tick, row, col, uri, version, position, ... }
local token = 0
local debounce = nil
local builtin = false -- Neovim's own vim.lsp.inline_completion is in use
local off_filetypes = {} -- filetypes switched off with toggle_filetype(), for this session

-- Client-side overhead samples in milliseconds (see M.stats()).
local samples = { key_handler = {}, send = {}, draw_response = {}, draw_progress = {} }

local function now_ms()
  return vim.uv.hrtime() / 1e6
end

local function record(name, value)
  local list = samples[name]
  list[#list + 1] = value
  if #list > 1000 then
    table.remove(list, 1)
  end
end

local function cursor()
  local pos = vim.api.nvim_win_get_cursor(0)
  return pos[1] - 1, pos[2]
end

-- A response or partial result is only drawn for the exact buffer state and cursor it was asked for.
local function still_current(p)
  if p == nil or p ~= pending or p.bufnr ~= vim.api.nvim_get_current_buf() then
    return false
  end
  if vim.api.nvim_buf_get_changedtick(p.bufnr) ~= p.tick or not vim.api.nvim_get_mode().mode:match("^i") then
    return false
  end
  local row, col = cursor()
  return row == p.row and col == p.col
end

local function items_of(result)
  if type(result) ~= "table" then
    return {}
  end
  return result.items or (vim.islist(result) and result) or {}
end

local function stop_pending()
  if timer then
    timer:stop()
  end
  if pending then
    lsp.cancel(pending)
    pending = nil
  end
end

--- Clears the ghost text and cancels what is in flight.
function M.dismiss()
  stop_pending()
  ghost.clear(vim.api.nvim_get_current_buf())
end

-- `show`: which item to draw first (1, or 2 / -1 when cycling asked for more); `invoked`: the user asked.
local function send(bufnr, invoked, show)
  if not M.enabled or not vim.api.nvim_buf_is_valid(bufnr) or bufnr ~= vim.api.nvim_get_current_buf() then
    return
  end
  if off_filetypes[vim.bo[bufnr].filetype] then
    return
  end
  if not vim.api.nvim_get_mode().mode:match("^i") then
    return
  end
  local fired = now_ms()
  stop_pending()
  token = token + 1
  local row, col = cursor()
  local p = { token = token, bufnr = bufnr, tick = vim.api.nvim_buf_get_changedtick(bufnr), row = row, col = col }
  local sent = lsp.request(bufnr, function(err, result)
    local received = now_ms()
    if err or not still_current(p) then
      return
    end
    pending = nil
    local items = items_of(result)
    local index = 1
    if show and #items > 1 then
      index = show > 0 and show or #items + 1 + show
    end
    if ghost.set(bufnr, items, p.encoding, index) then
      record("draw_response", now_ms() - received)
    else
      ghost.clear(bufnr)
    end
  end, invoked)
  if sent == nil then
    return
  end
  pending = vim.tbl_extend("force", p, sent)
  p = pending
  record("send", now_ms() - fired)
end

local function on_progress(params)
  local received = now_ms()
  local p = pending
  if p == nil or params.uri ~= p.uri or params.version ~= p.version then
    return
  end
  if params.position.line ~= p.position.line or params.position.character ~= p.position.character then
    return
  end
  -- The final text comes with the response (with its real replace range); only partials are drawn here.
  if params.done or not still_current(p) or params.text == nil or params.text == "" then
    return
  end
  if ghost.set(p.bufnr, { { insertText = params.text, range = params.range } }, p.encoding) then
    record("draw_progress", now_ms() - received)
  end
end

--- Asks for a suggestion now (no debounce), with alternatives to cycle through.
function M.trigger()
  send(vim.api.nvim_get_current_buf(), true)
end

--- Shows the next (1) or previous (-1) suggestion. With only one received, asks the server for
--- alternatives and shows the next of them when they come. False when no suggestion is shown.
function M.cycle(bufnr, step)
  if ghost.cycle(bufnr, step) then
    return true
  end
  if not ghost.visible(bufnr) then
    return false
  end
  send(bufnr, true, step > 0 and 2 or -1)
  return true
end

local function on_text_changed(args)
  local started = now_ms()
  local bufnr = args.buf
  if ghost.visible(bufnr) and ghost.render(bufnr) then
    -- Typed what the suggestion said: keep it, nothing to ask.
    stop_pending()
    record("key_handler", now_ms() - started)
    return
  end
  ghost.clear(bufnr)
  stop_pending()
  if not M.enabled or not M.config.auto_trigger or lsp.client(bufnr) == nil then
    return
  end
  local delay = debounce:keystroke(started)
  timer = timer or vim.uv.new_timer()
  timer:start(delay, 0, vim.schedule_wrap(function()
    send(bufnr)
  end))
  record("key_handler", now_ms() - started)
end

-- Entering insert mode asks for a suggestion where the cursor is (after the debounce), as typing does.
local function on_insert_enter(args)
  if not M.enabled or not M.config.auto_trigger or lsp.client(args.buf) == nil then
    return
  end
  stop_pending()
  timer = timer or vim.uv.new_timer()
  timer:start(debounce:delay(), 0, vim.schedule_wrap(function()
    send(args.buf)
  end))
end

local function on_cursor_moved(args)
  -- Typing moves the cursor too; only a move that leaves the suggestion clears it.
  if ghost.visible(args.buf) and ghost.remainder(args.buf) == nil then
    M.dismiss()
  end
  if pending and not still_current(pending) and vim.api.nvim_buf_get_changedtick(args.buf) == pending.tick then
    M.dismiss()
  end
end

-- Where the cursor comes to rest (a file opened or entered, a jump, a search), the server is told, once
-- it has stayed CURSOR_REST_MS: typing moves the cursor in insert mode and asks for suggestions itself.
local CURSOR_REST_MS = 200
local cursor_timer = nil
local function on_cursor_rest(args)
  if not M.enabled or lsp.client(args.buf) == nil then
    return
  end
  cursor_timer = cursor_timer or vim.uv.new_timer()
  cursor_timer:start(CURSOR_REST_MS, 0, vim.schedule_wrap(function()
    if vim.api.nvim_get_current_buf() == args.buf and not vim.api.nvim_get_mode().mode:match("^i") then
      lsp.notify_cursor(args.buf)
    end
  end))
end

local function attach(bufnr)
  local id = lsp.attach(bufnr, M.config)
  if id and builtin then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  end
end

local function wants(filetype)
  local fts = M.config.filetypes
  return filetype ~= "" and (fts == "*" or vim.tbl_contains(fts, filetype))
end

--- The ghost text's own colours, unless the user (or a colour scheme) defined the group: grey and
--- italic in true colour and 256 colours, dark grey in 16, and underlined in 8, where no grey exists.
--- Linking to `Comment` was not enough: a 256-colour terminal drew Comment (gui colours only) as code.
function M.define_highlight(name)
  local ok, t_co = pcall(vim.api.nvim_eval, "&t_Co") -- the terminal's colour count, where it tells
  local colours = ok and tonumber(t_co) or 256
  local cterm = { italic = true }
  local ctermfg = 244
  if colours < 256 then
    ctermfg = colours >= 16 and 8 or nil
    cterm = colours >= 16 and { italic = true } or { underline = true }
  end
  vim.api.nvim_set_hl(0, name, { fg = "#808080", italic = true, ctermfg = ctermfg, cterm = cterm, default = true })
end

--- Configures daima; safe to call again (later calls replace the options and resend them).
function M.setup(opts)
  local config = config_mod.resolve(opts)
  local first = M.config == nil
  M.config = config
  ghost.highlight = config.highlight
  M.define_highlight(config.highlight)
  local min_ms = config.debounce.min_ms or config.server.completion.debounceMs
  debounce = Debounce.new(min_ms, config.debounce.max_ms)
  builtin = config.use_builtin and vim.lsp.inline_completion ~= nil
  lsp.on_progress = on_progress

  vim.api.nvim_clear_autocmds({ group = group })
  vim.api.nvim_create_autocmd("ColorScheme", { -- a new colour scheme clears groups it does not define
    group = group,
    callback = function()
      M.define_highlight(config.highlight)
      next_edit.define_highlights()
    end,
  })
  if config.next_edit then
    next_edit.setup(group, lsp)
  end
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    callback = function(args)
      if wants(vim.bo[args.buf].filetype) and vim.bo[args.buf].buftype == "" then
        attach(args.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd({ "BufEnter", "CursorMoved", "LspAttach" }, { group = group, callback = on_cursor_rest })
  if not builtin then
    vim.api.nvim_create_autocmd("TextChangedI", { group = group, callback = on_text_changed })
    vim.api.nvim_create_autocmd("InsertEnter", { group = group, callback = on_insert_enter })
    vim.api.nvim_create_autocmd("CursorMovedI", { group = group, callback = on_cursor_moved })
    vim.api.nvim_create_autocmd({ "InsertLeave", "BufLeave", "ModeChanged" }, {
      group = group,
      callback = function(args)
        if args.event ~= "ModeChanged" or not vim.api.nvim_get_mode().mode:match("^i") then
          M.dismiss()
        end
      end,
    })
  end
  keymaps.setup(config.keymaps, builtin, {
    accept = function(bufnr)
      stop_pending()
      return ghost.accept(bufnr, "all")
    end,
    dismiss = M.dismiss,
    cycle = M.cycle,
    next_edit = config.next_edit and next_edit.jump_or_apply or nil,
  })
  -- Buffers already open when setup() runs get attached too.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and wants(vim.bo[bufnr].filetype) and vim.bo[bufnr].buftype == "" then
      attach(bufnr)
    end
  end
  if not first then
    lsp.notify_settings(config)
  end
end

local snooze_timer = nil

--- Jumps to the proposed next edit, or applies it when the cursor is on it; false when none is shown.
function M.next_edit()
  return next_edit.jump_or_apply(vim.api.nvim_get_current_buf())
end

--- Turns suggestions off for `minutes` (default 15), then on again; returns when they come back.
function M.snooze(minutes)
  minutes = tonumber(minutes) or 15
  M.toggle(false)
  snooze_timer = snooze_timer or vim.uv.new_timer()
  snooze_timer:stop()
  snooze_timer:start(math.floor(minutes * 60000), 0, vim.schedule_wrap(function()
    M.toggle(true)
  end))
  return os.time() + math.floor(minutes * 60)
end

--- Turns suggestions off (or on again) for one filetype (default: the current buffer's); returns
--- whether they are now on for it.
function M.toggle_filetype(filetype)
  filetype = filetype or vim.bo.filetype
  off_filetypes[filetype] = not off_filetypes[filetype] or nil
  if off_filetypes[filetype] then
    M.dismiss()
  end
  return not off_filetypes[filetype]
end

--- Turns automatic suggestions on or off (the server keeps running).
function M.toggle(on)
  if on == nil then
    on = not M.enabled
  end
  if on and snooze_timer then
    snooze_timer:stop() -- turned on by hand: the snooze is over
  end
  M.enabled = on
  if not on then
    M.dismiss()
  end
  return on
end

local function attach_all()
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and wants(vim.bo[bufnr].filetype) then
      attach(bufnr)
    end
  end
end

--- Stops the server; the next FileType/attach starts a new one.
function M.restart()
  M.dismiss()
  for _, client in ipairs(vim.lsp.get_clients({ name = lsp.NAME })) do
    lsp.stop(client, true)
  end
  vim.defer_fn(attach_all, 100)
end

-- A server that stops on its own is started again, with a message: up to CRASH_RESTARTS times in
-- CRASH_WINDOW_MS (as the VS Code extension does), then it stays stopped and the message says so.
local CRASH_RESTARTS, CRASH_WINDOW_MS = 4, 180000
local crashes = {}
lsp.on_crash = function(code, signal)
  local now = vim.uv.now()
  crashes = vim.tbl_filter(function(at)
    return now - at < CRASH_WINDOW_MS
  end, crashes)
  M.dismiss()
  lsp.status = { state = "stopped" }
  vim.cmd.redrawstatus()
  if #crashes >= CRASH_RESTARTS then
    vim.notify(
      ("daima: the server stopped again (exit code %d, signal %d); it is left stopped: :DaimaRestart starts it, :DaimaLog says why"):format(
        code,
        signal
      ),
      vim.log.levels.ERROR
    )
    return
  end
  table.insert(crashes, now)
  vim.notify(
    ("daima: the server stopped (exit code %d, signal %d); starting it again"):format(code, signal),
    vim.log.levels.WARN
  )
  vim.defer_fn(attach_all, 100)
end

--- Client-side overhead: for each measure, count, median and 95th percentile in milliseconds.
function M.stats()
  local out = {}
  for name, list in pairs(samples) do
    local sorted = vim.deepcopy(list)
    table.sort(sorted)
    local n = #sorted
    out[name] = {
      count = n,
      p50 = n > 0 and sorted[math.ceil(n * 0.5)] or nil,
      p95 = n > 0 and sorted[math.ceil(n * 0.95)] or nil,
    }
  end
  out.debounce_ms = debounce and debounce:delay() or nil
  return out
end

--- The last daima/status the server sent (state, model, device, message, lastLatencyMs).
function M.status()
  return lsp.status
end

--- A short status for a statusline: "daima ✓" when the model is ready, "daima …" while it loads,
--- "daima ✗" after an error, "daima (no model)" for identifier completion only, "daima off" while
--- suggestions are off, "daima –" before the server has said anything. The `User DaimaStatus`
--- autocommand fires on every change (e.g. to redraw the statusline).
function M.statusline()
  local status = lsp.status
  if status == nil then
    return "daima –"
  elseif not M.enabled then
    return "daima off"
  end
  local marks = { ready = "daima ✓", loading = "daima …", error = "daima ✗", disabled = "daima (no model)" }
  return marks[status.state] or "daima –"
end

return M
