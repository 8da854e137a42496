-- Headless tests of the plugin against the real `daima serve` (model "none": deterministic identifier
-- completion). Run: nvim --headless --clean -u NONE --cmd 'set rtp^=editors/neovim' -c 'luafile
-- editors/neovim/tests/test_plugin.lua'  with DAIMA_CMD (JSON list) and DAIMA_ENCODING set.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "harness.lua"))
local test, eq, wait_for = H.test, H.eq, H.wait_for

local env = H.environment()
local encoding, cmd, workdir, ROOT_MARKERS = env.encoding, env.cmd, env.workdir, env.root_markers

local SOURCE = {
  "def 计算总价(商品列表):",
  '    """😀 求和: 商品列表 里每个的价格"""',
  "    return sum(商品列表)",
  "",
  "",
}

vim.o.showmode = false
-- Another plugin's insert-mode mappings, made before daima's setup(): without a suggestion, daima's
-- keys must do what these did.
vim.api.nvim_set_keymap("i", "<Tab>", "«other-tab»", { noremap = true })
vim.keymap.set("i", "<C-Right>", function()
  vim.g.other_plugin_calls = (vim.g.other_plugin_calls or 0) + 1
end, { desc = "another plugin" })
local daima = require("daima")
local ghost = require("daima.ghost")
local lsp = require("daima.lsp")

local function ghost_marks(bufnr)
  return vim.api.nvim_buf_get_extmarks(bufnr or 0, ghost.ns, 0, -1, { details = true })
end

local function ghost_text()
  local marks = ghost_marks()
  if #marks == 0 then
    return nil
  end
  local d = marks[1][4]
  local first = d.virt_text and d.virt_text[1][1] or ""
  local rest = {}
  for _, l in ipairs(d.virt_lines or {}) do
    rest[#rest + 1] = l[1][1]
  end
  return first, marks[1][2], marks[1][3], rest
end

local function open(name, lines)
  return H.open(vim.fs.joinpath(workdir, name), lines)
end

local function line(row)
  return vim.api.nvim_buf_get_lines(0, row, row + 1, false)[1]
end

test("an opened project's .venv/bin/daima runs only with project_venv = true", function()
  local project = vim.fs.joinpath(workdir, "cloned-project")
  local venv = vim.fs.joinpath(project, ".venv", "bin", "daima")
  vim.fn.mkdir(vim.fs.dirname(venv), "p")
  vim.fn.writefile({ "#!/bin/sh", "touch " .. vim.fs.joinpath(workdir, "ran") }, venv)
  vim.fn.setfperm(venv, "rwxr-xr-x")
  local cwd, path = vim.fn.getcwd(), vim.env.PATH
  vim.fn.chdir(project)
  vim.env.PATH = "/usr/bin:/bin" -- no daima on $PATH
  local ok, err = pcall(function()
    local cmd, how = lsp.resolve_cmd({ project_venv = false })
    assert(cmd[1] ~= vim.fn.resolve(venv) and cmd[1] ~= venv, "the project's venv was chosen: " .. cmd[1])
    eq({ "python3", "-I", "-m", "daima", "serve" }, cmd, "the fallback runs isolated")
    assert(how:match("project_venv"), how)
    cmd = lsp.resolve_cmd({ project_venv = true })
    eq(vim.fn.resolve(venv), vim.fn.resolve(cmd[1]), "with project_venv")
  end)
  vim.fn.chdir(cwd)
  vim.env.PATH = path
  assert(ok, err)
end)

test("an error status says what failed and what to check", function()
  local load = lsp.error_notice({ state = "error", message = "no such model 'x'", failed = "load" })
  assert(load:find("could not be loaded: no such model 'x'", 1, true) and load:find("server.model.name", 1, true), load)
  local request = lsp.error_notice({
    state = "error", failed = "request",
    message = "the model failed a request (remote engine at http://gpu:8000 answered HTTP 500)",
  })
  assert(request:find("HTTP 500", 1, true) and request:find("remoteUrl", 1, true), request)
  assert(not request:find("could not be loaded", 1, true) and not request:find("model.name", 1, true), request)
end)

test("setup validates its options and says what is wrong", function()
  local ok, err = pcall(daima.setup, { keymaps = { accept = 5 } })
  assert(not ok and tostring(err):match("keymaps.accept"), "bad keymap accepted: " .. tostring(err))
  ok, err = pcall(daima.setup, { server = { completion = { maxTokens = "many" } } })
  assert(not ok and tostring(err):match("maxTokens"), "bad maxTokens accepted: " .. tostring(err))
end)

test("the ghost text has colours of its own in 256-colour and true-colour terminals", function()
  daima.setup({ cmd = cmd, root_markers = ROOT_MARKERS, server = { model = { name = "none" } } })
  local hl = vim.api.nvim_get_hl(0, { name = "DaimaGhost", link = false })
  assert(hl.ctermfg ~= nil or (hl.cterm and hl.cterm.underline), "no cterm look: " .. vim.inspect(hl))
  assert(hl.fg ~= nil and hl.italic, "no gui colour: " .. vim.inspect(hl))
  vim.cmd("colorscheme default")  -- clears every group; daima's comes back
  hl = vim.api.nvim_get_hl(0, { name = "DaimaGhost", link = false })
  assert(hl.fg ~= nil, "cleared by :colorscheme: " .. vim.inspect(hl))
  -- A group the user defined stays theirs.
  vim.api.nvim_set_hl(0, "DaimaGhost", { fg = "#ff0000" })
  daima.setup({ cmd = cmd, root_markers = ROOT_MARKERS, server = { model = { name = "none" } } })
  eq(tonumber("ff0000", 16), vim.api.nvim_get_hl(0, { name = "DaimaGhost" }).fg, "user's colour")
  vim.api.nvim_set_hl(0, "DaimaGhost", {})
  require("daima").define_highlight("DaimaGhost")
end)

test("setup starts one server and is idempotent", function()
  local opts = {
    cmd = cmd,
    root_markers = ROOT_MARKERS,
    position_encodings = { encoding },
    server = { model = { name = "none" }, index = { watch = false } },
  }
  daima.setup(opts)
  daima.setup(opts)
  local bufnr = open("购物车.py", SOURCE)
  eq(1, #vim.lsp.get_clients({ name = "daima" }), "daima clients")
  eq(encoding, lsp.client(bufnr).offset_encoding, "negotiated position encoding")
  local status = lsp.request_status(bufnr, 5000)
  eq("disabled", status and status.state, "model status with model 'none'")
end)

test("ghost text is at the right byte column after Chinese text and emoji", function()
  open("购物车.py", SOURCE)
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  H.type("i    😀 = 计算总")
  wait_for("ghost text", function()
    return ghost_text() ~= nil
  end)
  local text, row, col = ghost_text()
  eq("价", text, "ghost text")
  eq(3, row, "ghost row")
  eq(#"    😀 = 计算总", col, "ghost byte column")
  eq(#"    😀 = 计算总", vim.api.nvim_win_get_cursor(0)[2], "cursor byte column")
end)

test("typing through a suggestion keeps it, without asking again", function()
  H.type("<Esc>")
  vim.api.nvim_buf_set_lines(0, 3, 4, false, { "" })
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  H.type("i    x = 😀(商")
  wait_for("ghost text", function()
    return ghost_text() == "品列表"
  end)
  local sent = daima.stats().send.count
  H.type("品")
  local text, _, col = ghost_text()
  eq("列表", text, "ghost after typing its first character")
  eq(#"    x = 😀(商品", col, "ghost byte column after typing through")
  H.sleep(300) -- longer than any debounce: a request would have gone out by now
  eq(sent, daima.stats().send.count, "requests sent while typing through")
  eq("列表", (ghost_text()), "ghost still shown")
end)

test("accept inserts exactly the suggestion and moves the cursor after it", function()
  H.type("<Tab>")
  eq("    x = 😀(商品列表", line(3), "line after accept")
  eq(#"    x = 😀(商品列表", vim.api.nvim_win_get_cursor(0)[2], "cursor after accept")
  eq(nil, (ghost_text()), "ghost after accept")
end)

test("a cursor move, leaving insert mode or another buffer clears the ghost", function()
  H.type(" + 计算")
  wait_for("ghost text", function()
    return ghost_text() == "总价"
  end)
  H.type("<Left>")
  eq(nil, (ghost_text()), "ghost after <Left>")
  H.type("<End>总")
  wait_for("ghost text", function()
    return ghost_text() == "价"
  end)
  H.type("<Esc>")
  eq(nil, (ghost_text()), "ghost after <Esc>")
  H.type("A 商")
  wait_for("ghost text", function()
    return ghost_text() == "品列表"
  end)
  local bufnr = vim.api.nvim_get_current_buf()
  local other = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_set_current_buf(other)
  H.sleep(20)
  eq(0, #ghost_marks(bufnr), "ghost marks left in the buffer we left")
  vim.api.nvim_set_current_buf(bufnr)
  H.type("<Esc>")
end)

test("a stale response is never drawn", function()
  vim.api.nvim_buf_set_lines(0, 3, 4, false, { "    y = 商品" })
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  H.type("A")
  daima.trigger()
  -- The request is on its way; the buffer changes before its answer can arrive.
  -- (After the change there is no word before the cursor, so no answer is valid.)
  vim.api.nvim_buf_set_lines(0, 3, 4, false, { "    y = 商品 " })
  vim.api.nvim_win_set_cursor(0, { 4, #"    y = 商品 " })
  H.sleep(400)
  eq(nil, (ghost_text()), "ghost drawn from an answer for an older text")
  -- A progress notification for another version is ignored as well.
  lsp.on_progress({ uri = vim.uri_from_bufnr(0), version = -1, position = { line = 3, character = 0 }, text = "x" })
  eq(nil, (ghost_text()), "ghost drawn from a stale progress notification")
  H.type("<Esc>")
end)

test("accept word and accept line take parts; multi-line ghost uses virtual lines", function()
  vim.api.nvim_buf_set_lines(0, 3, 4, false, { "    z = 😀" })
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  H.type("A")
  local bufnr = vim.api.nvim_get_current_buf()
  local col = #"    z = 😀"
  local character = encoding == "utf-8" and col or vim.str_utfindex(line(3), encoding, col)
  local item = {
    insertText = " 计算总价(商品列表)\n    return z",
    range = { start = { line = 3, character = character }, ["end"] = { line = 3, character = character } },
  }
  assert(ghost.set(bufnr, { item }, encoding), "ghost.set refused a valid item")
  local text, row, mcol, rest = ghost_text()
  eq(" 计算总价(商品列表)", text, "first ghost line")
  eq({ 3, col }, { row, mcol }, "ghost position")
  eq({ "    return z" }, rest, "virtual lines")
  ghost.accept(bufnr, "word")
  eq("    z = 😀 计算总价", line(3), "after accept word")
  eq("(商品列表)", (ghost_text()), "ghost after accept word")
  ghost.accept(bufnr, "line")
  eq("    z = 😀 计算总价(商品列表)", line(3), "after accept line")
  ghost.accept(bufnr, "all")
  eq({ "    z = 😀 计算总价(商品列表)", "    return z" }, vim.api.nvim_buf_get_lines(0, 3, 5, false), "after accept")
  H.type("<Esc>")
end)

test("settings changes reach the server", function()
  daima.setup({
    cmd = cmd,
    root_markers = ROOT_MARKERS,
    position_encodings = { encoding },
    server = { model = { name = "none" }, index = { watch = false }, completion = { maxTokens = 7 } },
  })
  wait_for("maxTokens 7 on the server", function()
    local status = lsp.request_status(0, 2000)
    return status and status.options and status.options.completion.maxTokens == 7
  end, 5000)
end)

test(":DaimaRestart starts a new server that knows the buffer", function()
  local old = lsp.client(0).id
  vim.cmd("DaimaRestart")
  wait_for("a new client", function()
    local client = lsp.client(0)
    return client ~= nil and client.id ~= old and client.initialized
  end, 30000)
  vim.api.nvim_buf_set_lines(0, 3, -1, false, { "" })
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  H.type("A    商品")
  wait_for("ghost text from the new server", function()
    return ghost_text() == "列表"
  end)
  H.type("<Esc>")
end)

test("the adaptive debounce follows the typing rhythm within its bounds", function()
  local Debounce = require("daima.debounce")
  local d = Debounce.new(20, 250)
  for t = 60, 1200, 60 do
    d:keystroke(t)
  end
  eq(90, d:delay(), "1.5 x a 60 ms rhythm")
  d:keystroke(9000) -- a pause is not part of the rhythm
  eq(90, d:delay(), "after a pause")
  eq(75, Debounce.new(75, 250):keystroke(0), "first keystroke")
end)

test("client-side overhead", function()
  vim.api.nvim_buf_set_lines(0, 3, -1, false, { "" })
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  for i = 1, 20 do
    H.type(i == 1 and "o计算" or "<Esc>o计算")
    wait_for("ghost text", function()
      return ghost_text() == "总价"
    end)
  end
  H.type("<Esc>")
  local stats = daima.stats()
  H.out("STATS " .. vim.json.encode(stats))
  assert(stats.send.count >= 20 and stats.draw_response.count >= 20, vim.inspect(stats))
end)

test("a change the server refused is followed by the full text (daima/resync)", function()
  local bufnr = open("resync.py", { "alpha = 1", "al" })
  local client = lsp.client(bufnr)
  local uri = vim.uri_from_bufnr(bufnr)
  local function suggestion()
    local params = { textDocument = { uri = uri }, position = { line = 1, character = 2 }, context = { triggerKind = 1 } }
    local response = client:request_sync("textDocument/inlineCompletion", params, 5000, bufnr)
    return response and response.result and response.result.items and response.result.items[1]
  end
  wait_for("a suggestion while in sync", function()
    return suggestion() ~= nil
  end, 10000)
  -- A change the server must refuse: its version is not newer than the one it has.
  client:notify("textDocument/didChange", {
    textDocument = { uri = uri, version = 0 },
    contentChanges = { { range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } }, text = "zz" } },
  })
  -- The plugin answers the server's daima/resync with the buffer's text, so suggestions come back.
  H.sleep(200)
  wait_for("suggestions after the resync", function()
    local item = suggestion()
    return item ~= nil and item.insertText == "pha"
  end, 10000)
end)

test("without a suggestion each key does what it did before: another plugin's mapping, or Neovim's", function()
  open("keys.py", { "abc", "xyz", "" })
  eq("daima: accept suggestion", vim.fn.maparg("<Tab>", "i", false, true).desc, "<Tab> is daima's")
  vim.api.nvim_win_set_cursor(0, { 1, 1 })
  H.type("i<C-e>") -- Neovim's own: the character below the cursor
  eq("aybc", line(0), "after <C-e>")
  H.type("<Tab>") -- the other plugin's mapping
  eq("ay«other-tab»bc", line(0), "after <Tab>")
  H.type("<C-Right>")
  eq(1, vim.g.other_plugin_calls, "the other plugin's <C-Right> ran")
  H.type("<M-n>") -- unmapped before daima: <Esc>n, as without daima (leaves insert mode)
  assert(not vim.api.nvim_get_mode().mode:match("^i"), "<M-n> did not do what it did before daima")
  eq("ay«other-tab»bc", line(0), "<M-n> typed nothing")
  H.type("<Esc>")
end)

test("next and previous cycle through alternatives the server is asked for", function()
  open("cycle.py", { "计算总价 = 1", "计算总数 = 2", "计算平均值 = 3", "", "" })
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  H.type("ix = 计算")
  wait_for("ghost text", function()
    return ghost_text() ~= nil
  end)
  local first = ghost_text()
  H.type("<M-n>") -- one item shown: asks the server (invoked) for alternatives
  wait_for("a second suggestion", function()
    return ghost_text() ~= nil and ghost_text() ~= first
  end)
  local second = ghost_text()
  H.type("<M-n>")
  local third = ghost_text()
  assert(third ~= first and third ~= second, "three different suggestions: " .. vim.inspect({ first, second, third }))
  H.type("<M-n>")
  eq(first, (ghost_text()), "next wraps round")
  H.type("<M-p>")
  eq(third, (ghost_text()), "previous")
  H.type("<Tab>")
  eq("x = 计算" .. third, line(3), "accepted the one shown")
  H.type("<Esc>")
end)

test("entering insert mode asks for a suggestion where the cursor is", function()
  open("enter.py", { "计算总价 = 1", "x = 计算", "" })
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  local sent = daima.stats().send.count
  H.type("A") -- no character typed
  wait_for("ghost text on entering insert mode", function()
    return ghost_text() == "总价"
  end)
  assert(daima.stats().send.count > sent, "no request was sent")
  H.type("<Esc>")
end)

test("where the cursor comes to rest is told to the server (daima/cursor), not every key", function()
  open("rest.py", { "a = 1", "b = 2", "c = 3", "" })
  local client = lsp.client(0)
  local told = {}
  local notify = client.notify
  client.notify = function(self, method, params)
    if method == "daima/cursor" then
      told[#told + 1] = params.position
    end
    return notify(self, method, params)
  end
  vim.api.nvim_win_set_cursor(0, { 3, 2 })
  wait_for("daima/cursor after the cursor rests", function()
    return #told == 1
  end)
  assert(told[1].line == 2 and told[1].character == 2, vim.inspect(told))
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  vim.api.nvim_win_set_cursor(0, { 2, 1 }) -- two moves within the rest time: one note, for the last
  wait_for("one more daima/cursor", function()
    return #told == 2
  end)
  assert(told[2].line == 1 and told[2].character == 1, vim.inspect(told))
  H.type("Ax<Esc>") -- typing asks for suggestions itself: no note while in insert mode
  H.sleep(400)
  assert(#told <= 3, vim.inspect(told)) -- at most the rest after <Esc>
  client.notify = notify
end)

test(":DaimaToggleFiletype and :DaimaSnooze stop suggestions, and they come back", function()
  open("quiet.py", { "计算总价 = 1", "x = 计算", "" })
  local notify = vim.notify
  vim.notify = function() end
  local ok, err = pcall(function()
    vim.cmd("DaimaToggleFiletype")
    vim.api.nvim_win_set_cursor(0, { 2, 0 })
    local sent = daima.stats().send.count
    H.type("A")
    H.sleep(400) -- longer than any debounce
    eq(sent, daima.stats().send.count, "a request for a filetype switched off")
    eq(nil, (ghost_text()), "ghost text for a filetype switched off")
    H.type("<Esc>")
    vim.cmd("DaimaToggleFiletype python")
    vim.cmd("DaimaSnooze 0.005") -- 0.3 s
    eq("daima off", daima.statusline(), "statusline while snoozed")
    H.type("A")
    H.sleep(100)
    eq(nil, (ghost_text()), "ghost text while snoozed")
    H.type("<Esc>")
    wait_for("the snooze to end", function()
      return daima.enabled
    end, 3000)
    H.type("A")
    wait_for("ghost text after the snooze", function()
      return ghost_text() == "总价"
    end)
    H.type("<Esc>")
  end)
  vim.notify = notify
  assert(ok, err)
end)

test("statusline and :DaimaStatus say the state in one line; a load error is shown once", function()
  local seen = {}
  local notify = vim.notify
  vim.notify = function(message, level)
    seen[#seen + 1] = { message = message, level = level }
  end
  local ok, err = pcall(function()
    eq("daima (no model)", daima.statusline(), "statusline with model none")
    vim.cmd("DaimaStatus")
    eq(1, #seen, "one message")
    eq("daima: no model (identifier completion only)", seen[1].message, ":DaimaStatus")
    local opts = {
      cmd = cmd,
      root_markers = ROOT_MARKERS,
      position_encodings = { encoding },
      server = { model = { name = "./no-such-model" }, index = { watch = false } },
    }
    daima.setup(opts)
    wait_for("the error state", function()
      return daima.statusline() == "daima ✗"
    end, 15000)
    wait_for("the notification", function()
      return #seen == 2
    end)
    eq(vim.log.levels.ERROR, seen[2].level, "shown as an error")
    assert(seen[2].message:match("no%-such%-model") and seen[2].message:match("server%.model%.name"), seen[2].message)
    daima.setup(opts) -- the same options again: nothing new is shown
    H.sleep(300)
    eq(2, #seen, "the same error is shown once")
    opts.server.model.name = "none"
    daima.setup(opts)
    wait_for("back to no model", function()
      return daima.statusline() == "daima (no model)"
    end, 15000)
  end)
  vim.notify = notify
  assert(ok, err)
end)

H.run()
