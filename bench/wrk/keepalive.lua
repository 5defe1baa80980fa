-- Keep-alive: one request per write, answered before the next is sent, on
-- each of wrk's connections. No request() function, so wrk sends a static
-- buffer and costs as little per request as it can.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
