#include "byte_buffer.hpp"

#include <string>

#include <gtest/gtest.h>

namespace hello {
namespace {

TEST(ByteBuffer, StartsEmptyWithoutMemory) {
  ByteBuffer buffer;
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.free_space(), 0U);
}

TEST(ByteBuffer, AppendConsumeAndGrow) {
  ByteBuffer buffer;
  buffer.append("hello ");
  buffer.append(std::string(5000, 'x'));
  EXPECT_EQ(buffer.size(), 5006U);
  buffer.consume(6);
  EXPECT_EQ(buffer.view(), std::string(5000, 'x'));
  char* tail = buffer.prepare(10);
  std::memcpy(tail, "0123456789", 10);
  buffer.commit(10);
  EXPECT_TRUE(buffer.view().ends_with("0123456789"));
}

TEST(ByteBuffer, EmptiedBufferReleasesItsMemory) {
  ByteBuffer buffer;
  buffer.append("abc");
  buffer.consume(3);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.free_space(), 0U);
}

TEST(ByteBuffer, ConsumingFromTheFrontMovesNothingUntilRoomIsNeeded) {
  ByteBuffer buffer;
  buffer.append("0123456789");
  const char* first = buffer.view().data();
  buffer.consume(4);
  EXPECT_EQ(buffer.view(), "456789");
  EXPECT_EQ(buffer.view().data(), first + 4);  // not moved
  // Room at the end is found by moving the rest to the front, not by
  // growing, when the buffer has it.
  const auto capacity = buffer.free_space() + buffer.size() + 4;
  std::memcpy(buffer.prepare(capacity - 6), std::string(capacity - 6, 'z').data(), capacity - 6);
  buffer.commit(capacity - 6);
  EXPECT_EQ(buffer.size(), capacity);
  EXPECT_EQ(buffer.view().data(), first);
  EXPECT_TRUE(buffer.view().starts_with("456789zz"));
  EXPECT_EQ(buffer.free_space(), 0U);
}

}  // namespace
}  // namespace hello
