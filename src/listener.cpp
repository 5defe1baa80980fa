#include "listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "errno_text.hpp"

namespace hello {
namespace {

std::string failure(std::string_view what, const std::string& address, std::uint16_t port) {
  const int error = errno;
  return std::string{what} + " " + address + ":" + std::to_string(port) + ": " + errno_text(error);
}

}  // namespace

Result<Listener> open_listener(const std::string& address, std::uint16_t port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
  } else {
    return "not an IP address: " + address;
  }

  UniqueFd fd{::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (!fd) {
    return failure("socket", address, port);
  }
  const int on = 1;
  const int off = 0;
  // A restarted server must be able to bind while old connections linger in
  // TIME_WAIT: without it a restart fails, so failing to set it is fatal.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    return failure("setsockopt SO_REUSEADDR", address, port);
  }
  // "::" must take IPv4 clients too, whatever net.ipv6.bindv6only says.
  if (family == AF_INET6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0) {
    return failure("setsockopt IPV6_V6ONLY", address, port);
  }
  // Accept a connection only once its first request bytes have arrived:
  // one wake-up per connection instead of two, and connections that never
  // send anything cost the server nothing. Without it the server still
  // works, with a wake-up more per connection.
  std::string warning;
  const int defer_seconds = 1;
  if (::setsockopt(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof(defer_seconds)) != 0) {
    warning = failure("setsockopt TCP_DEFER_ACCEPT", address, port);
  }

  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    return failure("bind", address, port);
  }
  constexpr int backlog = 4096;  // the kernel caps it at net.core.somaxconn
  if (::listen(fd.get(), backlog) != 0) {
    return failure("listen", address, port);
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    return failure("getsockname", address, port);
  }
  const auto bound_port = family == AF_INET ? ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port)
                                            : ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  return Listener{std::move(fd), bound_port, std::move(warning)};
}

}  // namespace hello
