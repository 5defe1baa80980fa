-- Shared by the scenario scripts: wrk's summary as one line that bench/compare-servers
-- parses. Latencies are in microseconds; -1 where wrk cannot tell.

-- wrk's coordinated-omission correction assumes one response per
-- connection per interval; pipelined, responses come 16 at a time, the
-- correction adds samples below the smallest recorded latency, and
-- latency:percentile(), which starts counting there, answers 0.
local function percentile(latency, p)
  local value = latency:percentile(p)
  if value <= 0 then
    return -1
  end
  return value
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d status_errors=%d\n",
    summary.requests, summary.duration, summary.bytes,
    percentile(latency, 50), percentile(latency, 90), percentile(latency, 99), latency.max,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status))
end
