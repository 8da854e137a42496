-- Headless Neovim against `daima serve` with the real Qwen2.5-Coder-0.5B model (CPU): a method renamed at
-- one call in normal mode; the model decides the other call, which is drawn in place, jumped to and
-- applied with the same key as an exact proposal.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "harness.lua"))
local eq, wait_for = H.eq, H.wait_for

local daima = require("daima")
local lsp = require("daima.lsp")
local next_edit = require("daima.next_edit")
local workdir = assert(os.getenv("DAIMA_WORKDIR"))

local STORE = {
  "import logging",
  "",
  "日志 = logging.getLogger(__name__)",
  "",
  "",
  "def 加载(路径):",
  '    日志.warn("加载 %s", 路径)',
  '    with open(路径, encoding="utf-8") as 文件:',
  "        return 文件.read()",
  "",
  "",
  "def 保存(路径, 内容):",
  '    日志.warn("保存 %s", 路径)',
  '    with open(路径, "w", encoding="utf-8") as 文件:',
  "        文件.write(内容)",
}

H.test("the real model's pattern edit is drawn, jumped to and applied", function()
  vim.fn.writefile({}, vim.fs.joinpath(workdir, "daima-test-root"))
  daima.setup({
    cmd = vim.json.decode(os.getenv("DAIMA_CMD")),
    root_markers = { "daima-test-root" },
    -- A next-edit deadline no load reaches: on a busy 2-core machine the model's two prompts take longer
    -- than the default 8 s, and the proposal would not come.
    server = {
      model = { name = "qwen2.5-coder-0.5b", device = "cpu" },
      index = { enabled = false },
      completion = { nextEditTimeMs = 60000 },
    },
  })
  local path = vim.fs.joinpath(workdir, "存储.py")
  vim.fn.writefile(STORE, path)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  wait_for("the model to load", function()
    local status = lsp.status
    if status and status.state == "error" then
      error("the model failed to load: " .. tostring(status.message))
    end
    return status ~= nil and status.state == "ready"
  end, 240000)
  vim.api.nvim_win_set_cursor(0, { 7, 11 }) -- on `warn` (byte columns)
  H.type("ciwwarning<Esc>")
  wait_for("the model's proposal", function()
    local edits = next_edit.proposals(0)
    return edits ~= nil and #edits == 1
  end, 120000)
  local drawn = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, next_edit.ns, 0, -1, { details = true })) do
    drawn[#drawn + 1] = { row = mark[2], col = mark[3], text = mark[4].virt_text and mark[4].virt_text[1][1] or nil }
  end
  H.out("drawn " .. vim.json.encode(drawn))
  local texts = vim.tbl_filter(function(m)
    return m.text ~= nil
  end, drawn)
  eq({ { row = 12, text = "warning" } }, vim.tbl_map(function(m)
    return { row = m.row, text = m.text }
  end, texts), "the new word is drawn on the other call's line")
  eq(STORE[13], vim.api.nvim_buf_get_lines(0, 12, 13, false)[1], "nothing applied before the key")
  H.type("<M-j>")
  eq(13, vim.api.nvim_win_get_cursor(0)[1], "the first key jumps to it")
  H.type("<M-j>")
  eq('    日志.warning("保存 %s", 路径)', vim.api.nvim_buf_get_lines(0, 12, 13, false)[1], "the second applies it")
end)

H.run()
