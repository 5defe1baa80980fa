// Graceful shutdown as Kubernetes and load balancers see it.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_process.hpp"

namespace hello::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view get = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

TEST(Shutdown, SigtermDrainsThenExitsZero) {
  ServerProcess server{args({"--drain-delay", "1", "--shutdown-timeout", "5"})};
  const auto signalled = Clock::now();
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log("readiness off", 2s)) << server.log();

  // Draining: readiness fails at once, everything else is still served on
  // new connections, each closed after its answer.
  auto ready = http_get(server.port(), "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  auto hello = http_get(server.port(), "/");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->status, 200);
  auto live = http_get(server.port(), "/healthz");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);

  // After the drain the process exits 0 well before the shutdown timeout.
  const auto code = server.wait_exit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << server.log();
  const auto took = Clock::now() - signalled;
  EXPECT_GE(took, 1s);       // not before the drain delay
  EXPECT_LT(took, 1s + 5s);  // not after the shutdown timeout
  EXPECT_NE(server.log().find("\"msg\":\"stopped\",\"exit_code\":0"), std::string::npos) << server.log();
}

// From the signal on, a keep-alive client (a load balancer's pooled
// connection) is told to close after each answer, so it reconnects, and
// lands on a replica that is still ready.
TEST(Shutdown, EveryResponseAfterSigtermCarriesConnectionClose) {
  ServerProcess server{args({"--drain-delay", "3", "--shutdown-timeout", "5"})};
  RawClient keep_alive{server.port()};
  ASSERT_TRUE(keep_alive.send(get));
  auto before = keep_alive.read_response();
  ASSERT_TRUE(before);
  EXPECT_FALSE(before->has_header("connection"));

  const auto signalled = Clock::now();
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log("readiness off", 2s)) << server.log();

  ASSERT_TRUE(keep_alive.send(get));
  auto during = keep_alive.read_response();
  ASSERT_TRUE(during);
  EXPECT_EQ(during->status, 200);
  EXPECT_EQ(during->header("connection"), "close");
  EXPECT_TRUE(keep_alive.wait_closed(1s)) << "still open after Connection: close";
  EXPECT_FALSE(keep_alive.was_reset());

  // New connections too, whatever they ask for.
  for (const std::string_view request :
       {"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"}) {
    RawClient fresh{server.port()};
    ASSERT_TRUE(fresh.send(request));
    auto response = fresh.read_response();
    ASSERT_TRUE(response) << request;
    EXPECT_EQ(response->header("connection"), "close") << request;
    EXPECT_TRUE(fresh.wait_closed(1s)) << request;
    EXPECT_FALSE(fresh.was_reset()) << request;
  }
  EXPECT_LT(Clock::now() - signalled, 3s) << "checked after the drain delay, not during it";
}

TEST(Shutdown, PipelinedRequestsAfterSigtermGetOneAnswerWithConnectionClose) {
  ServerProcess server{args({"--drain-delay", "3", "--shutdown-timeout", "5"})};
  RawClient client{server.port()};
  ASSERT_TRUE(client.send(get));
  ASSERT_TRUE(client.read_response());
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log("readiness off", 2s)) << server.log();

  ASSERT_TRUE(client.send(std::string{get} + std::string{get} + std::string{get}));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->header("connection"), "close");
  // Nothing after a response that says close: the other two are for the
  // client to send again on a new connection.
  EXPECT_TRUE(client.wait_closed(1s)) << "still open after Connection: close";
  EXPECT_EQ(client.unparsed(), "");
  EXPECT_FALSE(client.was_reset()) << "the unanswered requests made the server reset the connection";
}

// An idle pooled connection is left alone through the drain delay (closing
// it while load balancers may still pick it would fail their next request),
// then closed with a FIN. A request that crosses that close, sent before the
// client could see the FIN, is read and discarded instead of answered with a
// reset.
TEST(Shutdown, IdleConnectionsStayOpenThroughTheDrainDelayThenCloseCleanly) {
  ServerProcess server{args({"--drain-delay", "1.5", "--shutdown-timeout", "10"})};
  std::vector<RawClient> idle;
  for (int i = 0; i < 3; ++i) {
    idle.emplace_back(server.port());
    ASSERT_TRUE(idle.back().send(get));
    ASSERT_TRUE(idle.back().read_response());
  }
  const auto signalled = Clock::now();
  server.send_signal(SIGTERM);
  for (auto& client : idle) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(signalled + 1200ms - Clock::now());
    EXPECT_FALSE(client.wait_closed(std::max(left, 0ms))) << "closed during the drain delay";
  }
  for (auto& client : idle) {
    EXPECT_TRUE(client.wait_closed(5s)) << "not closed after the drain delay";
    EXPECT_GE(Clock::now() - signalled, 1400ms);
    EXPECT_EQ(client.unparsed(), "");
    EXPECT_FALSE(client.was_reset());
  }
  auto& crossing = idle.front();
  ASSERT_TRUE(crossing.send(get));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(crossing.was_reset()) << "a request crossing the close was answered with a reset";
  // The clients close; the server's lingering ends with them.
  const auto closed = Clock::now();
  idle.clear();
  EXPECT_EQ(server.wait_exit(5s), 0) << server.log();
  EXPECT_LT(Clock::now() - closed, 1s) << "lingered after the clients closed";
}

// A connection whose answers were still being written when the drain ended
// was not idle then; once they are written it is, and it closes too, rather
// than holding the process until the shutdown timeout.
TEST(Shutdown, ConnectionThatBecomesIdleAfterTheDrainIsClosed) {
  ServerProcess server{args({"--drain-delay", "0", "--shutdown-timeout", "10"})};
  RawClient slow_reader{server.metrics_port(), RawClient::Options{.receive_buffer = 4096}};
  // Read by the server at once (less than its 64 KiB read) and answered
  // before the signal; the answers, more than the kernel's socket buffers
  // take (/metrics is about 3 KB), wait for a client that does not read yet.
  constexpr int requests = 1800;
  std::string batch;
  for (int i = 0; i < requests; ++i) {
    batch += "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
  }
  ASSERT_TRUE(slow_reader.send(batch));
  std::this_thread::sleep_for(300ms);
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log("listener closed", 3s)) << server.log();

  int answered = 0;
  std::optional<HttpResponse> response;
  while ((response = slow_reader.read_response())) {
    ++answered;
    if (response->header("connection") == "close") {
      break;
    }
  }
  EXPECT_GT(answered, 0);
  const auto read_all = Clock::now();
  EXPECT_TRUE(slow_reader.wait_closed(3s)) << "open after " << answered << " answers";
  EXPECT_FALSE(slow_reader.was_reset());
  slow_reader.close();
  const auto code = server.wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << server.log();
  EXPECT_LT(Clock::now() - read_all, 3s);
}

// Lingering is bounded by the shutdown timeout too: a client that never
// closes its end of a half-closed connection does not hold the process.
TEST(Shutdown, LingeringConnectionsAreClosedAtTheShutdownTimeout) {
  ServerProcess server{args({"--drain-delay", "0", "--shutdown-timeout", "0.5"})};
  RawClient silent{server.port()};
  ASSERT_TRUE(silent.send(get));
  ASSERT_TRUE(silent.read_response());
  const auto signalled = Clock::now();
  server.send_signal(SIGTERM);
  EXPECT_TRUE(silent.wait_closed(3s)) << "the idle connection was not half-closed";
  const auto code = server.wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1) << server.log();
  EXPECT_NE(server.log().find("shutdown timeout"), std::string::npos) << server.log();
  // Well before the linger bound (2 s) would have ended it.
  EXPECT_LT(Clock::now() - signalled, 1500ms);
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
  EXPECT_FALSE(in_flight.was_reset());
  // The server lingers until the client closes its end, not longer.
  const auto closed = Clock::now();
  in_flight.close();
  EXPECT_EQ(server.wait_exit(5s), 0) << server.log();
  EXPECT_LT(Clock::now() - closed, 1s) << "lingered after the client closed";
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
