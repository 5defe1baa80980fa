// Graceful shutdown as Kubernetes and load balancers see it.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_process.hpp"

namespace hello::test {
namespace {

using Clock = std::chrono::steady_clock;

TEST(Shutdown, SigtermDrainsThenExitsZero) {
  ServerProcess server{args({"--drain-delay", "1", "--shutdown-timeout", "5"})};
  RawClient keep_alive{server.port()};
  ASSERT_TRUE(keep_alive.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(keep_alive.read_response());

  const auto signalled = Clock::now();
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log("readiness off", 2s)) << server.log();

  // Draining: readiness fails at once, everything else is still served,
  // on new connections and on the open keep-alive one.
  auto ready = http_get(server.port(), "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  auto hello = http_get(server.port(), "/");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->status, 200);
  ASSERT_TRUE(keep_alive.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto during = keep_alive.read_response();
  ASSERT_TRUE(during);
  EXPECT_EQ(during->status, 200);
  EXPECT_FALSE(during->has_header("connection"));
  auto live = http_get(server.port(), "/healthz");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);

  // After the drain the idle keep-alive connection is closed and the
  // process exits 0 well before the shutdown timeout.
  EXPECT_TRUE(keep_alive.wait_closed(5s));
  const auto code = server.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << server.log();
  const auto took = Clock::now() - signalled;
  EXPECT_GE(took, 1s);       // not before the drain delay
  EXPECT_LT(took, 1s + 5s);  // not after the shutdown timeout
  EXPECT_NE(server.log().find("\"msg\":\"stopped\",\"exit_code\":0"), std::string::npos) << server.log();
}

TEST(Shutdown, InFlightRequestFinishesWithConnectionClose) {
  ServerProcess server{args({"--drain-delay", "0.2", "--shutdown-timeout", "5"})};
  RawClient in_flight{server.port()};
  ASSERT_TRUE(in_flight.send("GET / HTTP/1.1\r\nHost: t\r\n"));  // half a request
  std::this_thread::sleep_for(100ms);
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log("listener closed", 3s)) << server.log();
  // The listener is closed: no new connections.
  RawClient late{server.port()};
  EXPECT_FALSE(late.connected() && late.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n") && late.read_response(true, 1s));
  // The request in flight completes and is answered, then the connection closes.
  ASSERT_TRUE(in_flight.send("\r\n"));
  auto response = in_flight.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(in_flight.wait_closed());
  EXPECT_EQ(server.wait_exit(5s), 0) << server.log();
}

TEST(Shutdown, SigintShutsDownGracefullyToo) {
  ServerProcess server{args({"--drain-delay", "0"})};
  server.send_signal(SIGINT);
  EXPECT_EQ(server.wait_exit(5s), 0) << server.log();
  EXPECT_NE(server.log().find("\"signal\":\"SIGINT\""), std::string::npos);
}

TEST(Shutdown, SecondSignalExitsAtOnce) {
  ServerProcess server{args({"--drain-delay", "30"})};
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log("readiness off", 2s));
  const auto second = Clock::now();
  server.send_signal(SIGTERM);
  const auto code = server.wait_exit(3s);
  ASSERT_TRUE(code) << "still running after the second signal";
  EXPECT_EQ(*code, 128 + SIGTERM);
  EXPECT_LT(Clock::now() - second, 2s);
}

TEST(Shutdown, SecondSignalDuringTheFinalPhaseExitsAtOnce) {
  ServerProcess server{args({"--drain-delay", "0", "--shutdown-timeout", "60", "--header-timeout", "60"})};
  RawClient stuck{server.port()};
  ASSERT_TRUE(stuck.send("GET / HTTP/1.1\r\n"));
  std::this_thread::sleep_for(100ms);
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log("listener closed", 3s));
  server.send_signal(SIGINT);
  EXPECT_EQ(server.wait_exit(3s), 128 + SIGINT);
}

TEST(Shutdown, ShutdownTimeoutEndsAStuckRequestWithExitOne) {
  ServerProcess server{args({"--drain-delay", "0", "--shutdown-timeout", "0.5", "--header-timeout", "60"})};
  RawClient stuck{server.port()};
  ASSERT_TRUE(stuck.send("GET / HTTP/1.1\r\n"));  // never completes
  std::this_thread::sleep_for(100ms);
  server.send_signal(SIGTERM);
  const auto code = server.wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(server.log().find("shutdown timeout"), std::string::npos) << server.log();
  EXPECT_TRUE(stuck.wait_closed(2s));
}

}  // namespace
}  // namespace hello::test
