-- wrk script for the Banter benchmark. BENCH_MODE: get | post_one | post_many.
-- BENCH_AUTH is the base64 Basic credential, BENCH_TOKEN an Access Token sent as a Bearer
-- credential instead (an end user); BENCH_PATHS a comma-separated list of channel
-- message paths for post_many. Prints one RESULT line for bench/run.py to parse.
local mode = os.getenv("BENCH_MODE") or "get"
local auth = os.getenv("BENCH_AUTH")
local token = os.getenv("BENCH_TOKEN")
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "", "[^,]+") do
  paths[#paths + 1] = p
end

if token then
  wrk.headers["Authorization"] = "Bearer " .. token
elseif auth then
  wrk.headers["Authorization"] = "Basic " .. auth
end
if mode ~= "get" then
  wrk.method = "POST"
  -- `From` names the author for Chat v2, `Author` for Conversations (each ignores the other).
  wrk.body = "Body=hello+from+the+bench&From=bench&Author=bench"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

if mode == "post_many" then
  request = function()
    return wrk.format(nil, paths[math.random(#paths)])
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("RESULT %d %.1f %.3f %.3f %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors))
end
