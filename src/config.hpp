#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "logger.hpp"

namespace hello {

struct Config {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;
  // /metrics only: a port the load balancer never forwards to.
  std::uint16_t metrics_port = 9102;
  unsigned threads = 0;  // 0: one per CPU available to the process
  std::chrono::milliseconds drain_delay{5'000};
  std::chrono::milliseconds shutdown_timeout{20'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{75'000};
  unsigned max_connections = 16'384;
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::json;
  std::optional<std::string> probe_url;
};

// What the command line asks for when it is not "run the server": print a
// message (help and version to stdout, errors to stderr) and exit.
struct ConfigExit {
  int exit_code = 0;
  std::string message;
  [[nodiscard]] bool is_error() const { return exit_code != 0; }
};

using ConfigResult = std::variant<Config, ConfigExit>;

// Looks up an environment variable; returns nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Flags win over HELLO_* environment variables, which win over defaults.
// A bad value is a ConfigExit with exit code 2 naming the flag or variable.
[[nodiscard]] ConfigResult parse_config(std::span<const char* const> args, const EnvLookup& env);

// Reads the process environment.
[[nodiscard]] EnvLookup process_environment();

[[nodiscard]] std::string usage_text();

}  // namespace hello
