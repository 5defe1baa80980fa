#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include "unique_fd.hpp"

namespace hello {

// The process_* figures; one that could not be read is left out of the
// page rather than shown as 0 (a counter must never go backwards).
struct ProcessStats {
  std::optional<double> cpu_seconds;
  std::optional<std::uint64_t> resident_bytes;
  std::optional<std::uint64_t> virtual_bytes;
  std::optional<std::uint64_t> open_fds;
  std::optional<std::uint64_t> max_fds;
  std::optional<double> start_time_seconds;
  std::optional<std::uint64_t> threads;
};

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

// This process's figures from procfs. The descriptors it reads through are
// opened once, at construction, so that a process out of descriptors (or
// limited to fewer than it has open) still reports itself; the start time,
// which never changes, is read then too. What cannot be read is left unset.
class ProcessStatsReader {
 public:
  ProcessStatsReader();

  [[nodiscard]] ProcessStats read() const;
  // Open descriptors, from the kernel's count when it gives one (st_size of
  // /proc/self/fd, Linux 6.2 and later), else by listing them.
  [[nodiscard]] std::optional<std::uint64_t> open_fds() const;

 private:
  UniqueFd stat_;    // /proc/self/stat
  UniqueFd fd_dir_;  // /proc/self/fd
  std::optional<double> start_time_seconds_;
  double ticks_per_second_;
  std::uint64_t page_size_;
};

// What /metrics shows of the process: read at most once per `max_age`,
// whichever worker asks, so that scraping often or pipelining /metrics costs
// no procfs reads, and a scrape costs the same however many connections are
// open. Thread-safe.
class CachedProcessStats {
 public:
  explicit CachedProcessStats(std::chrono::milliseconds max_age = std::chrono::seconds{1}) : max_age_(max_age) {}

  [[nodiscard]] ProcessStats get();
  // For figures read once at start-up; the reader itself is not locked.
  [[nodiscard]] const ProcessStatsReader& reader() const { return reader_; }

 private:
  std::mutex mutex_;
  ProcessStatsReader reader_;
  ProcessStats value_;
  std::chrono::steady_clock::time_point read_at_;
  bool have_value_ = false;
  std::chrono::milliseconds max_age_;
};

}  // namespace hello
