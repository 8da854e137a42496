-- :checkhealth daima, headless: prints the report so the Python wrapper can check it.
-- DAIMA_CMD (JSON list) is the server command; DAIMA_WORKDIR a scratch directory.
local cmd = vim.json.decode(os.getenv("DAIMA_CMD"))
local workdir = os.getenv("DAIMA_WORKDIR")
vim.fn.writefile({}, vim.fs.joinpath(workdir, "daima-test-root"))
require("daima").setup({
  cmd = cmd,
  root_markers = { "daima-test-root" },
  server = { model = { name = "none" }, index = { watch = false } },
})
local path = vim.fs.joinpath(workdir, "health.py")
vim.fn.writefile({ "x = 1" }, path)
vim.cmd("edit " .. vim.fn.fnameescape(path))
-- Wait for the server only when it can start at all (the failure case checks the advice instead).
vim.wait(vim.fn.executable(cmd[1]) == 1 and 20000 or 0, function()
  local client = require("daima.lsp").client(0)
  return client ~= nil and client.initialized
end, 20)
if os.getenv("DAIMA_HEALTH_PROBE_MS") then
  require("daima.health").probe_timeout_ms = tonumber(os.getenv("DAIMA_HEALTH_PROBE_MS"))
end
vim.cmd("checkhealth daima")
io.stdout:write(table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n")
vim.cmd("qall!")
