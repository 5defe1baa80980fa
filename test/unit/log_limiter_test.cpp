#include "log_limiter.hpp"

#include <gtest/gtest.h>

namespace hello {
namespace {

TEST(LogLimiter, LetsOneLineThroughPerIntervalAndCountsTheRest) {
  LogLimiter limiter{10'000};
  EXPECT_TRUE(limiter.allow(1'000));
  EXPECT_EQ(limiter.suppressed(), 0U);
  for (int i = 0; i < 500; ++i) {
    EXPECT_FALSE(limiter.allow(1'000 + i));
  }
  EXPECT_FALSE(limiter.allow(10'999));
  EXPECT_TRUE(limiter.allow(11'000));
  EXPECT_EQ(limiter.suppressed(), 501U);
  EXPECT_TRUE(limiter.allow(30'000));
  EXPECT_EQ(limiter.suppressed(), 0U);
}

}  // namespace
}  // namespace hello
