// Hostile clients and a health check: while one or many connections flood a
// server with pipelined requests, a probe opens a fresh connection every few
// milliseconds and times GET /healthz from connect() to the status line. The
// figure that matters is the worst probe: how long a load balancer's health
// check can be kept waiting by someone else's traffic.
//
// Modes:
//   metrics   --connections N connections each send --requests N pipelined
//             GET /metrics and never read an answer.
//   pipeline  one connection pipelines GET / as fast as it can (one thread
//             writing, one reading and dropping the answers).
//   none      no flood: the probes alone, for what the machine itself adds
//             (other processes on a shared machine delay the server too).
//
// Prints key=value lines: "probe count=N worst_ms=X p99_ms=Y median_ms=Z
// unanswered=U", "flood sent_bytes=B received_bytes=R", and with --pid the
// server's peak resident set ("server peak_rss_kb=K", VmHWM).
//
// Usage: flood --port N --mode metrics|pipeline|none [--metrics-port N]
//              [--connections N] [--requests N] [--seconds S]
//              [--probe-interval-ms N] [--probe-timeout-ms N] [--pid PID]
//              [--address A]
// The probe and the pipelining flood use --port; the /metrics flood uses
// --metrics-port (hello-server serves /metrics on a port of its own).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string address = "127.0.0.1";
  unsigned port = 0;
  unsigned metrics_port = 0;  // where GET /metrics goes; 0: --port
  std::string mode;
  unsigned connections = 200;
  unsigned requests = 2048;
  unsigned seconds = 5;
  unsigned probe_interval_ms = 10;
  unsigned probe_timeout_ms = 10'000;
  unsigned pid = 0;
};

constexpr std::string_view usage_text =
    "Usage: flood --port N --mode metrics|pipeline|none [--metrics-port N] [--connections N] [--requests N]\n"
    "             [--seconds S] [--probe-interval-ms N] [--probe-timeout-ms N] [--pid PID] [--address A]\n";

[[noreturn]] void usage_error(std::string_view message) {
  std::fprintf(stderr, "flood: %.*s\n%.*s", static_cast<int>(message.size()), message.data(),
               static_cast<int>(usage_text.size()), usage_text.data());
  std::exit(2);
}

unsigned parse_number(std::string_view value, unsigned low, unsigned high, std::string_view flag) {
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc{} || end != value.data() + value.size() || number < low || number > high) {
    usage_error(std::string{flag} + " takes a number from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return number;
}

Options parse(std::span<char*> args) {
  Options options;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text.data(), stdout);
      std::exit(0);
    }
    if (i + 1 >= args.size()) {
      usage_error("missing value or unknown argument '" + std::string{arg} + "'");
    }
    const std::string_view value = args[++i];
    if (arg == "--address") {
      options.address = value;
    } else if (arg == "--port") {
      options.port = parse_number(value, 1, 65535, arg);
    } else if (arg == "--metrics-port") {
      options.metrics_port = parse_number(value, 1, 65535, arg);
    } else if (arg == "--mode") {
      if (value != "metrics" && value != "pipeline" && value != "none") {
        usage_error("--mode takes metrics, pipeline or none");
      }
      options.mode = value;
    } else if (arg == "--connections") {
      options.connections = parse_number(value, 1, 100'000, arg);
    } else if (arg == "--requests") {
      options.requests = parse_number(value, 1, 1'000'000, arg);
    } else if (arg == "--seconds") {
      options.seconds = parse_number(value, 1, 3600, arg);
    } else if (arg == "--probe-interval-ms") {
      options.probe_interval_ms = parse_number(value, 1, 60'000, arg);
    } else if (arg == "--probe-timeout-ms") {
      options.probe_timeout_ms = parse_number(value, 1, 600'000, arg);
    } else if (arg == "--pid") {
      options.pid = parse_number(value, 1, 1U << 30U, arg);
    } else {
      usage_error("unknown argument '" + std::string{arg} + "'");
    }
  }
  if (options.port == 0 || options.mode.empty()) {
    usage_error("--port and --mode are required");
  }
  return options;
}

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Socket& operator=(Socket&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// A connected socket, blocking unless `nonblocking`; -1 inside on failure.
Socket connect_to(const Options& options, bool nonblocking, int buffer_bytes = 0) {
  Socket socket{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (buffer_bytes > 0) {
    ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
    ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof(buffer_bytes));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(options.port));
  if (inet_pton(AF_INET, options.address.c_str(), &address.sin_addr) != 1) {
    usage_error("--address takes an IPv4 address");
  }
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return {};
  }
  if (nonblocking) {
    ::fcntl(socket.get(), F_SETFL, ::fcntl(socket.get(), F_GETFL) | O_NONBLOCK);
  }
  return socket;
}

std::string repeat(std::string_view text, unsigned times) {
  std::string result;
  result.reserve(text.size() * times);
  for (unsigned i = 0; i < times; ++i) {
    result += text;
  }
  return result;
}

// The probe: GET /healthz on a fresh connection every interval. Records
// each latency from connect() to the status line, in microseconds; a probe
// that times out counts as unanswered (and as its timeout).
struct ProbeResults {
  std::vector<std::int64_t> latencies_us;
  unsigned unanswered = 0;
};

std::int64_t probe_once(const Options& options) {
  constexpr std::string_view request = "GET /healthz HTTP/1.1\r\nHost: flood\r\nConnection: close\r\n\r\n";
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds{options.probe_timeout_ms};
  const auto socket = connect_to(options, false);
  if (socket.get() < 0 || ::send(socket.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    return -1;
  }
  std::array<char, 512> buffer{};
  std::size_t have = 0;
  while (have < 12) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd descriptor{socket.get(), POLLIN, 0};
    if (left <= 0 || ::poll(&descriptor, 1, static_cast<int>(left)) <= 0) {
      return -1;
    }
    const auto n = ::recv(socket.get(), buffer.data() + have, buffer.size() - have, 0);
    if (n <= 0) {
      return -1;
    }
    have += static_cast<std::size_t>(n);
  }
  if (std::string_view{buffer.data(), 12} != "HTTP/1.1 200") {
    return -1;
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

void run_probes(const Options& options, const std::atomic<bool>& stop, ProbeResults& results) {
  // The probe stands for a health checker on another machine: it must not
  // queue behind this process's own flooding threads on a shared CPU. A
  // real-time priority where allowed (root), else a higher nice value, else
  // neither.
  const sched_param realtime{1};
  if (::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &realtime) != 0) {
    static_cast<void>(::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), -10));
  }
  while (!stop.load()) {
    const auto started = Clock::now();
    const auto latency = probe_once(options);
    if (latency < 0) {
      ++results.unanswered;
      results.latencies_us.push_back(static_cast<std::int64_t>(options.probe_timeout_ms) * 1000);
    } else {
      results.latencies_us.push_back(latency);
    }
    std::this_thread::sleep_until(started + std::chrono::milliseconds{options.probe_interval_ms});
  }
}

struct FloodTotals {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> received{0};
};

// Many connections push their pipelined /metrics requests as far as the
// server takes them and never read.
void flood_metrics(const Options& options, const std::atomic<bool>& stop, FloodTotals& totals) {
  const auto batch = repeat("GET /metrics HTTP/1.1\r\nHost: flood\r\n\r\n", options.requests);
  auto metrics_target = options;
  if (options.metrics_port != 0) {
    metrics_target.port = options.metrics_port;
  }
  std::vector<Socket> sockets;
  std::vector<std::size_t> offsets;
  for (unsigned i = 0; i < options.connections && !stop.load(); ++i) {
    auto socket = connect_to(metrics_target, true);
    if (socket.get() >= 0) {
      sockets.push_back(std::move(socket));
      offsets.push_back(0);
    }
  }
  while (!stop.load()) {
    bool progress = false;
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      if (offsets[i] == batch.size()) {
        continue;
      }
      const auto n = ::send(sockets[i].get(), batch.data() + offsets[i], batch.size() - offsets[i], MSG_NOSIGNAL);
      if (n > 0) {
        offsets[i] += static_cast<std::size_t>(n);
        totals.sent.fetch_add(static_cast<std::uint64_t>(n));
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        offsets[i] = batch.size();  // the server closed it
      }
    }
    if (!progress) {
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  }
  // The sockets stay open (and unread) until here: the end of the run.
}

// One connection pipelining GET / flat out, answers read and dropped.
void flood_pipeline(const Options& options, const std::atomic<bool>& stop, FloodTotals& totals) {
  const auto socket = connect_to(options, false, 4 << 20);
  if (socket.get() < 0) {
    std::fputs("flood: cannot connect\n", stderr);
    return;
  }
  const auto chunk = repeat("GET / HTTP/1.1\r\nHost: flood\r\n\r\n", 2048);
  std::thread reader([&] {
    std::vector<char> buffer(std::size_t{1} << 16U);
    while (!stop.load()) {
      const auto n = ::recv(socket.get(), buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        return;
      }
      totals.received.fetch_add(static_cast<std::uint64_t>(n));
    }
  });
  while (!stop.load()) {
    const auto n = ::send(socket.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    totals.sent.fetch_add(static_cast<std::uint64_t>(n));
  }
  ::shutdown(socket.get(), SHUT_RDWR);
  reader.join();
}

std::uint64_t peak_rss_kb(unsigned pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  std::FILE* file = std::fopen(path.c_str(), "re");
  if (file == nullptr) {
    return 0;
  }
  std::array<char, 256> line{};
  std::uint64_t value = 0;
  while (std::fgets(line.data(), static_cast<int>(line.size()), file) != nullptr) {
    const std::string_view text{line.data()};
    if (text.starts_with("VmHWM:")) {
      value = std::strtoull(line.data() + 6, nullptr, 10);
      break;
    }
  }
  std::fclose(file);
  return value;
}

double percentile_ms(std::vector<std::int64_t> values, double fraction) {
  if (values.empty()) {
    return 0;
  }
  std::ranges::sort(values);
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return static_cast<double>(values[std::min(index, values.size() - 1)]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(std::span{argv, static_cast<std::size_t>(argc)});
  std::atomic<bool> stop{false};
  FloodTotals totals;
  const bool flooding = options.mode != "none";
  std::thread flooder([&] {
    if (options.mode == "metrics") {
      flood_metrics(options, stop, totals);
    } else if (options.mode == "pipeline") {
      flood_pipeline(options, stop, totals);
    }
  });
  // The probes start once the flood has begun.
  const auto begun = Clock::now();
  while (flooding && totals.sent.load() == 0 && Clock::now() - begun < std::chrono::seconds{10}) {
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  ProbeResults probes;
  std::thread prober([&] { run_probes(options, stop, probes); });
  std::this_thread::sleep_for(std::chrono::seconds{options.seconds});
  const auto peak = options.pid != 0 ? peak_rss_kb(options.pid) : 0;
  stop.store(true);
  prober.join();
  flooder.join();

  const auto& latencies = probes.latencies_us;
  std::printf("probe count=%zu worst_ms=%.3f p99_ms=%.3f median_ms=%.3f unanswered=%u\n", latencies.size(),
              percentile_ms(latencies, 1.0), percentile_ms(latencies, 0.99), percentile_ms(latencies, 0.5),
              probes.unanswered);
  std::printf("flood sent_bytes=%llu received_bytes=%llu\n", static_cast<unsigned long long>(totals.sent.load()),
              static_cast<unsigned long long>(totals.received.load()));
  if (options.pid != 0) {
    std::printf("server peak_rss_kb=%llu\n", static_cast<unsigned long long>(peak));
  }
  return (totals.sent.load() > 0 || !flooding) && !latencies.empty() ? 0 : 1;
}
