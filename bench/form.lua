-- wrk script: POST the hosted web form as a browser does (application/x-www-form-urlencoded),
-- a fresh lead each request (random CN mobile, so few duplicates). BENCH_PATH: /f/<key>.
local path = os.getenv("BENCH_PATH") or "/f/contact"
local n = 0
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  n = n + 1
  local phone = string.format("13%d%08d", math.random(0, 9), math.random(0, 99999999))
  -- name=Bench N, budget=10万 (percent-encoded UTF-8), an empty honeypot as the page sends it
  local body = string.format("name=Bench+%d&phone=%s&budget=10%%E4%%B8%%87&website=", n, phone)
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %.1f %.1f %.1f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration, 0, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
