#pragma once

#include <cstdint>
#include <string>

#include "result.hpp"
#include "unique_fd.hpp"

namespace hello {

struct Listener {
  UniqueFd fd;
  std::uint16_t port = 0;  // the bound port (resolves --port 0)
  // A socket option that could not be set and that the socket works without
  // (TCP_DEFER_ACCEPT); empty when none. The caller logs it once.
  std::string warning;
};

// A non-blocking listening TCP socket on an IPv4 or IPv6 literal; on failure
// the message says what failed (e.g. "bind 0.0.0.0:80: Permission denied").
[[nodiscard]] Result<Listener> open_listener(const std::string& address, std::uint16_t port);

}  // namespace hello
