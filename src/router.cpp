#include "router.hpp"

#include "text.hpp"

namespace hello {
std::string_view target_path(std::string_view target) {
  if (!target.starts_with('/')) {
    std::size_t scheme_end = 0;
    if (starts_with_ignore_case(target, "http://")) {
      scheme_end = 7;
    } else if (starts_with_ignore_case(target, "https://")) {
      scheme_end = 8;
    } else {
      return {};
    }
    const auto path_start = target.find_first_of("/?", scheme_end);
    if (path_start == std::string_view::npos || target[path_start] == '?') {
      return "/";
    }
    target.remove_prefix(path_start);
  }
  return target.substr(0, target.find('?'));
}

Endpoint route(std::string_view target) {
  const auto path = target_path(target);
  if (path == "/") {
    return Endpoint::root;
  }
  if (path == "/healthz") {
    return Endpoint::healthz;
  }
  if (path == "/readyz") {
    return Endpoint::readyz;
  }
  if (path == "/metrics") {
    return Endpoint::metrics;
  }
  if (path == "/version") {
    return Endpoint::version;
  }
  return Endpoint::not_found;
}

}  // namespace hello
