-- wrk script: counts non-2xx responses per thread and prints one
-- machine-readable RESULT line, so a run can assert "no failed request".
-- wrk's own error counters cover socket errors and timeouts.

-- Global on purpose: done() reads it from each thread with thread:get().
non2xx = 0

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d duration_us=%d p99_us=%d max_us=%d\n",
    summary.requests, bad, e.connect, e.read, e.write, e.timeout,
    summary.duration, latency:percentile(99), latency.max))
end
