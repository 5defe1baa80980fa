#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hello {

struct ProbeTarget {
  std::string host;  // an IP literal; "localhost" becomes 127.0.0.1
  std::uint16_t port = 80;
  std::string path = "/";
  bool ipv6 = false;
};

// http://HOST[:PORT][/PATH]. Only IP literals and localhost: a static
// binary has no resolver configuration to rely on, and a health check
// should not depend on DNS.
[[nodiscard]] std::optional<ProbeTarget> parse_probe_url(std::string_view url);

// One GET; 0 for a 2xx status, 1 for anything else (printed to stderr),
// 2 for a URL it cannot use.
[[nodiscard]] int run_probe(std::string_view url, std::chrono::milliseconds timeout = std::chrono::seconds{3});

}  // namespace hello
