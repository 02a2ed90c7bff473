-- wrk script for scripts/serve_load: POSTs one PNG (the path in GLIMPSE_IMAGE) to /v1/caption.
local file = assert(io.open(os.getenv("GLIMPSE_IMAGE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "image/png"
wrk.path = "/v1/caption"
