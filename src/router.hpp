#pragma once

#include <cstdint>
#include <string_view>

namespace hello {

enum class Endpoint : std::uint8_t { root, healthz, readyz, metrics, version, not_found };

// The path of a request target without its query: origin-form ("/a?b") or
// absolute-form ("http://host/a?b", which RFC 9112 §3.2.2 requires servers
// to accept). Other forms ("*", "host:443") yield an empty path.
[[nodiscard]] std::string_view target_path(std::string_view target);

[[nodiscard]] Endpoint route(std::string_view target);

}  // namespace hello
