// Opens N keep-alive connections to a server, sends one request on each,
// reads its response and then leaves the connection idle, the way browsers
// and load balancers hold connections they are not using. Prints
// "ready N" once all are idle, holds them until SIGTERM/SIGINT (or
// --hold-seconds), then prints "open_at_end M": how many the server had not
// closed in the meantime.
//
// Usage: idle_clients --port N --connections N [--address A]
//                     [--setup-seconds S] [--hold-seconds S]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t in_flight_limit = 256;  // connections being set up at once
constexpr std::string_view request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: idle_clients\r\n\r\n";

struct Options {
  std::string address = "127.0.0.1";
  unsigned port = 0;
  unsigned connections = 0;
  unsigned setup_seconds = 60;
  unsigned hold_seconds = 600;
};

[[noreturn]] void usage_error(std::string_view message) {
  std::fprintf(stderr,
               "idle_clients: %.*s\nUsage: idle_clients --port N --connections N [--address A] "
               "[--setup-seconds S] [--hold-seconds S]\n",
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
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::puts("Usage: idle_clients --port N --connections N [--address A] [--setup-seconds S] [--hold-seconds S]");
      std::exit(0);
    }
    if (i + 1 >= args.size()) {
      usage_error("missing value or unknown argument");
    }
    const std::string_view value = args[++i];
    if (arg == "--address") {
      options.address = value;
    } else if (arg == "--port") {
      options.port = parse_number(value, 1, 65535, arg);
    } else if (arg == "--connections") {
      options.connections = parse_number(value, 1, 1'000'000, arg);
    } else if (arg == "--setup-seconds") {
      options.setup_seconds = parse_number(value, 1, 3600, arg);
    } else if (arg == "--hold-seconds") {
      options.hold_seconds = parse_number(value, 1, 86400, arg);
    } else {
      usage_error("unknown argument");
    }
  }
  if (options.port == 0 || options.connections == 0) {
    usage_error("--port and --connections are required");
  }
  return options;
}

double now_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

enum class Phase : std::uint8_t { connecting, awaiting_response, idle };

struct Client {
  int fd = -1;
  Phase phase = Phase::connecting;
};

class Pool {
 public:
  Pool(const Options& options, sockaddr_in server) : options_(options), server_(server) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      std::perror("idle_clients: epoll_create1");
      std::exit(1);
    }
    clients_.reserve(options.connections);
  }

  // Connects everything; false (with a message) when that fails or takes too long.
  bool set_up() {
    const double deadline = now_seconds() + options_.setup_seconds;
    std::array<epoll_event, 256> events{};
    while (idle_ < options_.connections) {
      while (clients_.size() < options_.connections && clients_.size() - idle_ < in_flight_limit) {
        if (!start_one()) {
          return false;
        }
      }
      if (now_seconds() > deadline) {
        std::fprintf(stderr, "idle_clients: only %zu of %u connections ready after %u s\n", idle_, options_.connections,
                     options_.setup_seconds);
        return false;
      }
      const int ready = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < ready; ++i) {
        auto& client = clients_[events[static_cast<std::size_t>(i)].data.u32];
        if (!advance(client, events[static_cast<std::size_t>(i)].events)) {
          return false;
        }
      }
    }
    return true;
  }

  [[nodiscard]] std::size_t count_open() const {
    std::size_t open = 0;
    for (const auto& client : clients_) {
      pollfd check{client.fd, POLLIN | POLLRDHUP, 0};
      if (::poll(&check, 1, 0) == 0) {
        ++open;  // nothing to read, no hang-up: still an idle keep-alive connection
      }
    }
    return open;
  }

 private:
  bool start_one() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      std::perror("idle_clients: socket");
      return false;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server_), sizeof(server_)) != 0 && errno != EINPROGRESS) {
      std::perror("idle_clients: connect");
      return false;
    }
    clients_.push_back(Client{fd, Phase::connecting});
    epoll_event event{};
    event.events = EPOLLOUT | EPOLLIN;
    event.data.u32 = static_cast<std::uint32_t>(clients_.size() - 1);
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) {
      std::perror("idle_clients: epoll_ctl");
      return false;
    }
    return true;
  }

  bool advance(Client& client, std::uint32_t events) {
    if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
      std::fprintf(stderr, "idle_clients: a connection failed during setup\n");
      return false;
    }
    if (client.phase == Phase::connecting && (events & EPOLLOUT) != 0) {
      if (::send(client.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        std::perror("idle_clients: send");
        return false;
      }
      client.phase = Phase::awaiting_response;
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u32 = static_cast<std::uint32_t>(&client - clients_.data());
      ::epoll_ctl(epoll_, EPOLL_CTL_MOD, client.fd, &event);
      return true;
    }
    if (client.phase == Phase::awaiting_response && (events & EPOLLIN) != 0) {
      std::array<char, 4096> buffer{};
      const auto received = ::recv(client.fd, buffer.data(), buffer.size(), 0);
      if (received <= 0) {
        std::fprintf(stderr, "idle_clients: the server closed a connection before answering\n");
        return false;
      }
      if (!std::string_view{buffer.data(), static_cast<std::size_t>(received)}.starts_with("HTTP/1.1 200")) {
        std::fprintf(stderr, "idle_clients: the server did not answer 200\n");
        return false;
      }
      // The response is small enough to arrive in one piece.
      client.phase = Phase::idle;
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, client.fd, nullptr);
      ++idle_;
    }
    return true;
  }

  const Options& options_;
  sockaddr_in server_;
  int epoll_ = -1;
  std::vector<Client> clients_;
  std::size_t idle_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(std::span<char*>{argv, static_cast<std::size_t>(argc)});

  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < options.connections + 16U) {
    std::fprintf(stderr,
                 "idle_clients: the open-files limit (%llu) is too low for %u connections; raise it with ulimit -n\n",
                 static_cast<unsigned long long>(limit.rlim_cur), options.connections);
    return 2;
  }

  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<std::uint16_t>(options.port));
  if (::inet_pton(AF_INET, options.address.c_str(), &server.sin_addr) != 1) {
    usage_error("--address takes an IPv4 address");
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);

  static Pool pool{options, server};
  if (!pool.set_up()) {
    return 1;
  }
  std::printf("ready %u\n", options.connections);
  std::fflush(stdout);

  pollfd wait{signal_fd, POLLIN, 0};
  const int waited = ::poll(&wait, 1, static_cast<int>(options.hold_seconds * 1000U));
  std::printf("open_at_end %zu%s\n", pool.count_open(), waited == 0 ? " (hold time over)" : "");
  std::fflush(stdout);
  return 0;
}
