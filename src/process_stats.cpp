#include "process_stats.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "read_file.hpp"
#include "text.hpp"

namespace hello {
namespace {

// The whole of a small procfs file through a descriptor kept open: procfs
// regenerates the content on every read from offset 0.
std::optional<std::string_view> pread_whole(int fd, std::array<char, 4096>& buffer) {
  if (fd < 0) {
    return std::nullopt;
  }
  for (;;) {
    const auto n = ::pread(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0 || static_cast<std::size_t>(n) == buffer.size()) {
      return std::nullopt;  // unreadable, or larger than any stat line
    }
    return std::string_view{buffer.data(), static_cast<std::size_t>(n)};
  }
}

// Lists /proc/self/fd through the directory descriptor kept open.
std::optional<std::uint64_t> list_open_fds(int dir) {
  if (::lseek(dir, 0, SEEK_SET) != 0) {
    return std::nullopt;
  }
  alignas(8) std::array<char, 8192> entries{};
  std::uint64_t count = 0;
  for (;;) {
    const auto n = ::syscall(SYS_getdents64, dir, entries.data(), entries.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return std::nullopt;
    }
    if (n == 0) {
      return count;
    }
    // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
    for (long at = 0; at < n;) {
      std::uint16_t record = 0;
      std::memcpy(&record, entries.data() + at + 16, sizeof(record));
      if (entries[static_cast<std::size_t>(at) + 19] != '.') {
        ++count;
      }
      if (record == 0) {
        return std::nullopt;
      }
      at += record;
    }
  }
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
  auto u = parse_integer<std::uint64_t>(fields[utime]);
  auto s = parse_integer<std::uint64_t>(fields[stime]);
  auto t = parse_integer<std::uint64_t>(fields[num_threads]);
  auto start = parse_integer<std::uint64_t>(fields[starttime]);
  auto vm = parse_integer<std::uint64_t>(fields[vsize]);
  auto resident = parse_integer<std::uint64_t>(fields[rss]);
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
  return parse_integer<std::uint64_t>(proc_stat.substr(at, end == std::string_view::npos ? end : end - at));
}

ProcessStatsReader::ProcessStatsReader()
    : stat_(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC)),
      fd_dir_(::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
      ticks_per_second_(static_cast<double>(sysconf(_SC_CLK_TCK))),
      page_size_(static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE))) {
  std::array<char, 4096> buffer{};
  const auto content = pread_whole(stat_.get(), buffer);
  const auto stat = content ? parse_proc_stat(*content) : std::nullopt;
  const auto system = read_small_file("/proc/stat");
  const auto boot = system ? parse_boot_time(*system) : std::nullopt;
  if (stat && boot) {
    start_time_seconds_ =
        static_cast<double>(*boot) + static_cast<double>(stat->start_ticks_after_boot) / ticks_per_second_;
  }
}

std::optional<std::uint64_t> ProcessStatsReader::open_fds() const {
  if (!fd_dir_) {
    return std::nullopt;
  }
  struct stat info {};
  if (::fstat(fd_dir_.get(), &info) == 0 && info.st_size > 0) {
    return static_cast<std::uint64_t>(info.st_size);
  }
  return list_open_fds(fd_dir_.get());
}

ProcessStats ProcessStatsReader::read() const {
  ProcessStats stats;
  std::array<char, 4096> buffer{};
  const auto content = pread_whole(stat_.get(), buffer);
  if (const auto stat = content ? parse_proc_stat(*content) : std::nullopt) {
    stats.cpu_seconds = static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks_per_second_;
    stats.resident_bytes = stat->resident_pages * page_size_;
    stats.virtual_bytes = stat->virtual_bytes;
    stats.threads = stat->threads;
  }
  stats.start_time_seconds = start_time_seconds_;
  stats.open_fds = open_fds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats.max_fds = limit.rlim_cur;
  }
  return stats;
}

ProcessStats CachedProcessStats::get() {
  const std::scoped_lock lock{mutex_};
  const auto now = std::chrono::steady_clock::now();
  if (!have_value_ || now - read_at_ >= max_age_) {
    value_ = reader_.read();
    read_at_ = now;
    have_value_ = true;
  }
  return value_;
}

}  // namespace hello
