#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace hello::test {

// The value of one sample of a Prometheus text page, by its series
// ("name" or "name{labels}"); nullopt when the page has no such sample.
inline std::optional<double> sample_value(std::string_view page, std::string_view series) {
  const std::string text = "\n" + std::string{page};
  const std::string needle = "\n" + std::string{series} + " ";
  auto at = text.find(needle);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  at += needle.size();
  return std::strtod(text.substr(at, text.find('\n', at) - at).c_str(), nullptr);
}

}  // namespace hello::test
