#include <cstdio>
#include <exception>
#include <span>
#include <variant>

#include "config.hpp"
#include "logger.hpp"
#include "probe.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  try {
    const std::span<const char* const> args{argv, static_cast<std::size_t>(argc)};
    auto parsed = hello::parse_config(args, hello::process_environment());
    if (const auto* exit = std::get_if<hello::ConfigExit>(&parsed)) {
      const bool written = std::fputs(exit->message.c_str(), exit->is_error() ? stderr : stdout) >= 0;
      return written ? exit->exit_code : 1;
    }
    const auto& config = std::get<hello::Config>(parsed);
    if (config.probe_url) {
      return hello::run_probe(*config.probe_url);
    }
    const hello::Logger logger{config.log_level, config.log_format};
    try {
      return hello::run_server(config, logger);
    } catch (const std::exception& error) {
      logger.error("fatal", {{"error", error.what()}});
      return 1;
    }
  } catch (...) {
    // Out of memory before a logger exists; nothing more useful to say.
    return 1;
  }
}
