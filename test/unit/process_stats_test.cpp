#include "process_stats.hpp"

#include <unistd.h>

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
  const auto stats = read_process_stats();
  EXPECT_GT(stats.resident_bytes, 0U);
  EXPECT_GT(stats.virtual_bytes, stats.resident_bytes);
  EXPECT_GE(stats.open_fds, 3U);
  EXPECT_GT(stats.max_fds, 0U);
  EXPECT_GE(stats.threads, 1U);
  const auto now = static_cast<double>(time(nullptr));
  EXPECT_GT(stats.start_time_seconds, now - 3600);
  EXPECT_LE(stats.start_time_seconds, now + 1);
}

}  // namespace
}  // namespace hello
