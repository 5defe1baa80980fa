#pragma once

#include <cstdint>

namespace hello {

// Lets a log line through at most once per interval and counts the ones it
// held back, so that a client cannot flood the log by provoking a warning
// (each refused connection, say). One per thread: no locking.
class LogLimiter {
 public:
  explicit LogLimiter(std::int64_t interval_ms) : interval_ms_(interval_ms) {}

  // True when a line may be written at `now_ms`; suppressed() then says how
  // many were held back before it.
  bool allow(std::int64_t now_ms) {
    if (written_ && now_ms - last_ms_ < interval_ms_) {
      ++held_back_;
      return false;
    }
    written_ = true;
    last_ms_ = now_ms;
    suppressed_ = held_back_;
    held_back_ = 0;
    return true;
  }
  [[nodiscard]] std::uint64_t suppressed() const { return suppressed_; }

 private:
  std::int64_t interval_ms_;
  std::int64_t last_ms_ = 0;
  std::uint64_t held_back_ = 0;
  std::uint64_t suppressed_ = 0;
  bool written_ = false;
};

}  // namespace hello
