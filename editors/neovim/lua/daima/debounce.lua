-- Adaptive debounce (after Tabby): wait a little longer than the user's own keystroke rhythm, so a
-- fast typist sends one request when they pause instead of one per key, and a slow one is not kept
-- waiting longer than needed. The same rule is in editors/vscode/src/debounce.ts.
local M = {}
M.__index = M

local ALPHA = 0.3 -- weight of the newest interval in the moving average
local FACTOR = 1.5 -- wait this many average intervals after the last key
local PAUSE_MS = 1000 -- a gap this long is a pause, not typing rhythm

--- A debouncer whose delay stays within [min_ms, max_ms].
function M.new(min_ms, max_ms)
  return setmetatable({ min_ms = min_ms, max_ms = math.max(min_ms, max_ms), average = nil, last = nil }, M)
end

--- Records a keystroke at `now_ms` and returns the delay to wait before requesting.
function M:keystroke(now_ms)
  if self.last ~= nil then
    local interval = now_ms - self.last
    if interval < PAUSE_MS then
      self.average = self.average and (ALPHA * interval + (1 - ALPHA) * self.average) or interval
    end
  end
  self.last = now_ms
  return self:delay()
end

--- The current delay in milliseconds.
function M:delay()
  if self.average == nil then
    return self.min_ms
  end
  return math.floor(math.min(self.max_ms, math.max(self.min_ms, self.average * FACTOR)))
end

return M
