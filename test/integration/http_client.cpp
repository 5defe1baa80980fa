#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <utility>

namespace hello::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view text) {
  std::string result{text};
  for (auto& c : result) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return result;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

RawClient::RawClient(std::uint16_t port, Options options) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (options.receive_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof(options.receive_buffer));
  }
  if (options.send_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &options.send_buffer, sizeof(options.send_buffer));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawClient::RawClient(RawClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      eof_(other.eof_),
      receive_error_(other.receive_error_),
      buffer_(std::move(other.buffer_)) {}

RawClient::~RawClient() { close(); }

void RawClient::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::int64_t RawClient::send_now(std::string_view bytes) {
  std::int64_t total = 0;
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      break;
    }
    if (n <= 0) {
      return -1;
    }
    total += n;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return total;
}

bool RawClient::fill(Clock::time_point deadline) {
  if (eof_ || fd_ < 0) {
    return false;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) {
    return false;
  }
  pollfd descriptor{fd_, POLLIN, 0};
  if (::poll(&descriptor, 1, static_cast<int>(left)) <= 0) {
    return false;
  }
  std::array<char, 16384> chunk{};
  const auto n = ::recv(fd_, chunk.data(), chunk.size(), 0);
  if (n < 0 && errno == EINTR) {
    return true;
  }
  if (n <= 0) {
    eof_ = true;
    receive_error_ = n < 0 ? errno : 0;
    return false;
  }
  buffer_.append(chunk.data(), static_cast<std::size_t>(n));
  return true;
}

std::optional<HttpResponse> RawClient::read_response(bool expect_body, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t head_end = std::string::npos;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) {
      return std::nullopt;
    }
  }
  HttpResponse response;
  std::string_view head{buffer_.data(), head_end};
  const auto line_end = head.find("\r\n");
  response.status_line = std::string{head.substr(0, line_end)};
  if (!response.status_line.starts_with("HTTP/1.1 ") || response.status_line.size() < 12) {
    return std::nullopt;
  }
  response.status = std::atoi(response.status_line.c_str() + 9);
  std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const auto line = rest.substr(0, end);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    const auto name = lower(line.substr(0, colon));
    const auto value = trim(line.substr(colon + 1));
    auto [entry, inserted] = response.headers.try_emplace(name, value);
    if (!inserted) {
      entry->second.push_back(',');
      entry->second.append(value);
    }
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
  }
  const auto body_start = head_end + 4;
  std::size_t length = 0;
  if (expect_body && response.headers.contains("content-length")) {
    length = std::strtoul(response.headers["content-length"].c_str(), nullptr, 10);
  }
  while (buffer_.size() < body_start + length) {
    if (!fill(deadline)) {
      return std::nullopt;
    }
  }
  response.body = buffer_.substr(body_start, length);
  buffer_.erase(0, body_start + length);
  return response;
}

bool RawClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!eof_) {
    if (!fill(deadline) && !eof_) {
      return false;
    }
  }
  return true;
}

bool RawClient::was_reset() const {
  if (receive_error_ == ECONNRESET) {
    return true;
  }
  int error = 0;
  socklen_t error_size = sizeof(error);
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &error_size) == 0 && error == ECONNRESET) {
    return true;
  }
  tcp_info info{};
  socklen_t info_size = sizeof(info);
  return eof_ && ::getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &info_size) == 0 && info.tcpi_state == TCP_CLOSE;
}

std::string RawClient::read_until_closed(std::chrono::milliseconds timeout) {
  wait_closed(timeout);
  return std::exchange(buffer_, {});
}

std::optional<HttpResponse> http_get(std::uint16_t port, std::string_view path, std::string_view method) {
  RawClient client{port};
  if (!client.connected()) {
    return std::nullopt;
  }
  std::string request{method};
  request += " ";
  request += path;
  request += " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  client.send(request);
  return client.read_response(method != "HEAD");
}

Exchange exchange(std::uint16_t port, std::string_view request, std::chrono::milliseconds timeout) {
  RawClient client{port};
  Exchange result;
  if (!client.connected()) {
    return result;
  }
  client.send(request);
  result.response = client.read_response(true, timeout);
  result.closed = client.wait_closed(timeout);
  result.after_response = client.unparsed();
  return result;
}

std::string repeat(std::string_view text, int times) {
  std::string result;
  result.reserve(text.size() * static_cast<std::size_t>(times));
  for (int i = 0; i < times; ++i) {
    result += text;
  }
  return result;
}

}  // namespace hello::test
