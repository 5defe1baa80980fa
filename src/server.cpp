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
#include <span>
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
#include "result.hpp"
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
    rlimit lifted = limit;
    lifted.rlim_cur = limit.rlim_max;
    // Refused (a seccomp or LSM policy, say): the soft limit stays, and the
    // connections are fitted under it.
    if (setrlimit(RLIMIT_NOFILE, &lifted) == 0) {
      limit = lifted;
    }
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

// Blocked before any thread starts, so every thread inherits the mask and
// SIGTERM and SIGINT are only ever read from the returned signalfd.
Result<UniqueFd> block_shutdown_signals() {
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
  UniqueFd signal_fd{::signalfd(-1, &shutdown_signals, SFD_CLOEXEC)};
  if (!signal_fd) {
    return "signalfd: " + errno_text(errno);
  }
  return signal_fd;
}

Result<UniqueFd> make_eventfd() {
  UniqueFd fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!fd) {
    return "eventfd: " + errno_text(errno);
  }
  return fd;
}

Result<std::vector<std::unique_ptr<Worker>>> make_workers(const WorkerShared& shared, unsigned threads) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < threads; ++i) {
    auto worker = make_worker(shared, i);
    if (auto* problem = std::get_if<std::string>(&worker)) {
      return std::move(*problem);
    }
    workers.push_back(std::move(std::get<std::unique_ptr<Worker>>(worker)));
  }
  return workers;
}

// One thread per worker; each counts itself in `finished` and signals
// `done_fd` when its run() returns. A worker that fails ends the process.
std::vector<std::thread> start_threads(std::span<const std::unique_ptr<Worker>> workers, const Logger& logger,
                                       std::atomic<unsigned>& finished, int done_fd) {
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&logger, &finished, done_fd, worker = workers[i].get(), i] {
      const std::string name = "hello-worker-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      try {
        worker->run();
      } catch (const std::exception& error) {
        logger.error("worker failed", {{"worker", i}, {"error", error.what()}});
        std::_Exit(1);
      }
      finished.fetch_add(1);
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(done_fd, &one, sizeof(one));
    });
  }
  return threads;
}

// Everything start-up acquires before the workers run, in the order it is
// acquired (and released in reverse).
struct Resources {
  UniqueFd signal_fd;
  UniqueFd workers_done;
  Listener listener;
  Listener metrics_listener;
};

Result<Resources> acquire_resources(const Config& config) {
  auto signal_fd = block_shutdown_signals();
  if (auto* problem = std::get_if<std::string>(&signal_fd)) {
    return std::move(*problem);
  }
  auto workers_done = make_eventfd();
  if (auto* problem = std::get_if<std::string>(&workers_done)) {
    return std::move(*problem);
  }
  auto listener = open_listener(config.address, config.port);
  if (auto* problem = std::get_if<std::string>(&listener)) {
    return "application port: " + *problem;
  }
  auto metrics_listener = open_listener(config.address, config.metrics_port);
  if (auto* problem = std::get_if<std::string>(&metrics_listener)) {
    return "metrics port: " + *problem;
  }
  return Resources{std::move(std::get<UniqueFd>(signal_fd)), std::move(std::get<UniqueFd>(workers_done)),
                   std::move(std::get<Listener>(listener)), std::move(std::get<Listener>(metrics_listener))};
}

void log_listening(const Config& config, const Logger& logger, const Resources& resources, unsigned threads,
                   unsigned max_connections) {
  for (const auto* opened : {&resources.listener, &resources.metrics_listener}) {
    if (!opened->warning.empty()) {
      logger.warn("listening socket degraded", {{"error", opened->warning}});
    }
  }
  logger.info("listening", {{"address", config.address},
                            {"port", static_cast<unsigned>(resources.listener.port)},
                            {"metrics_port", static_cast<unsigned>(resources.metrics_listener.port)},
                            {"threads", threads},
                            {"max_connections", max_connections},
                            {"drain_delay_s", seconds(config.drain_delay)},
                            {"shutdown_timeout_s", seconds(config.shutdown_timeout)},
                            {"version", build::version},
                            {"revision", build::revision}});
}

}  // namespace

int run_server(const Config& config, const Logger& logger) {
  auto acquired = acquire_resources(config);
  if (auto* problem = std::get_if<std::string>(&acquired)) {
    logger.error("cannot start", {{"error", *problem}});
    return 1;
  }
  auto& resources = std::get<Resources>(acquired);

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
                            resources.listener.fd.get(),
                            resources.metrics_listener.fd.get(),
                            max_connections,
                            resources.workers_done.get()};
  auto made = make_workers(shared, threads);
  if (auto* problem = std::get_if<std::string>(&made)) {
    logger.error("cannot start workers", {{"error", *problem}});
    return 1;
  }
  const auto& workers = std::get<std::vector<std::unique_ptr<Worker>>>(made);
  std::atomic<unsigned> finished{0};
  auto running = start_threads(workers, logger, finished, resources.workers_done.get());

  state.ready.store(true);
  log_listening(config, logger, resources, threads, max_connections);
  const int status = run_shutdown_sequence(ShutdownScope{config, logger, state, resources.signal_fd.get(),
                                                         resources.workers_done.get(), workers, finished,
                                                         resources.listener, resources.metrics_listener});
  for (auto& thread : running) {
    thread.join();
  }
  resources.listener.fd.reset();
  resources.metrics_listener.fd.reset();
  logger.info("stopped", {{"exit_code", status}});
  return status;
}

}  // namespace hello
