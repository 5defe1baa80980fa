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

// http://HOST[:PORT][/PATH][#FRAGMENT]. Only IP literals and localhost: a
// static binary has no resolver configuration to rely on, and a health check
// should not depend on DNS. The fragment is dropped: it is the client's own
// and never goes on the wire (RFC 9110, section 4.2.5).
[[nodiscard]] std::optional<ProbeTarget> parse_probe_url(std::string_view url);

// The status code of an HTTP/1.x status line (RFC 9112, section 4:
// HTTP-version SP 3DIGIT SP [reason], without its CRLF); nullopt for
// anything else, such as "HTTP/1.1 2000".
[[nodiscard]] std::optional<int> parse_status_line(std::string_view line);

// One GET; 0 for a 2xx status, 1 for anything else (printed to stderr),
// 2 for a URL it cannot use.
[[nodiscard]] int run_probe(std::string_view url, std::chrono::milliseconds timeout = std::chrono::seconds{3});

}  // namespace hello
