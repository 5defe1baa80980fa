#include "shutdown.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <optional>

namespace hello {
namespace {

using Clock = std::chrono::steady_clock;

std::string_view signal_name(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal";
  }
}

// Waits for a shutdown signal or for `other_fd` to become readable.
struct WaitResult {
  std::optional<int> signal;
  bool other_ready = false;
};

WaitResult wait_for(int signal_fd, int other_fd, std::optional<Clock::duration> timeout) {
  const auto deadline = timeout ? std::optional{Clock::now() + *timeout} : std::nullopt;
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{signal_fd, POLLIN, 0}, pollfd{other_fd, POLLIN, 0}};
    int wait_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) {
        return {};
      }
      wait_ms = static_cast<int>(left);
    }
    const int ready = ::poll(fds.data(), other_fd >= 0 ? 2 : 1, wait_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      if (ready < 0) {
        return {};
      }
      continue;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      if (::read(signal_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        return {static_cast<int>(info.ssi_signo), false};
      }
    }
    if (other_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto read = ::read(other_fd, &count, sizeof(count));
      return {std::nullopt, true};
    }
  }
}

[[noreturn]] void exit_at_once(int signal, const Logger& logger) {
  logger.warn("second signal; exiting at once", {{"signal", signal_name(signal)}});
  // No destructors, no joins: the caller asked twice.
  std::_Exit(128 + signal);
}

}  // namespace

int run_shutdown_sequence(const ShutdownScope& scope) {
  const auto first = wait_for(scope.signal_fd, -1, std::nullopt);
  const int signal = first.signal.value_or(SIGTERM);
  scope.state.ready.store(false, std::memory_order_release);
  // From now on every answer closes its connection: a load balancer that
  // keeps connections open then opens new ones, which land on ready replicas.
  scope.state.draining.store(true, std::memory_order_release);
  scope.logger.info("shutdown: readiness off, draining",
                    {{"signal", signal_name(signal)}, {"drain_delay_s", seconds(scope.config.drain_delay)}});

  if (auto during_drain = wait_for(scope.signal_fd, -1, scope.config.drain_delay); during_drain.signal) {
    exit_at_once(*during_drain.signal, scope.logger);
  }

  scope.logger.info("shutdown: drain over, closing the listener",
                    {{"open_connections", scope.state.open_connections.load()},
                     {"shutdown_timeout_s", seconds(scope.config.shutdown_timeout)}});
  for (const auto& worker : scope.workers) {
    worker->stop_accepting();
  }
  const auto deadline = Clock::now() + scope.config.shutdown_timeout;
  int status = 0;
  while (scope.finished.load() < scope.workers.size()) {
    if (scope.listener.fd && scope.state.workers_not_accepting.load() == scope.workers.size()) {
      // Every worker has taken what was queued; from now on connection
      // attempts are refused instead of waiting in a queue nobody reads.
      scope.listener.fd.reset();
      scope.metrics_listener.fd.reset();
      scope.logger.info("shutdown: listener closed", {{"open_connections", scope.state.open_connections.load()}});
    }
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      scope.logger.error("shutdown timeout; closing the connections still open",
                         {{"open_connections", scope.state.open_connections.load()}});
      for (const auto& worker : scope.workers) {
        worker->force_stop();
      }
      status = 1;
      break;
    }
    if (auto waited = wait_for(scope.signal_fd, scope.workers_done, left); waited.signal) {
      exit_at_once(*waited.signal, scope.logger);
    }
  }
  return status;
}

}  // namespace hello
