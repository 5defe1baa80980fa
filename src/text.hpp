#pragma once

#include <array>
#include <charconv>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

// Small text helpers shared by configuration, HTTP, logging and metrics: one
// number parser, one ASCII case-insensitive comparison, one number formatter.
namespace hello {

// The whole of `text` as a decimal integer of type T: no sign for an unsigned
// T, a leading '-' only for a signed one, never a '+', spaces or other
// characters; nullopt when empty or when the value does not fit in T.
template <std::integral T>
[[nodiscard]] std::optional<T> parse_integer(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  T value{};
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return value;
}

// ASCII only: `lower` must already be lower case (HTTP names and schemes).
[[nodiscard]] bool equals_ignore_case(std::string_view text, std::string_view lower);
[[nodiscard]] bool starts_with_ignore_case(std::string_view text, std::string_view lower_prefix);

// Appends the decimal form of an integer, or the shortest form of a double.
template <class T>
requires std::integral<T> || std::floating_point<T>
void append_number(std::string& out, T value) {
  std::array<char, 32> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec == std::errc{}) {
    out.append(buffer.data(), end);
  }
}

// Appends `text` as the inside of a JSON string (quotes not included).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace hello
