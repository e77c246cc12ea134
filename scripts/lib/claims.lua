-- wrk script of the benchmark's warm claims (scripts/lib/benchmark.py): each wrk thread has one
-- connection and sends `limit` start requests for buckets of its own, one after the other, then
-- stops. Prints one line, CLAIMS {...}, with the counts and every latency in milliseconds, timed
-- here from the moment wrk asks for the request (just before writing it: one request at a time
-- per connection) to its parsed answer, on the monotonic clock (wrk's own histogram cannot be
-- read out value by value). wrk itself runs for its whole -d duration, so
-- each thread writes a line to the FIFO at DONE_PATH when it has its answers; the caller
-- interrupts wrk (SIGINT) once every thread has.
--   wrk -t N -c N -d 300s -s claims.lua URL -- PREFIX LIMIT API_KEY DONE_PATH
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } claims_timespec;
  int clock_gettime(int clock, claims_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local now = ffi.new("claims_timespec")

local function millis()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now)
  return tonumber(now.tv_sec) * 1000 + tonumber(now.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix, limit, key, donePath = args[1], tonumber(args[2]), args[3], args[4]
  sent, answered, warm, failed, latencies, started = 0, 0, 0, 0, {}, 0
end

function request()
  sent = sent + 1
  started = millis()
  local body = string.format('{"s3Bucket":"%s-%d-%d","s3Region":"us-east-1"}', prefix, id, sent)
  return wrk.format("POST", "/api/containers/start", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end

function response(status, headers, body)
  latencies[#latencies + 1] = string.format("%.3f", millis() - started)
  answered = answered + 1
  if status == 200 or status == 201 then
    if string.find(body, '"isPreWarmed":true', 1, true) then warm = warm + 1 end
  else
    failed = failed + 1
  end
  if answered == limit then
    measured = table.concat(latencies, ",")
    local fifo = io.open(donePath, "a")
    fifo:write("done\n")
    fifo:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local answeredAll, warmAll, failedAll, values = 0, 0, 0, {}
  for _, thread in ipairs(threads) do
    answeredAll = answeredAll + thread:get("answered")
    warmAll = warmAll + thread:get("warm")
    failedAll = failedAll + thread:get("failed")
    local measured = thread:get("measured")
    if measured and #measured > 0 then values[#values + 1] = measured end
  end
  io.write(string.format('CLAIMS {"answered":%d,"warm":%d,"failed":%d,"ms":[%s]}\n', answeredAll, warmAll, failedAll, table.concat(values, ",")))
end
