#include "process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <charconv>

#include "read_file.hpp"

namespace hello {
namespace {

std::optional<std::uint64_t> to_unsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::uint64_t count_open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) {
    return 0;
  }
  std::uint64_t count = 0;
  // readdir is safe here: the stream is private to this call.
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') {
      ++count;
    }
  }
  closedir(dir);
  return count > 0 ? count - 1 : 0;  // the directory stream's own descriptor
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view content) {
  // The command name in parentheses may itself contain spaces and ')'.
  const auto name_end = content.rfind(')');
  if (name_end == std::string_view::npos || name_end + 2 > content.size()) {
    return std::nullopt;
  }
  std::string_view rest = content.substr(name_end + 2);
  // Fields from the 3rd ("state") on, 0-based from there.
  constexpr std::size_t utime = 11;
  constexpr std::size_t stime = 12;
  constexpr std::size_t num_threads = 17;
  constexpr std::size_t starttime = 19;
  constexpr std::size_t vsize = 20;
  constexpr std::size_t rss = 21;
  std::array<std::string_view, rss + 1> fields{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto space = rest.find(' ');
    fields[i] = rest.substr(0, space);
    if (space == std::string_view::npos) {
      if (i + 1 < fields.size()) {
        return std::nullopt;
      }
      break;
    }
    rest.remove_prefix(space + 1);
  }
  while (!fields[rss].empty() && fields[rss].back() == '\n') {
    fields[rss].remove_suffix(1);
  }
  auto u = to_unsigned(fields[utime]);
  auto s = to_unsigned(fields[stime]);
  auto t = to_unsigned(fields[num_threads]);
  auto start = to_unsigned(fields[starttime]);
  auto vm = to_unsigned(fields[vsize]);
  auto resident = to_unsigned(fields[rss]);
  if (!u || !s || !t || !start || !vm || !resident) {
    return std::nullopt;
  }
  return ProcStat{*u, *s, *t, *start, *vm, *resident};
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) {
  constexpr std::string_view key = "btime ";
  auto at = proc_stat.starts_with(key) ? 0 : proc_stat.find("\nbtime ");
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  at += proc_stat[at] == '\n' ? key.size() + 1 : key.size();
  const auto end = proc_stat.find('\n', at);
  return to_unsigned(proc_stat.substr(at, end == std::string_view::npos ? end : end - at));
}

ProcessStats read_process_stats() {
  ProcessStats stats;
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  if (auto content = read_small_file("/proc/self/stat")) {
    if (auto stat = parse_proc_stat(*content)) {
      stats.cpu_seconds = static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks;
      stats.resident_bytes = stat->resident_pages * page;
      stats.virtual_bytes = stat->virtual_bytes;
      stats.threads = stat->threads;
      if (auto system = read_small_file("/proc/stat")) {
        if (auto boot = parse_boot_time(*system)) {
          stats.start_time_seconds =
              static_cast<double>(*boot) + static_cast<double>(stat->start_ticks_after_boot) / ticks;
        }
      }
    }
  }
  stats.open_fds = count_open_fds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats.max_fds = limit.rlim_cur;
  }
  return stats;
}

}  // namespace hello
