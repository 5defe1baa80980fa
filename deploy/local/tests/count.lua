-- wrk script: counts the requests sent and the non-2xx responses per thread,
-- by status (502, 503, 504, other), and prints one machine-readable RESULT
-- line, so a run can assert "no failed request" and say which kind failed.
-- wrk's own error counters cover the rest: connect, read (a connection closed
-- or reset under a request), write, timeout.

-- Globals on purpose: done() reads them from each thread with thread:get().
sent = 0
non2xx = 0
s502 = 0
s503 = 0
s504 = 0

local threads = {}
local formatted

function setup(thread)
  table.insert(threads, thread)
end

-- The request wrk would send (its -H headers included), built once.
function init(args)
  formatted = wrk.format()
end

function request()
  sent = sent + 1
  return formatted
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if status == 502 then
      s502 = s502 + 1
    elseif status == 503 then
      s503 = s503 + 1
    elseif status == 504 then
      s504 = s504 + 1
    end
  end
end

function done(summary, latency, requests)
  local total = { sent = 0, non2xx = 0, s502 = 0, s503 = 0, s504 = 0 }
  for _, thread in ipairs(threads) do
    for name in pairs(total) do
      total[name] = total[name] + thread:get(name)
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT sent=%d requests=%d non2xx=%d s502=%d s503=%d s504=%d connect=%d read=%d write=%d timeout=%d duration_us=%d p99_us=%d max_us=%d\n",
    total.sent, summary.requests, total.non2xx, total.s502, total.s503, total.s504,
    e.connect, e.read, e.write, e.timeout, summary.duration, latency:percentile(99), latency.max))
end
