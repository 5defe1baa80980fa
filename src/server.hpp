#pragma once

#include "config.hpp"
#include "logger.hpp"

namespace hello {

// Runs the server until a signal asks it to stop; returns the exit status.
//
// Shutdown, in order: the first SIGTERM or SIGINT turns /readyz to 503 and
// puts "Connection: close" on every answer, while everything is still served
// for the drain delay, so load balancers stop sending new connections and
// give up their open ones; then the listener closes, in-flight requests get
// their answers, idle keep-alive connections are half-closed, and the process
// exits 0 once none is left, or 1 at the shutdown timeout. A second signal
// exits at once.
[[nodiscard]] int run_server(const Config& config, const Logger& logger);

}  // namespace hello
