#include "fd_budget.hpp"

#include <gtest/gtest.h>

namespace hello {
namespace {

TEST(FdBudget, ReserveIsWhatIsOpenPlusPerWorkerAndSpare) {
  EXPECT_EQ(reserved_descriptors(8, 2), 8U + 6U + 8U);
  EXPECT_GT(reserved_descriptors(8, 4), reserved_descriptors(8, 2));
}

// `ulimit -n 64` used to leave room for one connection (a fixed reserve of 64).
TEST(FdBudget, ASmallLimitStillLeavesRoomForConnections) {
  EXPECT_EQ(connections_within(64, reserved_descriptors(8, 2), 16'384), 42U);
  EXPECT_EQ(connections_within(1'048'576, reserved_descriptors(8, 2), 16'384), 16'384U);
  EXPECT_EQ(connections_within(10, 30, 16'384), 1U);
  EXPECT_EQ(connections_within(31, 30, 16'384), 1U);
}

}  // namespace
}  // namespace hello
