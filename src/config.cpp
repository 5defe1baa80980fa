#include "config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstdlib>
#include <string>

#include "build_info.hpp"
#include "text.hpp"

namespace hello {
namespace {

using Setter = std::optional<std::string> (*)(Config&, std::string_view value);

struct Option {
  std::string_view flag;
  std::string_view env;
  std::string_view value_name;
  std::string_view help;
  std::string_view default_text;
  Setter set;
};

std::optional<std::uint64_t> parse_in_range(std::string_view text, std::uint64_t min, std::uint64_t max) {
  auto value = parse_integer<std::uint64_t>(text);
  if (!value || *value < min || *value > max) {
    return std::nullopt;
  }
  return value;
}

// Seconds as a decimal with at most millisecond precision: "5", "0.5", "2.125".
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text, std::chrono::milliseconds min,
                                                       std::chrono::milliseconds max) {
  const auto dot = text.find('.');
  const auto whole_text = text.substr(0, dot);
  std::uint64_t millis = 0;
  if (dot != std::string_view::npos) {
    const auto fraction = text.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 3) {
      return std::nullopt;
    }
    auto parsed = parse_in_range(fraction, 0, 999);
    if (!parsed) {
      return std::nullopt;
    }
    millis = *parsed;
    for (auto digits = fraction.size(); digits < 3; ++digits) {
      millis *= 10;
    }
  }
  constexpr std::uint64_t max_seconds = 86'400;
  auto whole = whole_text.empty() && dot != std::string_view::npos ? std::optional<std::uint64_t>{0}
                                                                   : parse_in_range(whole_text, 0, max_seconds);
  if (!whole) {
    return std::nullopt;
  }
  const std::chrono::milliseconds result{static_cast<std::int64_t>(*whole * 1000 + millis)};
  if (result < min || result > max) {
    return std::nullopt;
  }
  return result;
}

std::string seconds_range(std::chrono::milliseconds min, std::chrono::milliseconds max) {
  auto format = [](std::chrono::milliseconds value) {
    auto text = std::to_string(value.count() / 1000);
    if (auto rest = value.count() % 1000; rest != 0) {
      auto fraction = std::to_string(rest + 1000).substr(1);
      while (fraction.back() == '0') {
        fraction.pop_back();
      }
      text += "." + fraction;
    }
    return text;
  };
  return "expected seconds from " + format(min) + " to " + format(max) + " (e.g. 5 or 0.5)";
}

template <auto Member>
std::optional<std::string> set_seconds(Config& config, std::string_view value, std::chrono::milliseconds min,
                                       std::chrono::milliseconds max) {
  auto parsed = parse_seconds(value, min, max);
  if (!parsed) {
    return seconds_range(min, max);
  }
  config.*Member = *parsed;
  return std::nullopt;
}

constexpr std::chrono::milliseconds one_hour{3'600'000};

constexpr std::array options{
    Option{"--address", "HELLO_ADDRESS", "ADDR", "IPv4 or IPv6 address to listen on", "0.0.0.0",
           [](Config& config, std::string_view value) -> std::optional<std::string> {
             std::array<unsigned char, sizeof(in6_addr)> buffer{};
             const std::string text{value};
             if (inet_pton(AF_INET, text.c_str(), buffer.data()) != 1 &&
                 inet_pton(AF_INET6, text.c_str(), buffer.data()) != 1) {
               return "expected an IPv4 or IPv6 address such as 0.0.0.0 or ::";
             }
             config.address = text;
             return std::nullopt;
           }},
    Option{"--port", "HELLO_PORT", "PORT", "TCP port to listen on (0: any free port)", "8080",
           [](Config& config, std::string_view value) -> std::optional<std::string> {
             auto parsed = parse_in_range(value, 0, 65'535);
             if (!parsed) {
               return "expected an integer from 0 to 65535";
             }
             config.port = static_cast<std::uint16_t>(*parsed);
             return std::nullopt;
           }},
    Option{"--metrics-port", "HELLO_METRICS_PORT", "PORT",
           "TCP port that serves /metrics, and only it (0: any free port); must differ from --port", "9102",
           [](Config& config, std::string_view value) -> std::optional<std::string> {
             auto parsed = parse_in_range(value, 0, 65'535);
             if (!parsed) {
               return "expected an integer from 0 to 65535";
             }
             config.metrics_port = static_cast<std::uint16_t>(*parsed);
             return std::nullopt;
           }},
    Option{"--threads", "HELLO_THREADS", "N",
           "worker threads, one event loop each (0: CPUs available, cgroup quota included)", "0",
           [](Config& config, std::string_view value) -> std::optional<std::string> {
             auto parsed = parse_in_range(value, 0, 1024);
             if (!parsed) {
               return "expected an integer from 0 to 1024";
             }
             config.threads = static_cast<unsigned>(*parsed);
             return std::nullopt;
           }},
    Option{"--drain-delay", "HELLO_DRAIN_DELAY", "SECONDS",
           "after SIGTERM, seconds /readyz answers 503 while requests are still served", "5",
           [](Config& config, std::string_view value) {
             return set_seconds<&Config::drain_delay>(config, value, std::chrono::milliseconds{0}, one_hour);
           }},
    Option{"--shutdown-timeout", "HELLO_SHUTDOWN_TIMEOUT", "SECONDS",
           "after the drain, seconds in-flight requests get to finish", "20",
           [](Config& config, std::string_view value) {
             return set_seconds<&Config::shutdown_timeout>(config, value, std::chrono::milliseconds{1}, one_hour);
           }},
    Option{"--header-timeout", "HELLO_HEADER_TIMEOUT", "SECONDS",
           "seconds a client gets to send complete request headers", "10",
           [](Config& config, std::string_view value) {
             return set_seconds<&Config::header_timeout>(config, value, std::chrono::milliseconds{1}, one_hour);
           }},
    Option{"--idle-timeout", "HELLO_IDLE_TIMEOUT", "SECONDS",
           "seconds an idle keep-alive connection stays open (keep above the load balancer's)", "75",
           [](Config& config, std::string_view value) {
             return set_seconds<&Config::idle_timeout>(config, value, std::chrono::milliseconds{1}, one_hour);
           }},
    Option{"--max-connections", "HELLO_MAX_CONNECTIONS", "N", "open client connections at most; more are refused",
           "16384",
           [](Config& config, std::string_view value) -> std::optional<std::string> {
             auto parsed = parse_in_range(value, 1, 1'000'000);
             if (!parsed) {
               return "expected an integer from 1 to 1000000";
             }
             config.max_connections = static_cast<unsigned>(*parsed);
             return std::nullopt;
           }},
    Option{"--log-level", "HELLO_LOG_LEVEL", "LEVEL", "debug, info, warn or error", "info",
           [](Config& config, std::string_view value) -> std::optional<std::string> {
             for (auto level : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
               if (value == to_string(level)) {
                 config.log_level = level;
                 return std::nullopt;
               }
             }
             return "expected one of debug, info, warn, error";
           }},
    Option{"--log-format", "HELLO_LOG_FORMAT", "FORMAT", "json (one object per line) or text", "json",
           [](Config& config, std::string_view value) -> std::optional<std::string> {
             for (auto format : {LogFormat::json, LogFormat::text}) {
               if (value == to_string(format)) {
                 config.log_format = format;
                 return std::nullopt;
               }
             }
             return "expected json or text";
           }},
};

constexpr std::string_view probe_flag = "--probe";

ConfigExit error(const std::string& message) {
  return ConfigExit{2, "hello-server: " + message + "\nRun 'hello-server --help' for usage.\n"};
}

const Option* find_option(std::string_view flag) {
  for (const auto& option : options) {
    if (option.flag == flag) {
      return &option;
    }
  }
  return nullptr;
}

}  // namespace

std::string usage_text() {
  std::string text =
      "Usage: hello-server [OPTION]...\n"
      "       hello-server --probe URL\n"
      "\n"
      "Serves \"Hello, world!\" over HTTP/1.1 with /healthz, /readyz and /version; /metrics on a port of its own.\n"
      "\n"
      "Options (each can also be set with the environment variable shown; flags win):\n";
  for (const auto& option : options) {
    std::string left = "  " + std::string{option.flag} + " " + std::string{option.value_name};
    left.resize(std::max<std::size_t>(left.size() + 1, 30), ' ');
    text += left + std::string{option.help} + "\n";
    text += std::string(30, ' ') + "[env " + std::string{option.env} + ", default " + std::string{option.default_text} +
            "]\n";
  }
  text +=
      "  --probe URL                 GET the http:// URL once; exit 0 on a 2xx answer, 1 otherwise\n"
      "                              (the image's health check: it has no shell or curl)\n"
      "  -h, --help                  show this help and exit\n"
      "  --version                   show the version and exit\n"
      "\n"
      "Signals: SIGTERM or SIGINT starts a graceful shutdown; a second one exits at once.\n"
      "Exit status: 0 after a clean shutdown, 1 on a runtime error, 2 on a usage error.\n";
  return text;
}

namespace {

using FlagValues = std::array<std::optional<std::string_view>, options.size()>;

// The command line: --probe into `config`, other options' values into
// `from_flags`; a ConfigExit for --help, --version and usage errors.
std::optional<ConfigExit> read_flags(std::span<const char* const> args, Config& config, FlagValues& from_flags) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg{args[i]};
    if (arg == "-h" || arg == "--help") {
      return ConfigExit{0, usage_text()};
    }
    if (arg == "--version") {
      return ConfigExit{
          0, "hello-server " + std::string{build::version} + " (revision " + std::string{build::revision} + ")\n"};
    }
    if (!arg.starts_with("--")) {
      return error("unexpected argument '" + std::string{arg} + "'");
    }
    const auto equals = arg.find('=');
    const auto name = arg.substr(0, equals);
    std::optional<std::string_view> value;
    if (equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = std::string_view{args[++i]};
    }
    if (name == probe_flag) {
      if (!value || value->empty()) {
        return error("option '--probe' needs a URL, e.g. --probe http://127.0.0.1:8080/healthz");
      }
      config.probe_url = std::string{*value};
      continue;
    }
    const auto* option = find_option(name);
    if (option == nullptr) {
      return error("unknown option '" + std::string{name} + "'");
    }
    if (!value) {
      return error("option '" + std::string{name} + "' needs a value (" + std::string{option->value_name} + ")");
    }
    from_flags[static_cast<std::size_t>(option - options.data())] = value;
  }
  return std::nullopt;
}

// Each option from its flag, else from its environment variable.
std::optional<ConfigExit> apply_options(const FlagValues& from_flags, const EnvLookup& env, Config& config) {
  for (std::size_t index = 0; index < options.size(); ++index) {
    const auto& option = options[index];
    std::string env_value;
    std::string_view value;
    std::string source;
    if (from_flags[index]) {
      value = *from_flags[index];
      source = std::string{option.flag};
    } else if (auto found = env(option.env); found && !found->empty()) {
      env_value = std::move(*found);
      value = env_value;
      source = "environment variable " + std::string{option.env};
    } else {
      continue;
    }
    if (auto problem = option.set(config, value)) {
      return error("invalid value '" + std::string{value} + "' for " + source + ": " + *problem);
    }
  }
  return std::nullopt;
}

}  // namespace

ConfigResult parse_config(std::span<const char* const> args, const EnvLookup& env) {
  Config config;
  FlagValues from_flags{};
  if (auto exit = read_flags(args, config, from_flags)) {
    return std::move(*exit);
  }
  if (auto exit = apply_options(from_flags, env, config)) {
    return std::move(*exit);
  }
  // Port 0 picks a free port for each, which never coincide.
  if (config.metrics_port == config.port && config.port != 0) {
    return error("the metrics port and the application port are both " + std::to_string(config.port) +
                 "; give --metrics-port (HELLO_METRICS_PORT) another port");
  }
  return config;
}

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string key{name};
    // Read once at startup, before any thread exists.
    // NOLINTNEXTLINE(concurrency-mt-unsafe)
    const char* value = std::getenv(key.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string{value};
  };
}

}  // namespace hello
