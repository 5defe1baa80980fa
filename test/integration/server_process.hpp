#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hello::test {

using namespace std::chrono_literals;

// The real hello-server binary, started with a clean environment and its
// stderr (the JSON log) captured. Killed and reaped when it goes out of scope.
class ServerProcess {
 public:
  using Environment = std::vector<std::pair<std::string, std::string>>;
  struct Options {
    std::vector<std::string> args;
    Environment env;
    // Wait for the "listening" log line and read the port from it.
    bool wait_until_listening = true;
    // RLIMIT_NOFILE (soft and hard) of the server process, as `prlimit
    // --nofile=N` would set it; 0 inherits the test's.
    unsigned long open_files = 0;
    // A hard limit above the soft one (`prlimit --nofile=SOFT:HARD`); 0
    // makes it the same as open_files.
    unsigned long open_files_hard = 0;
    // Pins the server to this CPU (and the test's threads elsewhere is up to
    // the test); -1 leaves the affinity alone.
    int cpu = -1;
  };

  explicit ServerProcess(Options options);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ServerProcess(ServerProcess&&) = delete;
  ServerProcess& operator=(ServerProcess&&) = delete;
  ~ServerProcess();

  // Runs to completion (for flags that exit at once) and returns the exit
  // status with stdout and stderr.
  struct Finished {
    int exit_code = -1;
    std::string out;
    std::string err;
  };
  static Finished run_to_exit(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {},
                              std::chrono::milliseconds timeout = 10s);

  [[nodiscard]] std::uint16_t port() const { return port_; }
  // The port that serves /metrics (0 if the log did not say).
  [[nodiscard]] std::uint16_t metrics_port() const { return metrics_port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // The kernel's peak resident set size of the server (VmHWM), in KiB; 0 if
  // it cannot be read.
  [[nodiscard]] std::uint64_t peak_rss_kib() const;
  void send_signal(int signal) const;

  // The exit status (or 128 + signal) once it exits within `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // Reads stderr until a line containing `needle` appears.
  bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout);
  [[nodiscard]] const std::string& log() const { return log_; }

 private:
  void pump_log(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
  std::string log_;
  std::optional<int> exit_code_;
};

inline ServerProcess::Options args(std::vector<std::string> flags) {
  ServerProcess::Options options;
  options.args = std::move(flags);
  return options;
}

inline ServerProcess::Options args_and_env(std::vector<std::string> flags, ServerProcess::Environment env,
                                           bool wait_until_listening = true) {
  ServerProcess::Options options;
  options.args = std::move(flags);
  options.env = std::move(env);
  options.wait_until_listening = wait_until_listening;
  return options;
}

}  // namespace hello::test
