#include "http_date.hpp"

#include <string>

#include <gtest/gtest.h>

namespace hello {
namespace {

std::string formatted(std::time_t seconds) {
  std::array<char, http_date_length> out{};
  format_http_date(seconds, out);
  return {out.data(), out.size()};
}

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(formatted(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(formatted(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(formatted(1'795'000'000), "Wed, 18 Nov 2026 11:06:40 GMT");
}

TEST(HttpDate, CacheReformatsOnlyWhenTheSecondChanges) {
  HttpDateCache cache;
  const auto first = cache.get(784111777);
  EXPECT_EQ(first, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(cache.get(784111777).data(), first.data());
  EXPECT_EQ(cache.get(784111778), "Sun, 06 Nov 1994 08:49:38 GMT");
}

}  // namespace
}  // namespace hello
