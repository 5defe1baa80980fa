#pragma once

#include <array>
#include <ctime>
#include <string_view>

namespace hello {

// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t http_date_length = 29;

void format_http_date(std::time_t seconds, std::array<char, http_date_length>& out);

// The Date header value for the current second. Formatting happens at most
// once per second per worker; every response in between reuses the bytes.
class HttpDateCache {
 public:
  [[nodiscard]] std::string_view get(std::time_t now_seconds) {
    if (now_seconds != cached_second_) {
      format_http_date(now_seconds, text_);
      cached_second_ = now_seconds;
    }
    return {text_.data(), text_.size()};
  }

 private:
  std::time_t cached_second_ = -1;
  std::array<char, http_date_length> text_{};
};

}  // namespace hello
