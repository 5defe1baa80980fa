// Measures how long a server takes from exec to its first 200 on a path
// (accepting connections and ready), and its resident memory once idle.
// Each sample starts the server afresh, polls it over loopback, reads
// VmRSS from /proc after a settle time and kills it.
//
// Usage: startup_probe --port N [--path /readyz] [--samples N] [--settle-ms N]
//                      [--client-cpu N] -- SERVER [ARGS...]
// Prints one line per sample ("sample I ready_us=U rss_kb=K") and exits 1
// if any sample did not become ready within two seconds.
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;  // NOLINT: POSIX

namespace {

constexpr std::int64_t ready_timeout_ns = 2'000'000'000;

// The server being measured; killed with this process so that none outlives it.
volatile sig_atomic_t child_pid = 0;

extern "C" void on_signal(int signal) {
  if (child_pid > 0) {
    ::kill(child_pid, SIGKILL);
  }
  ::_exit(128 + signal);
}
constexpr long retry_pause_ns = 50'000;

struct Options {
  unsigned port = 0;
  std::string path = "/readyz";
  unsigned samples = 10;
  unsigned settle_ms = 300;
  std::optional<int> client_cpu;
  std::vector<char*> command;
};

[[noreturn]] void usage_error(std::string_view message) {
  std::fprintf(stderr,
               "startup_probe: %.*s\nUsage: startup_probe --port N [--path P] [--samples N] [--settle-ms N] "
               "[--client-cpu N] -- SERVER [ARGS...]\n",
               static_cast<int>(message.size()), message.data());
  std::exit(2);
}

unsigned parse_number(std::string_view value, unsigned low, unsigned high, std::string_view flag) {
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc{} || end != value.data() + value.size() || number < low || number > high) {
    std::string message{flag};
    message += " takes a number from " + std::to_string(low) + " to " + std::to_string(high);
    usage_error(message);
  }
  return number;
}

Options parse(std::span<char*> args) {
  Options options;
  std::size_t i = 1;
  for (; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "-h" || arg == "--help") {
      std::puts(
          "Usage: startup_probe --port N [--path P] [--samples N] [--settle-ms N] [--client-cpu N] -- SERVER "
          "[ARGS...]");
      std::exit(0);
    }
    if (i + 1 >= args.size()) {
      usage_error("missing value or unknown argument");
    }
    const std::string_view value = args[++i];
    if (arg == "--port") {
      options.port = parse_number(value, 1, 65535, arg);
    } else if (arg == "--path") {
      options.path = value;
    } else if (arg == "--samples") {
      options.samples = parse_number(value, 1, 1000, arg);
    } else if (arg == "--settle-ms") {
      options.settle_ms = parse_number(value, 0, 60'000, arg);
    } else if (arg == "--client-cpu") {
      options.client_cpu = static_cast<int>(parse_number(value, 0, 4095, arg));
    } else {
      usage_error("unknown argument");
    }
  }
  for (; i < args.size(); ++i) {
    options.command.push_back(args[i]);
  }
  if (options.port == 0 || options.command.empty()) {
    usage_error("--port and a server command after -- are required");
  }
  options.command.push_back(nullptr);
  return options;
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000 + ts.tv_nsec;
}

// One GET; true on a 200 status line.
bool answers_200(unsigned port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    pollfd wait{fd, POLLIN, 0};
    std::array<char, 512> buffer{};
    if (::poll(&wait, 1, 1000) == 1) {
      const auto received = ::recv(fd, buffer.data(), buffer.size(), 0);
      ok = received > 0 &&
           std::string_view{buffer.data(), static_cast<std::size_t>(received)}.substr(0, 12) == "HTTP/1.1 200";
    }
  }
  ::close(fd);
  return ok;
}

std::optional<long> resident_kb(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return std::nullopt;
}

void pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  sched_setaffinity(0, sizeof(set), &set);
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse(std::span<char*>{argv, static_cast<std::size_t>(argc)});
  const std::string request = "GET " + options.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
    std::signal(signal, on_signal);
  }
  cpu_set_t inherited;
  sched_getaffinity(0, sizeof(inherited), &inherited);
  int failures = 0;
  for (unsigned sample = 1; sample <= options.samples; ++sample) {
    // The server inherits this process's CPU set; the polling moves away.
    sched_setaffinity(0, sizeof(inherited), &inherited);
    pid_t pid = 0;
    const std::int64_t started = monotonic_ns();
    if (posix_spawn(&pid, options.command[0], nullptr, nullptr, options.command.data(), environ) != 0) {
      std::fprintf(stderr, "startup_probe: cannot start %s: %s\n", options.command[0], std::strerror(errno));
      return 2;
    }
    child_pid = pid;
    if (options.client_cpu) {
      pin_self(*options.client_cpu);
    }
    std::int64_t ready_ns = -1;
    bool exited = false;
    for (unsigned attempt = 0; attempt < 100'000; ++attempt) {
      if (answers_200(options.port, request)) {
        ready_ns = monotonic_ns() - started;
        break;
      }
      exited = waitpid(pid, nullptr, WNOHANG) == pid;
      if (exited || monotonic_ns() - started > ready_timeout_ns) {
        break;
      }
      const timespec pause{0, retry_pause_ns};
      nanosleep(&pause, nullptr);
    }
    long rss = -1;
    if (ready_ns >= 0) {
      const timespec settle{options.settle_ms / 1000, static_cast<long>(options.settle_ms % 1000) * 1'000'000};
      nanosleep(&settle, nullptr);
      rss = resident_kb(pid).value_or(-1);
    }
    if (!exited) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    child_pid = 0;
    if (ready_ns < 0) {
      std::printf("sample %u not_ready\n", sample);
      ++failures;
      continue;
    }
    std::printf("sample %u ready_us=%lld rss_kb=%ld\n", sample, static_cast<long long>(ready_ns / 1000), rss);
  }
  return failures == 0 ? 0 : 1;
}
