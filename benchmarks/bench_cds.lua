-- wrk script for benchmarks/bench_cds.py (--client wrk): replays prepared requests.
-- Arguments: METHOD PATH TOKENS_FILE BODIES_FILE LIMIT
--   TOKENS_FILE: one pre-signed JWT per line ("-" for none); each is sent once (unique jti).
--   BODIES_FILE: one JSON body per line, used in turn ("-" for none).
--   LIMIT: the thread stops once this many requests were sent (bounded run; the last ones
--     still in flight are not counted) and prints "stopped";
--     the caller then sends SIGINT, which ends wrk's wait for its -d duration.
-- Prints one JSON line with the latency percentiles (ms), requests, seconds and non-2xx count.

local method, path, tokens, bodies, limit
local sent = 0

local function lines(name)
  local out = {}
  if name ~= "-" then
    for line in io.lines(name) do out[#out + 1] = line end
  end
  return out
end

function init(args)
  method, path = args[1], args[2]
  tokens, bodies = lines(args[3]), lines(args[4])
  limit = tonumber(args[5])
end

function request()
  sent = sent + 1
  if sent == limit + 1 then
    -- the bounded run is over: the responses still in flight are not counted. Stopping here
    -- rather than in a response() callback spares wrk handing every response to Lua.
    wrk.thread:stop()
    io.write("stopped\n")  -- bench_cds.py then ends wrk's timed wait with SIGINT
    io.flush()
  end
  local headers = {}
  if #tokens > 0 then headers["Authorization"] = "Bearer " .. (tokens[sent] or "exhausted") end
  local body = nil
  if #bodies > 0 then
    body = bodies[(sent - 1) % #bodies + 1]
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"n": %d, "seconds": %.6f, "failures": %d, "errors": %d, "p50_ms": %.3f, ' ..
    '"p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
