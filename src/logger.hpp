#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace hello {

enum class LogLevel : std::uint8_t { debug, info, warn, error };
enum class LogFormat : std::uint8_t { json, text };

[[nodiscard]] std::string_view to_string(LogLevel level);
[[nodiscard]] std::string_view to_string(LogFormat format);

struct LogField {
  using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;
  std::string_view key;
  Value value;

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view{v}) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view{v}) {}
  LogField(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, long v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, long long v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::uint64_t{v}) {}
  LogField(std::string_view k, unsigned long v) : key(k), value(std::uint64_t{v}) {}
  LogField(std::string_view k, unsigned long long v) : key(k), value(std::uint64_t{v}) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
};

// One line per event: a JSON object {"time","level","msg",fields...} or, in
// text format, "time LEVEL msg key=value...". Each line is written with a
// single write(2), so lines from different threads never interleave.
class Logger {
 public:
  Logger(LogLevel level, LogFormat format, int fd = 2) : level_(level), format_(format), fd_(fd) {}

  [[nodiscard]] bool enabled(LogLevel level) const { return level >= level_; }

  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {}) const;
  void debug(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::debug, message, fields);
  }
  void info(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::info, message, fields);
  }
  void warn(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::warn, message, fields);
  }
  void error(std::string_view message, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::error, message, fields);
  }

  // The formatted line without writing it (for tests).
  [[nodiscard]] std::string format_line(LogLevel level, std::string_view message,
                                        std::initializer_list<LogField> fields, std::int64_t unix_millis) const;

 private:
  LogLevel level_;
  LogFormat format_;
  int fd_;
};

// RFC 3339 UTC with milliseconds: 2026-11-26T09:28:25.123Z
void append_rfc3339_millis(std::string& out, std::int64_t unix_millis);

}  // namespace hello
