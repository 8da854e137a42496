-- Headless test of next-edit suggestions against the real `daima serve` (model "none"). Run like
-- test_plugin.lua, with DAIMA_CMD, DAIMA_WORKDIR and DAIMA_ENCODING set.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)), "harness.lua"))
local test, eq, wait_for = H.test, H.eq, H.wait_for

local env = H.environment()
local encoding, cmd, workdir = env.encoding, env.cmd, env.workdir
-- A module and a file importing from it, on disk before the server starts (it indexes them).
vim.fn.mkdir(vim.fs.joinpath(workdir, "账本"), "p")
local TOOLS = { "def 合计(流水):", "    return sum(流水)", "", "", "def 平均(流水):", "    return 合计(流水) / len(流水)" }
local REPORT = { "from 账本.工具 import 合计", "", "", "def 报告(流水):", "    return 合计(流水)" }
vim.fn.writefile(TOOLS, vim.fs.joinpath(workdir, "账本", "工具.py"))
vim.fn.writefile(REPORT, vim.fs.joinpath(workdir, "报表.py"))

local daima = require("daima")
local next_edit = require("daima.next_edit")
daima.setup({
  cmd = cmd,
  root_markers = env.root_markers,
  position_encodings = { encoding },
  use_builtin = false,
  server = { model = { name = "none" }, index = { watch = false } },
})

local SOURCE = {
  "def 结账(商品列表, 折扣):",
  "    总价 = 0",
  "    for 商品 in 商品列表:",
  "        总价 += 商品.总价 * 折扣",
  '    return ("😀", 总价)',
}

local function open(name, lines)
  return H.open(vim.fs.joinpath(workdir, name), lines)
end

local function lines()
  return vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

local function marks()
  local found = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, next_edit.ns, 0, -1, { details = true })) do
    local d = mark[4]
    found[#found + 1] = {
      row = mark[2], col = mark[3], end_col = d.end_col, hl = d.hl_group,
      text = d.virt_text and d.virt_text[1][1] or nil,
    }
  end
  return found
end

local function proposals_count()
  local edits = next_edit.proposals(0)
  return edits and #edits or 0
end

test("a rename made in normal mode is proposed at the other identifiers, jumped to and applied", function()
  open("收银.py", SOURCE)
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  H.type("ciw合计<Esc>")
  wait_for("two proposals", function()
    return proposals_count() == 2
  end)
  local drawn = marks()
  -- Line 4: 总价 struck through at bytes 8..14, 合计 drawn after it; line 5: after the emoji.
  local struck = vim.tbl_filter(function(m)
    return m.hl == "DaimaNextEditOld"
  end, drawn)
  eq({ { row = 3, col = 8, end_col = 14 }, { row = 4, col = 20, end_col = 26 } }, vim.tbl_map(function(m)
    return { row = m.row, col = m.col, end_col = m.end_col }
  end, struck), "the old text is marked where it is")
  local added = vim.tbl_filter(function(m)
    return m.text ~= nil
  end, drawn)
  eq({ "合计", "合计" }, vim.tbl_map(function(m)
    return m.text
  end, added), "the new text is drawn beside it")
  eq(SOURCE[4], lines()[4], "nothing applied before the key")

  H.type("<M-j>")
  eq({ 4, 8 }, vim.api.nvim_win_get_cursor(0), "the first key jumps to the next proposal")
  H.type("<M-j>")
  eq("        合计 += 商品.总价 * 折扣", lines()[4], "the second applies it (the attribute stays)")
  wait_for("the remaining proposal", function()
    return proposals_count() == 1
  end)
  H.type("<M-j>")
  eq(5, vim.api.nvim_win_get_cursor(0)[1], "jump to the last one")
  H.type("<M-j>")
  eq('    return ("😀", 合计)', lines()[5], "applied after the emoji")
  H.sleep(400)
  eq(0, proposals_count(), "nothing left to propose")
  eq(0, #marks(), "nothing drawn")
end)

test("an added parameter is passed at the call; typing clears; the key falls back when none is shown", function()
  open("签名.py", {
    "def 合计(列表):",
    "    return sum(列表)",
    "",
    "def 结算(列表, 税率):",
    "    return 合计(列表) * 税率",
  })
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  H.type("f)i, 税率<Esc>")
  wait_for("the call's proposal", function()
    return proposals_count() == 1
  end)
  eq({ { row = 4, col = 24, text = ", 税率" } }, vim.tbl_map(function(m)
    return { row = m.row, col = m.col, text = m.text }
  end, marks()), "an insertion is drawn as new text only")
  H.type("<M-j><M-j>")
  eq("    return 合计(列表, 税率) * 税率", lines()[5], "jumped and applied")
  wait_for("nothing left", function()
    return proposals_count() == 0
  end)
  -- A proposal shown, then typing in insert mode: it goes at once.
  vim.api.nvim_win_set_cursor(0, { 5, 0 })
  H.type("$ciw税额<Esc>")
  wait_for("the rename's proposals", function()
    return proposals_count() == 2 and #marks() > 0
  end)
  H.type("ox")
  eq(0, #marks(), "typing clears what was drawn")
  H.type("<Esc>u")
  -- No proposal: the unmapped <M-j> is <Esc>j, as before daima mapped it.
  next_edit.clear(0)
  local before = lines()
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  H.type("<M-j>")
  eq(2, vim.api.nvim_win_get_cursor(0)[1], "<M-j> without a proposal moves down a line")
  eq(before, lines(), "and changes nothing")
end)

test("a module-level rename goes on in the files that import it, once the key opens them", function()
  vim.cmd("edit! " .. vim.fn.fnameescape(vim.fs.joinpath(workdir, "账本", "工具.py")))
  vim.api.nvim_win_set_cursor(0, { 1, 4 })
  H.type("ciw求和<Esc>")
  wait_for("the call in this file", function()
    return proposals_count() == 1
  end)
  H.type("<M-j><M-j>")
  eq("    return 求和(流水) / len(流水)", lines()[6], "applied here")
  H.sleep(300)
  eq(0, proposals_count(), "nothing left here")
  H.type("<M-j>")
  eq("报表.py", vim.fs.basename(vim.api.nvim_buf_get_name(0)), "the key opened the importing file")
  wait_for("the rename proposed there", function()
    return proposals_count() == 2
  end)
  H.type("<M-j><M-j>")
  wait_for("the other one", function()
    return proposals_count() == 1
  end)
  H.type("<M-j><M-j>")
  eq({ "from 账本.工具 import 求和", "", "", "def 报告(流水):", "    return 求和(流水)" }, lines(), "renamed there")
end)

H.run()
