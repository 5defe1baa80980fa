#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace hello::test {
namespace {

using Clock = std::chrono::steady_clock;

struct Spawned {
  pid_t pid;
  int out_fd;
  int err_fd;
};

Spawned spawn(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
              unsigned long open_files = 0, unsigned long open_files_hard = 0, int cpu = -1) {
  std::array<int, 2> out{};
  std::array<int, 2> err{};
  if (::pipe2(out.data(), O_CLOEXEC) != 0 || ::pipe2(err.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  // HELLO_SERVER_UNDER_TEST runs the suite against another build, such as
  // one of an older revision, to see a new test fail there.
  const char* under_test = std::getenv("HELLO_SERVER_UNDER_TEST");
  std::vector<std::string> argv_storage{under_test != nullptr && *under_test != '\0' ? under_test : HELLO_SERVER_PATH};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<std::string> env_storage;
  env_storage.reserve(env.size());
  for (const auto& [key, value] : env) {
    env_storage.push_back(key + "=" + value);
  }
  std::vector<char*> argv;
  for (auto& arg : argv_storage) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : env_storage) {
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    // The test runner may have signals blocked; the server must start clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(static_cast<unsigned>(cpu), &set);
      if (::sched_setaffinity(0, sizeof(set), &set) != 0) {
        std::_Exit(126);
      }
    }
    if (open_files != 0) {
      const rlimit limit{open_files, open_files_hard != 0 ? open_files_hard : open_files};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        std::_Exit(126);
      }
    }
    ::execve(argv[0], argv.data(), envp.data());
    std::_Exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  return {pid, out[0], err[0]};
}

bool drain(int fd, std::string& into) {
  std::array<char, 4096> buffer{};
  for (;;) {
    const auto n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      into.append(buffer.data(), static_cast<std::size_t>(n));
      continue;
    }
    return n == 0;  // true: end of file
  }
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

ServerProcess::ServerProcess(Options options) {
  if (options.wait_until_listening) {
    const bool has_port = std::any_of(options.args.begin(), options.args.end(),
                                      [](const std::string& arg) { return arg.starts_with("--port"); });
    if (!has_port) {
      options.args.insert(options.args.begin(), {"--port", "0"});
    }
  }
  // Tests run in parallel, and so may other servers on the machine: the
  // metrics port is a free one too, unless the test chooses it.
  const bool has_metrics_port = std::any_of(options.args.begin(), options.args.end(),
                                            [](const std::string& arg) { return arg.starts_with("--metrics-port"); }) ||
                                std::any_of(options.env.begin(), options.env.end(),
                                            [](const auto& entry) { return entry.first == "HELLO_METRICS_PORT"; });
  if (!has_metrics_port) {
    options.args.insert(options.args.begin(), {"--metrics-port", "0"});
  }
  const auto spawned = spawn(options.args, options.env, options.open_files, options.open_files_hard, options.cpu);
  pid_ = spawned.pid;
  ::close(spawned.out_fd);
  stderr_fd_ = spawned.err_fd;
  if (!options.wait_until_listening) {
    return;
  }
  if (!wait_for_log("\"msg\":\"listening\"", 10s)) {
    throw std::runtime_error("hello-server did not start listening; log:\n" + log_);
  }
  const auto at = log_.find("\"port\":");
  port_ = static_cast<std::uint16_t>(std::strtoul(log_.c_str() + at + 7, nullptr, 10));
  if (const auto metrics_at = log_.find("\"metrics_port\":"); metrics_at != std::string::npos) {
    metrics_port_ = static_cast<std::uint16_t>(std::strtoul(log_.c_str() + metrics_at + 15, nullptr, 10));
  }
}

ServerProcess::~ServerProcess() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (stderr_fd_ >= 0) {
    ::close(stderr_fd_);
  }
}

void ServerProcess::send_signal(int signal) const { ::kill(pid_, signal); }

std::uint64_t ServerProcess::peak_rss_kib() const {
  const int fd = ::open(("/proc/" + std::to_string(pid_) + "/status").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  std::string status;
  std::array<char, 4096> chunk{};
  ssize_t n = 0;
  while ((n = ::read(fd, chunk.data(), chunk.size())) > 0) {
    status.append(chunk.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto at = status.find("VmHWM:");
  return at == std::string::npos ? 0 : std::strtoull(status.c_str() + at + 6, nullptr, 10);
}

void ServerProcess::pump_log(std::chrono::milliseconds timeout) {
  pollfd fd{stderr_fd_, POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(timeout.count())) > 0) {
    drain(stderr_fd_, log_);
  }
}

bool ServerProcess::wait_for_log(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (log_.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) {
      return false;
    }
    pump_log(std::min<std::chrono::milliseconds>(left, 50ms));
  }
  return true;
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) {
    return exit_code_;
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = decode_status(status);
      pump_log(0ms);
      return exit_code_;
    }
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
    pump_log(10ms);
  }
}

ServerProcess::Finished ServerProcess::run_to_exit(std::vector<std::string> args,
                                                   std::vector<std::pair<std::string, std::string>> env,
                                                   std::chrono::milliseconds timeout) {
  const auto spawned = spawn(args, env);
  Finished finished;
  const auto deadline = Clock::now() + timeout;
  bool out_done = false;
  bool err_done = false;
  while (!(out_done && err_done) && Clock::now() < deadline) {
    std::array<pollfd, 2> fds{pollfd{spawned.out_fd, POLLIN, 0}, pollfd{spawned.err_fd, POLLIN, 0}};
    ::poll(fds.data(), fds.size(), 50);
    out_done = out_done || drain(spawned.out_fd, finished.out);
    err_done = err_done || drain(spawned.err_fd, finished.err);
  }
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(spawned.pid, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  if (done == 0) {
    ::kill(spawned.pid, SIGKILL);
    ::waitpid(spawned.pid, &status, 0);
    finished.exit_code = -1;  // did not exit in time
  } else {
    finished.exit_code = decode_status(status);
  }
  ::close(spawned.out_fd);
  ::close(spawned.err_fd);
  return finished;
}

}  // namespace hello::test
