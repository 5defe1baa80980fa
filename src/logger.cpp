#include "logger.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>

#include "text.hpp"

namespace hello {
namespace {

void append_padded(std::string& out, long value, int width) {
  std::array<char, 8> buffer{};
  for (int i = width - 1; i >= 0; --i) {
    buffer[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer.data(), static_cast<std::size_t>(width));
}

bool needs_quotes(std::string_view text) {
  if (text.empty()) {
    return true;
  }
  return std::ranges::any_of(
      text, [](char c) { return c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20; });
}

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

std::string_view to_string(LogFormat format) { return format == LogFormat::json ? "json" : "text"; }

void append_rfc3339_millis(std::string& out, std::int64_t unix_millis) {
  const auto seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  append_padded(out, utc.tm_year + 1900L, 4);
  out += '-';
  append_padded(out, utc.tm_mon + 1L, 2);
  out += '-';
  append_padded(out, utc.tm_mday, 2);
  out += 'T';
  append_padded(out, utc.tm_hour, 2);
  out += ':';
  append_padded(out, utc.tm_min, 2);
  out += ':';
  append_padded(out, utc.tm_sec, 2);
  out += '.';
  append_padded(out, static_cast<long>(unix_millis % 1000), 3);
  out += 'Z';
}

namespace {

// A field's value: strings quoted and escaped (in text, only where needed),
// booleans as true/false, numbers in their shortest form.
void append_value(std::string& line, const LogField::Value& field_value, bool json) {
  std::visit(
      [&line, json](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          if (json || needs_quotes(value)) {
            line += '"';
            append_json_escaped(line, value);
            line += '"';
          } else {
            line += value;
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          line += value ? "true" : "false";
        } else {
          append_number(line, value);
        }
      },
      field_value);
}

void append_json_line(std::string& line, LogLevel level, std::string_view message,
                      std::initializer_list<LogField> fields, std::int64_t unix_millis) {
  line += R"({"time":")";
  append_rfc3339_millis(line, unix_millis);
  line += R"(","level":")";
  line += to_string(level);
  line += R"(","msg":")";
  append_json_escaped(line, message);
  line += '"';
  for (const auto& field : fields) {
    line += ",\"";
    append_json_escaped(line, field.key);
    line += "\":";
    append_value(line, field.value, true);
  }
  line += "}\n";
}

void append_text_line(std::string& line, LogLevel level, std::string_view message,
                      std::initializer_list<LogField> fields, std::int64_t unix_millis) {
  append_rfc3339_millis(line, unix_millis);
  line += ' ';
  for (char c : to_string(level)) {
    line += static_cast<char>(c - 'a' + 'A');
  }
  line += ' ';
  line += message;
  for (const auto& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    append_value(line, field.value, false);
  }
  line += '\n';
}

}  // namespace

std::string Logger::format_line(LogLevel level, std::string_view message, std::initializer_list<LogField> fields,
                                std::int64_t unix_millis) const {
  std::string line;
  line.reserve(128);
  if (format_ == LogFormat::json) {
    append_json_line(line, level, message, fields, unix_millis);
  } else {
    append_text_line(line, level, message, fields, unix_millis);
  }
  return line;
}

void Logger::log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) const {
  if (!enabled(level)) {
    return;
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto line =
      format_line(level, message, fields, std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  std::string_view rest = line;
  while (!rest.empty()) {
    const auto written = ::write(fd_, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      return;  // Nowhere to report a failing log stream.
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace hello
