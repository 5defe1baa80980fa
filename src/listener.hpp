#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "unique_fd.hpp"

namespace hello {

struct Listener {
  UniqueFd fd;
  std::uint16_t port = 0;  // the bound port (resolves --port 0)
};

// A non-blocking listening TCP socket on an IPv4 or IPv6 literal; on failure
// the message says what failed (e.g. "bind 0.0.0.0:80: Permission denied").
[[nodiscard]] std::variant<Listener, std::string> open_listener(const std::string& address, std::uint16_t port);

}  // namespace hello
