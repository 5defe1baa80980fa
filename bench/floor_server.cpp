// The floor: the least an epoll server can do per request on this kernel.
// One thread, edge-triggered epoll, one read and one write per batch of
// requests, a fixed response of the same size as hello-server's. It parses
// nothing: it only counts the blank lines that end request heads (with
// memchr), so that pipelined requests get one response each. Whatever hello-server costs
// above this is the price of HTTP done properly.
//
// Usage: floor_server --port N [--address A] [--close]
//   --close  every response says "Connection: close" and the connection is
//            closed after it (the Connection: close scenario)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Same bytes as hello-server's answer to GET / (the Date value is frozen).
constexpr std::string_view keep_alive_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nHello, world!";
constexpr std::string_view close_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\nHello, world!";
constexpr std::size_t responses_per_write = 64;
constexpr int max_events = 256;
constexpr std::size_t read_size = std::size_t{64} * 1024;

struct Options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  bool close = false;
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "floor_server: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage_error(std::string_view message) {
  std::fprintf(stderr, "floor_server: %.*s\nUsage: floor_server --port N [--address A] [--close]\n",
               static_cast<int>(message.size()), message.data());
  std::exit(2);
}

Options parse(std::span<char*> args) {
  Options options;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--close") {
      options.close = true;
    } else if ((arg == "--port" || arg == "--address") && i + 1 < args.size()) {
      const std::string_view value = args[++i];
      if (arg == "--address") {
        options.address = value;
        continue;
      }
      unsigned port = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (ec != std::errc{} || end != value.data() + value.size() || port == 0 || port > 65535) {
        usage_error("--port takes a number from 1 to 65535");
      }
      options.port = static_cast<std::uint16_t>(port);
    } else if (arg == "-h" || arg == "--help") {
      std::puts("Usage: floor_server --port N [--address A] [--close]");
      std::exit(0);
    } else {
      usage_error("unknown argument");
    }
  }
  if (options.port == 0) {
    usage_error("--port is required");
  }
  return options;
}

int open_listener(const Options& options) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail("socket");
  }
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  // The same accept path as hello-server and nginx's "deferred".
  ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &on, sizeof(on));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  if (::inet_pton(AF_INET, options.address.c_str(), &address.sin_addr) != 1) {
    usage_error("--address takes an IPv4 address");
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    fail("bind");
  }
  if (::listen(fd, 4096) != 0) {
    fail("listen");
  }
  return fd;
}

class Floor {
 public:
  Floor(const Options& options, int listen_fd) : listen_fd_(listen_fd), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_ < 0) {
      fail("epoll_create1");
    }
    const auto one = options.close ? close_response : keep_alive_response;
    close_ = options.close;
    for (std::size_t i = 0; i < responses_per_write; ++i) {
      responses_ += one;
    }
    response_size_ = one.size();
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    // Per descriptor; descriptors are small integers.
    tails_.resize(limit.rlim_cur == RLIM_INFINITY ? 1U << 20U : limit.rlim_cur);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = listen_fd_;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, listen_fd_, &event) != 0) {
      fail("epoll_ctl");
    }
  }

  [[noreturn]] void run() {
    std::array<epoll_event, max_events> events{};
    for (;;) {
      const int ready = ::epoll_wait(epoll_, events.data(), max_events, -1);
      for (int i = 0; i < ready; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == listen_fd_) {
          accept_all();
        } else {
          serve(fd);
        }
      }
    }
  }

 private:
  void accept_all() {
    for (int i = 0; i < 64; ++i) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        return;
      }
      if (static_cast<std::size_t>(fd) >= tails_.size()) {
        ::close(fd);
        continue;
      }
      tails_[static_cast<std::size_t>(fd)] = 0;
      // Deferred accept: the request is usually here already, and a
      // connection answered and closed at once needs neither registering
      // nor Nagle's algorithm off (a first response is never held back).
      if (serve(fd)) {
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        epoll_event event{};
        event.events = EPOLLIN | EPOLLET;
        event.data.fd = fd;
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) {
          ::close(fd);
        }
      }
    }
  }

  // Counts the "\r\n\r\n" that end request heads; `tail` carries the last
  // three bytes of the previous read.
  static std::size_t count_heads(const char* data, std::size_t size, std::uint32_t& tail) {
    constexpr std::uint32_t cr_lf_cr = 0x0d0a0dU;
    std::size_t heads = 0;
    const char* const end = data + size;
    const char* lf = data;
    while ((lf = static_cast<const char*>(std::memchr(lf, '\n', static_cast<std::size_t>(end - lf)))) != nullptr) {
      if (lf - data >= 3) {
        heads += static_cast<std::size_t>(lf[-3] == '\r' && lf[-2] == '\n' && lf[-1] == '\r');
      } else {
        std::uint32_t before = tail;
        for (const char* p = data; p < lf; ++p) {
          before = (before << 8U) | static_cast<unsigned char>(*p);
        }
        heads += static_cast<std::size_t>((before & 0xffffffU) == cr_lf_cr);
      }
      ++lf;
    }
    for (const char* p = size >= 3 ? end - 3 : data; p < end; ++p) {
      tail = (tail << 8U) | static_cast<unsigned char>(*p);
    }
    tail &= 0xffffffU;
    return heads;
  }

  // Reads what has arrived and answers it; false once the connection is closed.
  bool serve(int fd) {
    for (;;) {
      const auto received = ::read(fd, buffer_.data(), buffer_.size());
      if (received <= 0) {
        if (received == 0 || errno != EAGAIN) {
          ::close(fd);  // also leaves the epoll set
          return false;
        }
        return true;
      }
      auto requests =
          count_heads(buffer_.data(), static_cast<std::size_t>(received), tails_[static_cast<std::size_t>(fd)]);
      const bool answered = requests > 0;
      while (requests > 0) {
        const auto batch = std::min(requests, responses_per_write);
        const auto bytes = batch * response_size_;
        // A short write would break the stream; a floor does not queue.
        if (::write(fd, responses_.data(), bytes) != static_cast<ssize_t>(bytes)) {
          ::close(fd);
          return false;
        }
        requests -= batch;
      }
      if (close_ && answered) {
        ::close(fd);
        return false;
      }
      if (static_cast<std::size_t>(received) < buffer_.size()) {
        return true;  // drained: edge-triggered epoll reports the next arrival
      }
    }
  }

  int listen_fd_;
  int epoll_;
  bool close_ = false;
  std::string responses_;
  std::size_t response_size_ = 0;
  std::vector<std::uint32_t> tails_;
  std::array<char, read_size> buffer_{};
};

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(std::span<char*>{argv, static_cast<std::size_t>(argc)});
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  const int listen_fd = open_listener(options);
  static Floor floor{options, listen_fd};
  std::fprintf(stderr, "floor_server: listening on %s:%u%s\n", options.address.c_str(), options.port,
               options.close ? " (Connection: close)" : "");
  floor.run();
}
