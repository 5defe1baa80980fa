#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <span>

#include "config.hpp"
#include "listener.hpp"
#include "logger.hpp"
#include "worker.hpp"

namespace hello {

// What the shutdown sequence acts on; the server owns all of it.
struct ShutdownScope {
  const Config& config;
  const Logger& logger;
  ServerState& state;
  int signal_fd;     // signalfd for SIGTERM and SIGINT
  int workers_done;  // eventfd: a worker stopped accepting or finished
  std::span<const std::unique_ptr<Worker>> workers;
  const std::atomic<unsigned>& finished;  // workers whose run() returned
  Listener& listener;
  Listener& metrics_listener;
};

// Waits for the first SIGTERM or SIGINT, then: readiness off and every answer
// closing its connection; the drain delay; the workers stop accepting and the
// listeners close once all have; the workers finish, or are forced to at the
// shutdown timeout. Returns the exit status (0, or 1 at the timeout); a
// second signal exits the process at once. The caller joins the threads.
[[nodiscard]] int run_shutdown_sequence(const ShutdownScope& scope);

[[nodiscard]] inline double seconds(std::chrono::milliseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

}  // namespace hello
