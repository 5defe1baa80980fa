#pragma once

#include <cstdint>
#include <memory>

#include <gtest/gtest.h>

#include "server_process.hpp"

namespace hello::test {

// One hello-server for every test of a suite, started before the first and
// stopped after the last: for suites whose tests do not change its state.
template <class Base = ::testing::Test>
class WithSharedServer : public Base {
 protected:
  static void SetUpTestSuite() { server_ = std::make_unique<ServerProcess>(ServerProcess::Options{}); }
  static void TearDownTestSuite() { server_.reset(); }
  static std::uint16_t port() { return server_->port(); }
  static std::uint16_t metrics_port() { return server_->metrics_port(); }

 private:
  static inline std::unique_ptr<ServerProcess> server_;
};

}  // namespace hello::test
