-- Headless Neovim against `daima serve` with the real Qwen2.5-Coder-0.5B model (slow on CPU): partial
-- text streams in as ghost text before the final answer, and accept inserts exactly the final text.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "harness.lua"))
local eq, wait_for = H.eq, H.wait_for
vim.o.showmode = false

local daima = require("daima")
local ghost = require("daima.ghost")
local lsp = require("daima.lsp")
local workdir = assert(os.getenv("DAIMA_WORKDIR"))

H.test("the real model streams ghost text and accept inserts it", function()
  vim.fn.writefile({}, vim.fs.joinpath(workdir, "daima-test-root"))
  daima.setup({
    cmd = vim.json.decode(os.getenv("DAIMA_CMD")),
    root_markers = { "daima-test-root" }, -- the scratch directory is the workspace
    server = {
      model = { name = "qwen2.5-coder-0.5b", device = "cpu" },
      -- The model's own text streams: in the English reading its first candidate here names a field that
      -- does not exist and is refused, so the only partial it gave was whitespace, which is not sent.
      completion = { maxTokens = 24, maxTimeMs = 30000, englishReading = false },
      index = { enabled = false },
    },
  })
  local raw = {}
  local handler = lsp.on_progress
  lsp.on_progress = function(params)
    raw[#raw + 1] = params
    handler(params)
  end
  local path = vim.fs.joinpath(workdir, "购物车.py")
  vim.fn.writefile({
    "def 计算总价(商品列表):",
    '    """😀 返回所有商品的价格之和"""',
    "    总价 = 0",
    "    for 商品 in 商品列表:",
    "",
    "    return 总价",
  }, path)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local described, progress = {}, {}
  wait_for("the model to load", function()
    local status = lsp.status
    if status and status.state == "error" then
      error("the model failed to load: " .. tostring(status.message))
    end
    if status and status.state == "loading" then
      described[lsp.describe(status)] = true -- what :DaimaStatus prints meanwhile
    end
    local core = vim.lsp.status() -- Neovim's own view of the server's work-done progress
    if core ~= "" then
      progress[core] = true
    end
    return status ~= nil and status.state == "ready"
  end, 240000)
  -- The load's steps reach Neovim: in :DaimaStatus, and as progress any statusline plugin can show.
  assert(described["loading the weights of qwen2.5-coder-0.5b…"], vim.inspect(described))
  local shown = table.concat(vim.tbl_keys(progress), " | ")
  assert(shown:find("daima: loading the model", 1, true), "no load progress in vim.lsp.status(): " .. shown)
  H.out("load steps: " .. table.concat(vim.tbl_keys(described), " | "))
  vim.api.nvim_win_set_cursor(0, { 5, 0 })
  H.type("S        总价 +=")
  local partial_seen = nil
  wait_for("the final suggestion", function()
    local stats = daima.stats()
    if stats.draw_progress.count > 0 and partial_seen == nil then
      partial_seen = ghost.current(0)
    end
    return stats.draw_response.count > 0
  end, 120000)
  local final = ghost.current(0)
  assert(partial_seen ~= nil, "no partial text was drawn before the final answer: " .. vim.json.encode(raw))
  assert(final ~= nil and final ~= "", "no final suggestion")
  H.out(("partial %q, final %q"):format(partial_seen, final))
  local before = vim.api.nvim_get_current_line()
  local lines_before = vim.api.nvim_buf_line_count(0)
  H.type("<Tab>")
  local inserted = table.concat(vim.api.nvim_buf_get_lines(0, 4, 4 + vim.api.nvim_buf_line_count(0) - lines_before + 1, false), "\n")
  eq(before .. final, inserted:sub(1, #before + #final), "text after accept")
  H.out("STATS " .. vim.json.encode(daima.stats()))
end)

H.run()
