#include "text.hpp"

namespace hello {
namespace {

constexpr char to_lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool starts_with_ignore_case(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if (to_lower_ascii(text[i]) != lower_prefix[i]) {
      return false;
    }
  }
  return true;
}

bool equals_ignore_case(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() && starts_with_ignore_case(text, lower);
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr std::string_view hex = "0123456789abcdef";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out += hex[byte >> 4U];
          out += hex[byte & 0xfU];
        } else {
          out += c;
        }
    }
  }
}

}  // namespace hello
