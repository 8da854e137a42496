-- A tiny test runner for headless Neovim. Tests run in a coroutine, so they can wait for the real
-- event loop (typed keys, timers, LSP messages) while Neovim keeps running its main loop.
local H = {}

local tests = {}
local co = nil

--- Registers a test.
function H.test(name, fn)
  tests[#tests + 1] = { name = name, fn = fn }
end

--- Lets the event loop run for `ms` milliseconds (keys, timers and LSP messages are processed).
function H.sleep(ms)
  local me = coroutine.running()
  vim.defer_fn(function()
    assert(coroutine.resume(me))
  end, ms)
  coroutine.yield()
end

--- Waits until `cond()` is true or fails after `timeout_ms` with `what`.
function H.wait_for(what, cond, timeout_ms)
  local deadline = vim.uv.now() + (timeout_ms or 10000)
  while not cond() do
    if vim.uv.now() > deadline then
      error("timed out waiting for " .. what, 2)
    end
    H.sleep(10)
  end
end

--- Types `keys` as a user would (through the typeahead, so autocmds and mappings fire).
function H.type(keys)
  vim.api.nvim_input(keys)
  H.sleep(1)
  H.wait_for("keys to be processed", function()
    return vim.fn.getchar(1) == 0 and vim.api.nvim_get_mode().blocking == false
  end, 2000)
end

--- What the runner (tests/editors/test_neovim.py) passes: the encoding to offer, the server command
--- and a scratch directory, made the workspace root (so the server indexes it, not the cwd).
function H.environment()
  local workdir = assert(os.getenv("DAIMA_WORKDIR"), "DAIMA_WORKDIR must name a scratch directory")
  vim.fn.writefile({}, vim.fs.joinpath(workdir, "daima-test-root"))
  return {
    encoding = os.getenv("DAIMA_ENCODING") or "utf-16",
    cmd = vim.json.decode(os.getenv("DAIMA_CMD") or '["daima", "serve"]'),
    workdir = workdir,
    root_markers = { "daima-test-root" },
  }
end

--- Writes `lines` to `path`, edits it and waits until daima's client has attached and initialized.
function H.open(path, lines)
  vim.fn.writefile(lines, path)
  vim.cmd("edit! " .. vim.fn.fnameescape(path))
  local lsp = require("daima.lsp")
  H.wait_for("daima to attach", function()
    return lsp.client(0) ~= nil and lsp.client(0).initialized
  end, 15000)
  return vim.api.nvim_get_current_buf()
end

function H.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(("%s: expected %s, got %s"):format(what or "value", vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

local function out(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end
H.out = out

--- Runs every registered test, prints a summary and exits Neovim with 0 only if all passed.
function H.run()
  co = coroutine.create(function()
    local passed, failed = 0, 0
    for _, t in ipairs(tests) do
      local started = vim.uv.hrtime()
      local ok, err = xpcall(t.fn, debug.traceback)
      local ms = (vim.uv.hrtime() - started) / 1e6
      if ok then
        passed = passed + 1
        out(("ok %s (%.0f ms)"):format(t.name, ms))
      else
        failed = failed + 1
        out(("FAIL %s: %s"):format(t.name, err))
      end
    end
    out(("%d passed, %d failed"):format(passed, failed))
    vim.cmd((failed == 0 and passed > 0) and "qall!" or "cquit 1")
  end)
  vim.schedule(function()
    local ok, err = coroutine.resume(co)
    if not ok then
      out("FAIL harness: " .. tostring(err))
      vim.cmd("cquit 2")
    end
  end)
end

return H
