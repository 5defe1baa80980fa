-- Pipelined: 16 requests in one write; wrk sends the next 16 once all 16
-- responses have arrived.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local depth = 16
local batch

function init(args)
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format()
  end
  batch = table.concat(requests)
end

function request()
  return batch
end
