-- Connection: close: every request on a new connection; the server closes
-- it after answering, and wrk connects again.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.headers["Connection"] = "close"
