-- The language-server side: finding and starting `daima serve`, sending requests, daima/* messages.
local M = {}

M.NAME = "daima"
M.status = nil -- last daima/status payload
M.on_progress = nil -- set by init.lua: function(params)

--- The command that starts the server, and how it was found (for :checkhealth).
function M.resolve_cmd(config)
  if config.cmd then
    return config.cmd, "the `cmd` option"
  end
  if vim.fn.executable("daima") == 1 then
    return { vim.fn.exepath("daima"), "serve" }, "`daima` on $PATH"
  end
  -- A project's own .venv is code from the folder that was opened: it runs only when the user said so.
  local venv = vim.fs.find({ ".venv/bin/daima" }, { upward = true, path = vim.fn.getcwd(), type = "file" })[1]
  if venv and config.project_venv then
    return { venv, "serve" }, "the project's .venv (project_venv = true)"
  end
  -- -I (isolated): the current folder is not put on Python's path, so a `daima/` package in the opened
  -- project is not what runs.
  local fallback = { "python3", "-I", "-m", "daima", "serve" }
  if venv then
    return fallback, ("python3 -I -m daima (daima not on $PATH; %s is not used unless project_venv = true)"):format(venv)
  end
  return fallback, "python3 -I -m daima (daima not found on $PATH)"
end

local function capabilities(config)
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.general = caps.general or {}
  caps.general.positionEncodings = config.position_encodings
  caps.textDocument.inlineCompletion = { dynamicRegistration = false }
  return caps
end

local told = nil -- the error message last shown, so each one is shown once

--- One line for people: "ready: qwen2.5-coder-0.5b on cpu, last 412 ms", "loading the weights of qwen…",
--- an error.
function M.describe(status)
  if status == nil then
    return "not started"
  end
  local state, model = status.state or "?", status.model or ""
  if state == "ready" then
    local text = "ready: " .. model .. (status.device ~= "" and (" on " .. status.device) or "")
    if status.lastLatencyMs then
      text = text .. (", last %d ms"):format(status.lastLatencyMs)
    end
    return text
  elseif state == "loading" then
    -- The step the server is at (downloading, converting, loading the weights...), when it says.
    local step = status.message ~= nil and status.message ~= "" and status.message or ("loading " .. model)
    return step .. "…"
  elseif state == "disabled" then
    return "no model (" .. (status.message ~= "" and status.message or "identifier completion") .. ")"
  end
  return state .. ": " .. (status.message or "")
end

--- The message an error status deserves: a model that failed to load, or a loaded one (a remote server)
--- that failed a request; each with what to check.
function M.error_notice(status)
  if status.failed == "request" then
    return "daima: " .. (status.message or "")
      .. "\nCheck the model server (server.model.remoteUrl in setup()); :DaimaLog has the details."
  end
  return "daima: the model could not be loaded: " .. (status.message or "")
    .. "\nCheck server.model.name in setup(), then :DaimaRestart (:DaimaLog has the details)."
end

local function on_status(_, params)
  M.status = params
  vim.schedule(function()
    if params.state == "error" and params.message ~= told then
      told = params.message
      vim.notify(M.error_notice(params), vim.log.levels.ERROR)
    elseif params.state == "ready" then
      told = nil
    end
    vim.api.nvim_exec_autocmds("User", { pattern = "DaimaStatus", modeline = false, data = params })
  end)
end

local LINE_ENDINGS = { unix = "\n", dos = "\r\n", mac = "\r" }

-- The server refused a change (a lost or garbled edit) and stopped completing the buffer until it has
-- the whole text again: send it, as the buffer is now.
local function on_resync(_, params, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local bufnr = params and params.uri and vim.uri_to_bufnr(params.uri)
  if client == nil or not bufnr or not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local eol = LINE_ENDINGS[vim.bo[bufnr].fileformat] or "\n"
  local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), eol)
  if vim.bo[bufnr].eol then
    text = text .. eol
  end
  client:notify("textDocument/didChange", {
    textDocument = { uri = params.uri, version = vim.lsp.util.buf_versions[bufnr] or 0 },
    contentChanges = { { text = text } },
  })
end

local function on_progress(_, params)
  if M.on_progress then
    M.on_progress(params)
  end
end

--- Client ids stopped on purpose: their exit is not a crash.
M.stopping = {}

--- Stops `client` on purpose (a restart): its exit is not reported as a crash.
function M.stop(client, force)
  M.stopping[client.id] = true
  client:stop(force)
end

--- Starts (or reuses) the daima client for `bufnr`; returns the client id or nil.
function M.attach(bufnr, config)
  local cmd = M.resolve_cmd(config)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local root = vim.fs.root(path ~= "" and path or vim.fn.getcwd(), config.root_markers) or vim.fn.getcwd()
  return vim.lsp.start({
    name = M.NAME,
    cmd = cmd,
    root_dir = root,
    capabilities = capabilities(config),
    init_options = config.server,
    settings = { daima = config.server },
    -- Changes go out at once: a completion request flushes them anyway, and a late didChange would
    -- only make the server cancel work it already started.
    flags = { debounce_text_changes = 0 },
    handlers = {
      ["daima/completionProgress"] = on_progress,
      ["daima/status"] = on_status,
      ["daima/resync"] = on_resync,
    },
    -- A server that exits on its own (a crash, a kill) is reported to `on_crash`; one stopped on purpose
    -- (`stop`, Neovim quitting) exits with code 0 and no signal, or is in `stopping`.
    on_exit = function(code, signal, client_id)
      local expected = M.stopping[client_id]
      M.stopping[client_id] = nil
      if not expected and (code ~= 0 or signal ~= 0) and M.on_crash then
        vim.schedule(function()
          M.on_crash(code, signal)
        end)
      end
    end,
    on_error = function(code, err)
      vim.notify(
        ("daima: the language server failed (%s: %s). Run :checkhealth daima"):format(code, vim.inspect(err)),
        vim.log.levels.ERROR
      )
    end,
  }, { bufnr = bufnr, reuse_client = function(client, cfg)
    return client.name == cfg.name and client.config.root_dir == cfg.root_dir
  end })
end

--- The daima client attached to `bufnr`, if any.
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = M.NAME })[1]
end

--- Sends textDocument/inlineCompletion at the cursor; returns the pending-request record or nil.
--- `invoked`: the user asked (manual trigger, cycling): the server then looks for alternatives too.
function M.request(bufnr, handler, invoked)
  local client = M.client(bufnr)
  if client == nil then
    return nil
  end
  local encoding = client.offset_encoding
  local params = vim.lsp.util.make_position_params(0, encoding)
  params.context = { triggerKind = invoked and 1 or 2 } -- 1 invoked, 2 automatic
  local ok, request_id = client:request("textDocument/inlineCompletion", params, handler, bufnr)
  if not ok then
    return nil
  end
  return {
    client = client,
    request_id = request_id,
    encoding = encoding,
    uri = params.textDocument.uri,
    -- After request(): the didChange flush it does has brought the server to this version.
    version = vim.lsp.util.buf_versions[bufnr],
    position = params.position,
  }
end

--- Tells the server where the cursor rests in `bufnr` (daima/cursor): it prefills the prompt of a
--- suggestion there in the background, so the first one after a jump or a file opened comes sooner.
function M.notify_cursor(bufnr)
  local client = M.client(bufnr)
  if client == nil or client:is_stopped() then
    return
  end
  client:notify("daima/cursor", vim.lsp.util.make_position_params(0, client.offset_encoding))
end

--- Cancels a pending request (the server then stops generating for it).
function M.cancel(pending)
  if pending and pending.client and pending.request_id and not pending.client:is_stopped() then
    pending.client:cancel_request(pending.request_id)
  end
end

--- Sends all options again (after setup() was called with new ones).
function M.notify_settings(config)
  for _, client in ipairs(vim.lsp.get_clients({ name = M.NAME })) do
    client.settings = { daima = config.server }
    client:notify("workspace/didChangeConfiguration", { settings = { daima = config.server } })
  end
end

--- Asks the server for daima/status synchronously (used by :checkhealth and :DaimaStatus).
function M.request_status(bufnr, timeout_ms)
  local client = bufnr and M.client(bufnr) or vim.lsp.get_clients({ name = M.NAME })[1]
  if client == nil then
    return nil, "not attached"
  end
  local response, err = client:request_sync("daima/status", vim.empty_dict(), timeout_ms or 2000, bufnr or 0)
  if response == nil then
    return nil, err or "timed out"
  end
  if response.err then
    return nil, response.err.message
  end
  return response.result
end

return M
