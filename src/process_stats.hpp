#pragma once

#include <optional>
#include <string_view>

#include "metrics.hpp"

namespace hello {

// Fields of /proc/<pid>/stat that the process_* metrics need.
struct ProcStat {
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  std::uint64_t threads = 0;
  std::uint64_t start_ticks_after_boot = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_pages = 0;
};

[[nodiscard]] std::optional<ProcStat> parse_proc_stat(std::string_view content);

// The "btime" line of /proc/stat: boot time in seconds since the epoch.
[[nodiscard]] std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat);

// This process's figures from procfs; zeros where procfs is unavailable.
[[nodiscard]] ProcessStats read_process_stats();

}  // namespace hello
