#include "logger.hpp"

#include <unistd.h>

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace hello {
namespace {

constexpr std::int64_t some_time = 1'795'000'000'123;  // 2026-11-18T11:06:40.123Z

TEST(Logger, JsonLine) {
  const Logger logger{LogLevel::info, LogFormat::json};
  const auto line = logger.format_line(LogLevel::warn, "it \"broke\"\n",
                                       {{"port", 8080}, {"ok", false}, {"name", "a\\b"}, {"ratio", 0.5}}, some_time);
  EXPECT_EQ(
      line,
      R"({"time":"2026-11-18T11:06:40.123Z","level":"warn","msg":"it \"broke\"\n","port":8080,"ok":false,"name":"a\\b","ratio":0.5})"
      "\n");
}

TEST(Logger, TextLine) {
  const Logger logger{LogLevel::info, LogFormat::text};
  const auto line = logger.format_line(LogLevel::info, "listening",
                                       {{"port", 8080}, {"address", "0.0.0.0"}, {"msg", "two words"}}, some_time);
  EXPECT_EQ(line, "2026-11-18T11:06:40.123Z INFO listening port=8080 address=0.0.0.0 msg=\"two words\"\n");
}

TEST(Logger, LevelsFilter) {
  const Logger logger{LogLevel::warn, LogFormat::json};
  EXPECT_FALSE(logger.enabled(LogLevel::debug));
  EXPECT_FALSE(logger.enabled(LogLevel::info));
  EXPECT_TRUE(logger.enabled(LogLevel::warn));
  EXPECT_TRUE(logger.enabled(LogLevel::error));
}

TEST(Logger, WritesWholeLinesToItsDescriptor) {
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe(fds.data()), 0);
  {
    const Logger logger{LogLevel::info, LogFormat::json, fds[1]};
    logger.debug("hidden");
    logger.info("shown", {{"n", 1}});
  }
  ::close(fds[1]);
  std::array<char, 512> buffer{};
  const auto n = ::read(fds[0], buffer.data(), buffer.size());
  ::close(fds[0]);
  ASSERT_GT(n, 0);
  const std::string text{buffer.data(), static_cast<std::size_t>(n)};
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  EXPECT_NE(text.find(R"("level":"info","msg":"shown","n":1})"), std::string::npos);
  EXPECT_TRUE(text.ends_with("}\n"));
}

}  // namespace
}  // namespace hello
