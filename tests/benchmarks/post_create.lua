-- wrk script: POST one valid create body, with the headers the documentation's curl sends.
-- Environment: KORE_BODY_FILE (the JSON body), KORE_TOKEN (the auth JWT).
local file = assert(io.open(os.getenv("KORE_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["auth"] = os.getenv("KORE_TOKEN") or ""
wrk.headers["accountid"] = "acc-bench"
wrk.headers["iid"] = "st-bench"
