-- wrk script: POST a fresh lead each request (random CN mobile, so few duplicates).
local key = os.getenv("BENCH_KEY") or ""
local path = os.getenv("BENCH_PATH") or "/api/v1/leads"
local n = 0
-- BENCH_SEED: set apart per wrk process (two started in the same instant would draw the same phones)
math.randomseed(os.time() + math.floor(os.clock() * 1000000) + tonumber(os.getenv("BENCH_SEED") or "0"))
request = function()
  n = n + 1
  local phone = string.format("13%d%08d", math.random(0, 9), math.random(0, 99999999))
  local body = string.format('{"name":"Bench %d","phone":"%s","source":"ads","budget":"10万"}', n, phone)
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %.1f %.1f %.1f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration, 0, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
