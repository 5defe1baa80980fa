#include "process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>

#include <gtest/gtest.h>

namespace hello {
namespace {

TEST(ProcessStats, ParsesProcStatEvenWithParenthesesInTheName) {
  const std::string line =
      "1234 (hello (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 9000 12345678 300 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  auto stat = parse_proc_stat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utime_ticks, 250U);
  EXPECT_EQ(stat->stime_ticks, 50U);
  EXPECT_EQ(stat->threads, 3U);
  EXPECT_EQ(stat->start_ticks_after_boot, 9000U);
  EXPECT_EQ(stat->virtual_bytes, 12345678U);
  EXPECT_EQ(stat->resident_pages, 300U);
}

TEST(ProcessStats, RejectsTruncatedProcStat) {
  EXPECT_FALSE(parse_proc_stat("1234 (x) S 1 2 3"));
  EXPECT_FALSE(parse_proc_stat("no parentheses"));
}

TEST(ProcessStats, ParsesBootTime) {
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"), 1700000000U);
  EXPECT_EQ(parse_boot_time("btime 42\n"), 42U);
  EXPECT_FALSE(parse_boot_time("cpu 1\n"));
}

TEST(ProcessStats, ReadsThisProcess) {
  const ProcessStatsReader reader;
  const auto stats = reader.read();
  ASSERT_TRUE(stats.resident_bytes && stats.virtual_bytes && stats.open_fds && stats.max_fds && stats.threads &&
              stats.start_time_seconds && stats.cpu_seconds);
  EXPECT_GT(*stats.resident_bytes, 0U);
  EXPECT_GT(*stats.virtual_bytes, *stats.resident_bytes);
  EXPECT_GE(*stats.open_fds, 5U);  // stdio and the reader's own two
  EXPECT_GT(*stats.max_fds, 0U);
  EXPECT_GE(*stats.threads, 1U);
  const auto now = static_cast<double>(time(nullptr));
  EXPECT_GT(*stats.start_time_seconds, now - 3600);
  EXPECT_LE(*stats.start_time_seconds, now + 1);
}

TEST(ProcessStats, CountsDescriptorsAsTheyOpenAndClose) {
  const ProcessStatsReader reader;
  const auto before = reader.open_fds();
  ASSERT_TRUE(before);
  std::array<int, 2> pipe_ends{};
  ASSERT_EQ(::pipe(pipe_ends.data()), 0);
  EXPECT_EQ(reader.open_fds(), *before + 2);
  ::close(pipe_ends[0]);
  ::close(pipe_ends[1]);
  EXPECT_EQ(reader.open_fds(), before);
}

// The reason the descriptors are kept open: a process at its limit (or
// whose limit was lowered below what it has open) still reads itself.
TEST(ProcessStats, ReadsThisProcessWithNoDescriptorLeft) {
  const ProcessStatsReader reader;
  const auto cpu_before = reader.read().cpu_seconds;
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  const rlimit none{0, saved.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &none), 0);
  const auto stats = reader.read();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(stats.open_fds && stats.resident_bytes && stats.cpu_seconds && stats.start_time_seconds);
  EXPECT_GE(*stats.open_fds, 5U);
  EXPECT_GT(*stats.resident_bytes, 0U);
  EXPECT_GE(*stats.cpu_seconds, *cpu_before);
  EXPECT_EQ(stats.max_fds, 0U);
}

TEST(ProcessStats, CacheReadsAtMostOncePerPeriod) {
  CachedProcessStats cache{std::chrono::hours{1}};
  const auto first = cache.get();
  std::array<int, 2> pipe_ends{};
  ASSERT_EQ(::pipe(pipe_ends.data()), 0);
  EXPECT_EQ(cache.get().open_fds, first.open_fds);  // not read again
  ::close(pipe_ends[0]);
  ::close(pipe_ends[1]);
  CachedProcessStats fresh{std::chrono::milliseconds{0}};
  const auto a = fresh.get().open_fds;
  ASSERT_EQ(::pipe(pipe_ends.data()), 0);
  EXPECT_EQ(fresh.get().open_fds, *a + 2);
  ::close(pipe_ends[0]);
  ::close(pipe_ends[1]);
}

}  // namespace
}  // namespace hello
