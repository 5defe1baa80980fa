#include "config.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hello {
namespace {

using namespace std::chrono_literals;

struct Parse {
  explicit Parse(std::vector<const char*> flags = {}, std::map<std::string, std::string, std::less<>> variables = {})
      : args(std::move(flags)), env(std::move(variables)) {}

  std::vector<const char*> args;
  std::map<std::string, std::string, std::less<>> env;

  ConfigResult operator()() const {
    std::vector<const char*> argv{"hello-server"};
    argv.insert(argv.end(), args.begin(), args.end());
    return parse_config(argv, [this](std::string_view name) -> std::optional<std::string> {
      auto found = env.find(name);
      return found == env.end() ? std::nullopt : std::optional{found->second};
    });
  }
};

const Config& config_of(const ConfigResult& result) {
  if (const auto* exit = std::get_if<ConfigExit>(&result)) {
    ADD_FAILURE() << "unexpected exit: " << exit->message;
    static const Config empty;
    return empty;
  }
  return std::get<Config>(result);
}

const ConfigExit& exit_of(const ConfigResult& result) {
  static const ConfigExit none{-1, ""};  // returned when the parse unexpectedly succeeded
  const auto* exit = std::get_if<ConfigExit>(&result);
  EXPECT_NE(exit, nullptr) << "expected an exit";
  return exit != nullptr ? *exit : none;
}

TEST(Config, Defaults) {
  const auto config = config_of(Parse{}());
  EXPECT_EQ(config.address, "0.0.0.0");
  EXPECT_EQ(config.port, 8080);
  EXPECT_EQ(config.metrics_port, 9102);
  EXPECT_EQ(config.threads, 0U);
  EXPECT_EQ(config.drain_delay, 5s);
  EXPECT_EQ(config.shutdown_timeout, 20s);
  EXPECT_EQ(config.header_timeout, 10s);
  EXPECT_EQ(config.idle_timeout, 75s);
  EXPECT_EQ(config.max_connections, 16384U);
  EXPECT_EQ(config.log_level, LogLevel::info);
  EXPECT_EQ(config.log_format, LogFormat::json);
  EXPECT_FALSE(config.probe_url);
}

TEST(Config, FlagsInBothSpellings) {
  const auto config =
      config_of(Parse{{"--port", "9090", "--threads=3", "--drain-delay", "0.5", "--shutdown-timeout=2.25",
                       "--log-level", "debug", "--log-format=text", "--address", "::", "--max-connections", "10",
                       "--header-timeout", "1", "--idle-timeout", "61"}}());
  EXPECT_EQ(config.port, 9090);
  EXPECT_EQ(config.threads, 3U);
  EXPECT_EQ(config.drain_delay, 500ms);
  EXPECT_EQ(config.shutdown_timeout, 2250ms);
  EXPECT_EQ(config.log_level, LogLevel::debug);
  EXPECT_EQ(config.log_format, LogFormat::text);
  EXPECT_EQ(config.address, "::");
  EXPECT_EQ(config.max_connections, 10U);
  EXPECT_EQ(config.header_timeout, 1s);
  EXPECT_EQ(config.idle_timeout, 61s);
}

TEST(Config, EnvironmentFillsWhatFlagsDoNotSet) {
  const auto config =
      config_of(Parse{{"--port", "1"}, {{"HELLO_PORT", "2"}, {"HELLO_THREADS", "4"}, {"HELLO_DRAIN_DELAY", ".25"}}}());
  EXPECT_EQ(config.port, 1);
  EXPECT_EQ(config.threads, 4U);
  EXPECT_EQ(config.drain_delay, 250ms);
}

TEST(Config, MetricsPortFromFlagOrEnvironment) {
  EXPECT_EQ(config_of(Parse{{"--metrics-port", "9200"}}()).metrics_port, 9200);
  EXPECT_EQ(config_of(Parse{{}, {{"HELLO_METRICS_PORT", "9300"}}}()).metrics_port, 9300);
  // Port 0 for both: each gets a free port of its own.
  const auto any = config_of(Parse{{"--port", "0", "--metrics-port", "0"}}());
  EXPECT_EQ(any.port, 0);
  EXPECT_EQ(any.metrics_port, 0);
}

TEST(Config, MetricsPortMustDifferFromTheApplicationPort) {
  const auto same_result = Parse{{"--port", "9000", "--metrics-port", "9000"}}();
  const auto& same = exit_of(same_result);
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.message.find("both 9000"), std::string::npos) << same.message;
  const auto default_result = Parse{{}, {{"HELLO_PORT", "9102"}}}();
  EXPECT_EQ(exit_of(default_result).exit_code, 2);
  EXPECT_EQ(exit_of(Parse{{"--metrics-port", "70000"}}()).exit_code, 2);
}

TEST(Config, EmptyEnvironmentValueCountsAsUnset) {
  const auto config = config_of(Parse{{}, {{"HELLO_PORT", ""}}}());
  EXPECT_EQ(config.port, 8080);
}

TEST(Config, BadEnvironmentIgnoredWhenAFlagWins) {
  const auto config = config_of(Parse{{"--port", "80"}, {{"HELLO_PORT", "x"}}}());
  EXPECT_EQ(config.port, 80);
}

TEST(Config, HelpAndVersionExitZero) {
  const auto help_result = Parse{{"--port", "bad", "--help"}}();
  const auto& help = exit_of(help_result);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.message.find("Usage:"), std::string::npos);
  const auto version_result = Parse{{"--version"}}();
  const auto& version = exit_of(version_result);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.message.starts_with("hello-server "));
}

TEST(Config, ProbeUrl) {
  const auto config = config_of(Parse{{"--probe", "http://127.0.0.1:8080/healthz"}}());
  ASSERT_TRUE(config.probe_url);
  EXPECT_EQ(*config.probe_url, "http://127.0.0.1:8080/healthz");
}

TEST(Config, SecondsBoundaries) {
  EXPECT_EQ(config_of(Parse{{"--drain-delay", "0"}}()).drain_delay, 0ms);
  EXPECT_EQ(config_of(Parse{{"--drain-delay", "3600"}}()).drain_delay, 3600s);
  EXPECT_EQ(config_of(Parse{{"--shutdown-timeout", "0.001"}}()).shutdown_timeout, 1ms);
  for (const char* bad : {"3600.001", "1.", "1.2.3", "1e3", " 1", "1 ", "0x10", "-0", "+1", "5s", "."}) {
    EXPECT_EQ(exit_of(Parse{{"--drain-delay", bad}}()).exit_code, 2) << bad;
  }
  EXPECT_EQ(exit_of(Parse{{"--shutdown-timeout", "0"}}()).exit_code, 2);
}

TEST(Config, ErrorsNameTheSourceAndTheExpectation) {
  const auto flag_result = Parse{{"--threads", "lots"}}();
  const auto& flag = exit_of(flag_result);
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.message.find("invalid value 'lots' for --threads: expected an integer from 0 to 1024"),
            std::string::npos)
      << flag.message;
  const auto env_result = Parse{{}, {{"HELLO_LOG_LEVEL", "loud"}}}();
  const auto& env = exit_of(env_result);
  EXPECT_NE(env.message.find("for environment variable HELLO_LOG_LEVEL"), std::string::npos) << env.message;
  EXPECT_NE(env.message.find("--help"), std::string::npos);
}

TEST(Config, UsageListsEveryOptionWithItsVariable) {
  const auto usage = usage_text();
  for (const char* text : {"--address",
                           "HELLO_ADDRESS",
                           "--port",
                           "HELLO_PORT",
                           "--metrics-port",
                           "HELLO_METRICS_PORT",
                           "--threads",
                           "HELLO_THREADS",
                           "--drain-delay",
                           "HELLO_DRAIN_DELAY",
                           "--shutdown-timeout",
                           "HELLO_SHUTDOWN_TIMEOUT",
                           "--header-timeout",
                           "HELLO_HEADER_TIMEOUT",
                           "--idle-timeout",
                           "HELLO_IDLE_TIMEOUT",
                           "--max-connections",
                           "HELLO_MAX_CONNECTIONS",
                           "--log-level",
                           "HELLO_LOG_LEVEL",
                           "--log-format",
                           "HELLO_LOG_FORMAT",
                           "--probe",
                           "--help",
                           "--version"}) {
    EXPECT_NE(usage.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace hello
