-- wrk script of `make bench`: one POST of a prepared JSON body per request.
--
-- Environment (set by bench/lib.sh):
--   BENCH_BODY     file holding the request body (small, 100 ms or 2 MB)
--   BENCH_HEADERS  extra request headers, "Name: value" separated by "|"
--   BENCH_PACE_MS  if set, each connection waits this long between
--                  requests (a paced load for latency percentiles)
--   BENCH_CHECK    if "1", every response is checked: 2xx and a body that
--                  holds "choices"; failures are counted as "bad" (slower,
--                  so the timed runs leave it off and rely on wrk's own
--                  count of non-2xx and socket errors)
-- done() prints one line "BENCHJSON {...}" with the summary.

local function slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.body = slurp(os.getenv("BENCH_BODY"))
wrk.headers["Content-Type"] = "application/json"
for h in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
  local name, value = string.match(h, "^%s*([^:]+):%s*(.-)%s*$")
  if name then
    wrk.headers[name] = value
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local pace = tonumber(os.getenv("BENCH_PACE_MS") or "")
if pace and pace > 0 then
  function delay()
    return pace
  end
end

if os.getenv("BENCH_CHECK") == "1" then
  bad = 0
  bad_sample = ""
  function response(status, headers, body)
    if status < 200 or status > 299 or not string.find(body, '"choices"', 1, true) then
      bad = bad + 1
      if bad_sample == "" then
        bad_sample = status .. " " .. string.sub(body or "", 1, 160)
      end
    end
  end
end

local function jsonstr(s)
  return '"' .. string.gsub(s, '[%c"\\]', "_") .. '"'
end

function done(summary, latency, requests)
  local bad_total, sample = 0, ""
  for _, t in ipairs(threads) do
    local b = t:get("bad")
    if b then
      bad_total = bad_total + b
      local s = t:get("bad_sample")
      if sample == "" and s then
        sample = s
      end
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"lat_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},' ..
    '"bad":%d,"bad_sample":%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean,
    bad_total, jsonstr(sample)))
end
