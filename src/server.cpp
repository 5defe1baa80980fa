#include "server.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "build_info.hpp"
#include "cpu_limit.hpp"
#include "errno_text.hpp"
#include "fd_budget.hpp"
#include "listener.hpp"
#include "process_stats.hpp"
#include "shutdown.hpp"
#include "worker.hpp"

namespace hello {
namespace {

using Clock = std::chrono::steady_clock;

// Lifts the soft descriptor limit to the hard one (as Go's runtime does) and
// returns how many connections fit under it, besides what the process
// itself needs (counted now, with everything open but the workers').
unsigned fit_connections_to_fd_limit(unsigned wanted, unsigned threads, const ProcessStatsReader& process,
                                     const Logger& logger) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return wanted;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur == RLIM_INFINITY) {
    return wanted;
  }
  // Counted with the kernel's help; if that fails, the reserve assumes the
  // usual handful (stdio, listener, signalfd, eventfd, procfs).
  constexpr std::uint64_t usual_open = 8;
  const auto reserved = reserved_descriptors(process.open_fds().value_or(usual_open), threads);
  const auto fitting = connections_within(limit.rlim_cur, reserved, wanted);
  if (fitting < wanted) {
    logger.warn("max-connections lowered to fit the open-files limit",
                {{"wanted", wanted},
                 {"max_connections", fitting},
                 {"nofile", static_cast<std::uint64_t>(limit.rlim_cur)},
                 {"reserved", reserved}});
  }
  return fitting;
}

}  // namespace

int run_server(const Config& config, const Logger& logger) {
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  // Blocked before any thread starts, so every thread inherits the mask and
  // the signals are only ever read from the signalfd below.
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
  const UniqueFd signal_fd{::signalfd(-1, &shutdown_signals, SFD_CLOEXEC)};
  const UniqueFd workers_done{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!signal_fd || !workers_done) {
    logger.error("cannot create signalfd/eventfd", {{"error", errno_text(errno)}});
    return 1;
  }

  auto opened = open_listener(config.address, config.port);
  if (auto* problem = std::get_if<std::string>(&opened)) {
    logger.error("cannot listen", {{"error", *problem}});
    return 1;
  }
  auto listener = std::move(std::get<Listener>(opened));
  auto opened_metrics = open_listener(config.address, config.metrics_port);
  if (auto* problem = std::get_if<std::string>(&opened_metrics)) {
    logger.error("cannot listen on the metrics port", {{"error", *problem}});
    return 1;
  }
  auto metrics_listener = std::move(std::get<Listener>(opened_metrics));

  const unsigned threads = config.threads != 0 ? config.threads : available_cpus();
  CachedProcessStats process_stats;
  const unsigned max_connections =
      fit_connections_to_fd_limit(config.max_connections, threads, process_stats.reader(), logger);
  const ResponseCatalog responses{build::version, build::revision};
  MetricsRegistry metrics{threads, BuildLabels{build::version, build::revision}};
  ServerState state;
  const WorkerShared shared{config,
                            logger,
                            responses,
                            metrics,
                            process_stats,
                            state,
                            listener.fd.get(),
                            metrics_listener.fd.get(),
                            max_connections,
                            workers_done.get()};

  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads_running;
  std::atomic<unsigned> finished{0};
  try {
    for (unsigned i = 0; i < threads; ++i) {
      workers.push_back(std::make_unique<Worker>(shared, i));
    }
  } catch (const std::exception& error) {
    logger.error("cannot start workers", {{"error", error.what()}});
    return 1;
  }
  for (unsigned i = 0; i < threads; ++i) {
    threads_running.emplace_back([&, i] {
      const std::string name = "hello-worker-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      try {
        workers[i]->run();
      } catch (const std::exception& error) {
        logger.error("worker failed", {{"worker", i}, {"error", error.what()}});
        std::_Exit(1);
      }
      finished.fetch_add(1);
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(workers_done.get(), &one, sizeof(one));
    });
  }

  state.ready.store(true);
  logger.info("listening", {{"address", config.address},
                            {"port", static_cast<unsigned>(listener.port)},
                            {"metrics_port", static_cast<unsigned>(metrics_listener.port)},
                            {"threads", threads},
                            {"max_connections", max_connections},
                            {"drain_delay_s", seconds(config.drain_delay)},
                            {"shutdown_timeout_s", seconds(config.shutdown_timeout)},
                            {"version", build::version},
                            {"revision", build::revision}});

  const int status = run_shutdown_sequence(ShutdownScope{config, logger, state, signal_fd.get(), workers_done.get(),
                                                         workers, finished, listener, metrics_listener});
  for (auto& thread : threads_running) {
    thread.join();
  }
  listener.fd.reset();
  metrics_listener.fd.reset();
  logger.info("stopped", {{"exit_code", status}});
  return status;
}

}  // namespace hello
