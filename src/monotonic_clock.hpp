#pragma once

#include <cstdint>
#include <ctime>

namespace hello {

inline std::int64_t to_ms(const timespec& ts) { return ts.tv_sec * 1000 + ts.tv_nsec / 1'000'000; }
inline std::int64_t to_ns(const timespec& ts) { return ts.tv_sec * 1'000'000'000 + ts.tv_nsec; }

inline std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return to_ns(ts);
}

}  // namespace hello
