-- daima's Neovim options: the defaults table (documented in doc/daima.txt) and its validation.
--
-- `server` mirrors daima/config.py name for name (camelCase, as on the wire); it is sent as LSP
-- initializationOptions and, on change, as workspace/didChangeConfiguration `settings.daima`.
local M = {}

M.defaults = {
  -- Command that starts the language server. nil: `daima serve` from $PATH, else (with project_venv)
  -- the project's .venv/bin/daima, else `python3 -I -m daima serve`.
  cmd = nil,
  -- Use the opened project's .venv/bin/daima when daima is not on $PATH. Off: opening a cloned
  -- repository must not run its code. Turn it on for a project you trust (e.g. daima's own checkout).
  project_venv = false,
  -- Filetypes to attach to; "*" attaches to every normal buffer with a filetype.
  filetypes = { "python", "javascript", "typescript", "javascriptreact", "typescriptreact", "lua",
    "go", "rust", "c", "cpp", "java", "sh", "markdown" },
  root_markers = { ".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml" },
  -- Position encodings offered to the server, preferred first (the server picks one).
  position_encodings = { "utf-8", "utf-16" },
  -- Use Neovim's built-in inline completion (0.12+) instead of daima's own ghost text.
  use_builtin = true,
  -- Request suggestions automatically while typing in insert mode.
  auto_trigger = true,
  -- Adaptive debounce: wait about 1.5x the user's recent keystroke interval, within these bounds.
  -- The lower bound defaults to server.completion.debounceMs.
  debounce = { min_ms = nil, max_ms = 250 },
  keymaps = {
    -- Each key acts only on a shown suggestion; otherwise it runs the mapping it replaced (another
    -- plugin's) or its own meaning. Apart from <Tab>, none is one of Copilot's defaults. false: unmapped.
    accept = "<Tab>",
    accept_word = "<C-Right>",
    accept_line = "<C-Down>",
    dismiss = "<C-e>",
    next = "<M-n>", -- with one suggestion shown, asks the server for alternatives
    prev = "<M-p>",
    next_edit = "<M-j>", -- normal mode: jump to the proposed next edit; on it, apply it
  },
  -- After a change (normal mode, or on leaving insert mode), ask for the edits it calls for elsewhere
  -- in the buffer: a rename's other identifiers, a new parameter's calls (no model needed).
  next_edit = true,
  highlight = "DaimaGhost", -- grey italic (underlined in 8 colours) unless you define it
  server = {
    model = {
      name = "auto", -- alias, model dir, .gguf file, hub id, "auto" or "none" (identifier completion)
      device = "auto", -- "auto", "cpu", "cuda", "cuda:1", ...
      dtype = "auto",
      remoteUrl = "", -- OpenAI-compatible server used instead of a local model
      remoteModel = "",
      remoteApiKeyEnv = "DAIMA_API_KEY",
      remoteTimeoutMs = 10000,
      remoteTokenizer = "",
      cacheBudgetMb = 0, -- 0: 512 MB on a CPU, 2048 MB on a GPU
      contextTokens = 8192, -- KV buffer of the local engine (prompt + suggestion), capped by the model
      compile = true,
      speculative = false,
      quantize = "auto", -- int8 matrices on a CPU, the weights as loaded on a GPU; "int4": 4-bit layers (see model.quantize)
    },
    completion = {
      enabled = true,
      template = "auto",
      maxTokens = 64,
      maxLines = 8,
      maxTimeMs = 2000,
      promptTokens = 2048,
      suffixShare = 0.25,
      suffixTimeShare = 0.1, -- share of the deadline the suffix may take to prefill (0 = no cap)
      contextShare = 0.25,
      debounceMs = 75,
      disabledLanguages = {},
      extraCandidates = 2,
      englishReading = true,
      nextEditTimeMs = 8000, -- model time for one request's pattern edits (0 = no limit)
    },
    index = { enabled = true, maxFileKb = 1024, exclude = {}, watch = true, encodings = { "utf-8", "gb18030" } },
    logLevel = "info",
  },
}

local function is_list_of_strings(value)
  if type(value) ~= "table" then
    return false
  end
  for _, item in ipairs(value) do
    if type(item) ~= "string" then
      return false
    end
  end
  return true
end

local function key_or_false(value)
  return value == false or type(value) == "string"
end

--- Merges `opts` over the defaults and validates the result; raises a readable error on bad input.
function M.resolve(opts)
  vim.validate("opts", opts, "table", true)
  local config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  -- Lists replace rather than merge element by element.
  for _, key in ipairs({ "filetypes", "root_markers", "position_encodings" }) do
    if opts and opts[key] ~= nil then
      config[key] = opts[key]
    end
  end
  vim.validate("cmd", config.cmd, function(v)
    return v == nil or is_list_of_strings(v)
  end, "a list of strings, e.g. { 'daima', 'serve' }")
  vim.validate("filetypes", config.filetypes, function(v)
    return v == "*" or is_list_of_strings(v)
  end, '"*" or a list of filetypes')
  vim.validate("root_markers", config.root_markers, is_list_of_strings, "a list of file names")
  vim.validate("position_encodings", config.position_encodings, is_list_of_strings, "a list of encodings")
  vim.validate("use_builtin", config.use_builtin, "boolean")
  vim.validate("project_venv", config.project_venv, "boolean")
  vim.validate("auto_trigger", config.auto_trigger, "boolean")
  vim.validate("next_edit", config.next_edit, "boolean")
  vim.validate("debounce.min_ms", config.debounce.min_ms, "number", true)
  vim.validate("debounce.max_ms", config.debounce.max_ms, "number")
  for name, _ in pairs(M.defaults.keymaps) do
    vim.validate("keymaps." .. name, config.keymaps[name], key_or_false, "a key string or false")
  end
  vim.validate("highlight", config.highlight, "string")
  vim.validate("server", config.server, "table")
  vim.validate("server.model.name", config.server.model.name, "string")
  vim.validate("server.model.device", config.server.model.device, "string")
  vim.validate("server.model.remoteUrl", config.server.model.remoteUrl, "string")
  vim.validate("server.completion.enabled", config.server.completion.enabled, "boolean")
  vim.validate("server.completion.maxTokens", config.server.completion.maxTokens, "number")
  vim.validate("server.completion.debounceMs", config.server.completion.debounceMs, "number")
  vim.validate(
    "server.completion.disabledLanguages",
    config.server.completion.disabledLanguages,
    is_list_of_strings,
    "a list of filetypes"
  )
  return config
end

return M
