-- wrk script: POST create bodies, each with its own name and priority, until each thread
-- has sent its quota (then it stops). Environment: KORE_BODY_FILE (a JSON body whose name
-- is "@NAME@" and priority "@PRIORITY@"), KORE_TOKEN (the auth JWT), KORE_QUOTA (creates
-- per thread), KORE_ACCOUNT (the accountid header).
local file = assert(io.open(os.getenv("KORE_BODY_FILE"), "rb"))
local template = file:read("*a")
file:close()
local quota = tonumber(os.getenv("KORE_QUOTA") or "1000")
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  sent = 0
  answered = 0
  math.randomseed(id * 7919 + 17)
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["auth"] = os.getenv("KORE_TOKEN") or ""
  wrk.headers["accountid"] = os.getenv("KORE_ACCOUNT") or "acc-bench"
  wrk.headers["iid"] = "st-bench"
end

function request()
  sent = sent + 1
  local name = string.format("Bench %08x %d-%d", math.random(0, 0x7fffffff), id, sent)
  local body = template:gsub("@NAME@", name):gsub("@PRIORITY@", tostring(sent % 5 + 1))
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= quota then
    wrk.thread:stop()
  end
end
