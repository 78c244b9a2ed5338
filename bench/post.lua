-- wrk script: POST GraphQL bodies in turn (one JSON document per line of the file given after
-- `--`), then print the run's figures as one JSON line. Used by bench/load.py.
local bodies = {}
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(bodies, line) end
  end
end

function request()
  n = n % #bodies + 1
  return wrk.format("POST", "/graphql", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/graphql-response+json",
  }, bodies[n])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max))
end
