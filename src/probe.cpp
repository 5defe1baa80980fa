#include "probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>

#include "errno_text.hpp"
#include "result.hpp"
#include "text.hpp"
#include "unique_fd.hpp"

namespace hello {
namespace {

using Clock = std::chrono::steady_clock;

int report(int code, const std::string& message) {
  static_cast<void>(std::fprintf(stderr, "probe: %s\n", message.c_str()));
  return code;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return false;
    }
    pollfd descriptor{fd, events, 0};
    const int ready = ::poll(&descriptor, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    return ready > 0;
  }
}

// host [ ":" port ], the host an IPv6 literal in brackets or anything else.
struct Authority {
  std::string_view host;
  std::string_view port_text;
  bool ipv6 = false;
};

std::optional<Authority> split_authority(std::string_view authority) {
  Authority split;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    split.host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) {
        return std::nullopt;
      }
      split.port_text = rest.substr(1);
    }
    split.ipv6 = true;
  } else {
    const auto colon = authority.rfind(':');
    split.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      split.port_text = authority.substr(colon + 1);
    }
  }
  return split;
}

}  // namespace

std::optional<ProbeTarget> parse_probe_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) {
    return std::nullopt;
  }
  url.remove_prefix(scheme.size());
  url = url.substr(0, url.find('#'));
  const auto path_start = url.find('/');
  auto authority = url.substr(0, path_start);
  ProbeTarget target;
  if (path_start != std::string_view::npos) {
    target.path = std::string{url.substr(path_start)};
  }
  for (char c : target.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return std::nullopt;
    }
  }

  const auto split = split_authority(authority);
  if (!split) {
    return std::nullopt;
  }
  auto [host, port_text, ipv6] = *split;
  target.ipv6 = ipv6;
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  std::array<unsigned char, sizeof(in6_addr)> address{};
  const std::string host_text{host};
  if (inet_pton(target.ipv6 ? AF_INET6 : AF_INET, host_text.c_str(), address.data()) != 1) {
    return std::nullopt;
  }
  target.host = host_text;
  if (!port_text.empty()) {
    const auto port = parse_integer<unsigned>(port_text);
    if (!port || *port == 0 || *port > 65'535) {
      return std::nullopt;
    }
    target.port = static_cast<std::uint16_t>(*port);
  } else if (authority.ends_with(':')) {
    return std::nullopt;
  }
  return target;
}

std::optional<int> parse_status_line(std::string_view line) {
  constexpr std::string_view prefix = "HTTP/1.";
  // "HTTP/1.1 200" is 12 bytes; a reason phrase, if any, follows a space.
  if (line.size() < 12 || !line.starts_with(prefix) || !is_digit(line[7]) || line[8] != ' ' || !is_digit(line[9]) ||
      !is_digit(line[10]) || !is_digit(line[11])) {
    return std::nullopt;
  }
  const auto reason = line.substr(12);
  if (!reason.empty() && reason.front() != ' ') {
    return std::nullopt;
  }
  for (const char c : reason) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      return std::nullopt;
    }
  }
  return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

namespace {

// A connected socket, or what failed.
Result<UniqueFd> connect_to(const ProbeTarget& target, std::string_view url, Clock::time_point deadline) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (target.ipv6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(target.port);
    inet_pton(AF_INET6, target.host.c_str(), &v6->sin6_addr);
    length = sizeof(sockaddr_in6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(target.port);
    inet_pton(AF_INET, target.host.c_str(), &v4->sin_addr);
    length = sizeof(sockaddr_in);
  }
  UniqueFd fd{::socket(target.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (!fd) {
    return std::string{"socket: "} + errno_text(errno);
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    if (errno != EINPROGRESS) {
      return "connect " + std::string{url} + ": " + errno_text(errno);
    }
    if (!wait_ready(fd.get(), POLLOUT, deadline)) {
      return "connect " + std::string{url} + ": timed out";
    }
    int error = 0;
    socklen_t error_length = sizeof(error);
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &error_length) != 0) {
      error = errno;
    }
    if (error != 0) {
      return "connect " + std::string{url} + ": " + errno_text(error);
    }
  }
  return fd;
}

// The whole request sent; or what failed.
std::optional<std::string> send_request(int fd, const ProbeTarget& target, Clock::time_point deadline) {
  const std::string host_header = target.ipv6 ? "[" + target.host + "]" : target.host;
  const std::string request = "GET " + target.path + " HTTP/1.1\r\nHost: " + host_header + ":" +
                              std::to_string(target.port) +
                              "\r\nUser-Agent: hello-server-probe\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EINTR || (errno == EAGAIN && wait_ready(fd, POLLOUT, deadline)))) {
      continue;
    } else {
      return "send: " + std::string{n < 0 ? errno_text(errno) : "timed out"};
    }
  }
  return std::nullopt;
}

// The status line is all that is needed: read until its CRLF. Empty when
// the peer closed or sent a line too long before it.
struct StatusLine {
  std::string text;
};

Result<StatusLine> read_status_line(int fd, Clock::time_point deadline) {
  std::array<char, 512> head{};
  std::size_t received = 0;
  for (;;) {
    const auto n = ::recv(fd, head.data() + received, head.size() - received, 0);
    if (n > 0) {
      received += static_cast<std::size_t>(n);
      const std::string_view seen{head.data(), received};
      if (const auto end = seen.find("\r\n"); end != std::string_view::npos) {
        return StatusLine{std::string{seen.substr(0, end)}};
      }
      if (received == head.size()) {
        return StatusLine{};
      }
    } else if (n == 0) {
      return StatusLine{};
    } else if (errno == EINTR || (errno == EAGAIN && wait_ready(fd, POLLIN, deadline))) {
      continue;
    } else {
      return "receive: " + std::string{errno == EAGAIN ? "timed out" : errno_text(errno)};
    }
  }
}

}  // namespace

int run_probe(std::string_view url, std::chrono::milliseconds timeout) {
  const auto target = parse_probe_url(url);
  if (!target) {
    return report(2, "cannot use URL '" + std::string{url} +
                         "': expected http://IP[:PORT][/PATH] with an IP literal or localhost");
  }
  const auto deadline = Clock::now() + timeout;
  auto connected = connect_to(*target, url, deadline);
  if (const auto* problem = std::get_if<std::string>(&connected)) {
    return report(1, *problem);
  }
  const auto& fd = std::get<UniqueFd>(connected);
  if (auto problem = send_request(fd.get(), *target, deadline)) {
    return report(1, *problem);
  }
  const auto line = read_status_line(fd.get(), deadline);
  if (const auto* problem = std::get_if<std::string>(&line)) {
    return report(1, *problem);
  }
  const auto status = parse_status_line(std::get<StatusLine>(line).text);
  if (!status) {
    return report(1, "not an HTTP response from " + std::string{url});
  }
  if (*status < 200 || *status > 299) {
    return report(1, std::string{url} + " answered " + std::to_string(*status));
  }
  return 0;
}

}  // namespace hello
