// Connection management: timeouts, the connection cap, slow and
// non-reading clients.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_process.hpp"

namespace hello::test {
namespace {

using Clock = std::chrono::steady_clock;

TEST(Connections, IncompleteHeadersTimeOutWith408) {
  ServerProcess server{args({"--header-timeout", "0.3"})};
  RawClient client{server.port()};
  client.send("GET / HTTP/1.1\r\nHost: t\r\n");  // no blank line: headers never complete
  auto response = client.read_response(true, 5s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(5s));
}

TEST(Connections, TrickledHeadersDoNotExtendTheHeaderTimeout) {
  ServerProcess server{args({"--header-timeout", "1"})};
  RawClient client{server.port()};
  const auto start = Clock::now();
  client.send("GET / HTTP/1.1\r\n");
  // One header byte every 200 ms would last forever if each byte reset the clock.
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    client.send("X");
    closed = client.wait_closed(200ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(Connections, ConnectionThatSendsNothingIsClosed) {
  ServerProcess server{args({"--header-timeout", "0.3"})};
  RawClient client{server.port()};
  // TCP_DEFER_ACCEPT holds such a connection in the kernel for a second first.
  EXPECT_TRUE(client.wait_closed(10s));
  EXPECT_EQ(client.unparsed(), "");
}

TEST(Connections, IdleKeepAliveConnectionsAreClosedAfterTheIdleTimeout) {
  ServerProcess server{args({"--idle-timeout", "0.5"})};
  RawClient client{server.port()};
  client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(client.read_response());
  EXPECT_TRUE(client.wait_closed(5s));
  EXPECT_EQ(client.unparsed(), "");  // closed silently, no 408 for an idle connection
}

TEST(Connections, BusyKeepAliveConnectionsStayOpen) {
  ServerProcess server{args({"--idle-timeout", "1"})};
  RawClient client{server.port()};
  const auto until = Clock::now() + 2500ms;
  int answered = 0;
  while (Clock::now() < until) {
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(client.read_response()) << "closed after " << answered << " requests";
    ++answered;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_GE(answered, 10);
}

TEST(Connections, ConnectionsBeyondTheCapAreRefused) {
  ServerProcess server{args({"--max-connections", "2", "--threads", "1"})};
  RawClient first{server.port()};
  RawClient second{server.port()};
  ASSERT_TRUE(first.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(second.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(first.read_response());
  ASSERT_TRUE(second.read_response());
  RawClient third{server.port()};
  third.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto refused = third.read_response();
  ASSERT_TRUE(refused) << "closed without an answer";
  EXPECT_EQ(refused->status, 503);
  EXPECT_TRUE(third.wait_closed(5s));
  EXPECT_EQ(third.unparsed(), "");
  // The open ones keep working, and a slot frees up when one closes.
  ASSERT_TRUE(first.send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(first.read_response());
  ASSERT_TRUE(first.wait_closed());
  std::this_thread::sleep_for(100ms);
  auto fourth = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(fourth.response);
  EXPECT_EQ(fourth.response->status, 200);
  auto metrics = http_get(server.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("http_connections_refused_total 1\n"), std::string::npos);
}

TEST(Connections, SlowClientsDoNotDelayOthers) {
  ServerProcess server{args({"--threads", "1"})};
  std::vector<RawClient> slow;
  for (int i = 0; i < 50; ++i) {
    slow.emplace_back(server.port());
    slow.back().send("GET / HTTP/1.1\r\nHo");  // and nothing more
  }
  // With one worker thread, a blocking read on any slow client would stall this.
  for (int i = 0; i < 20; ++i) {
    auto response = http_get(server.port(), "/");
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 200);
  }
}

TEST(Connections, ClientThatDoesNotReadGetsEveryResponseOnceItDoes) {
  ServerProcess server{args({"--threads", "1"})};
  RawClient greedy{server.port()};
  // Far more responses than socket buffers hold, unread.
  std::string batch;
  constexpr int requests = 20'000;
  for (int i = 0; i < requests; ++i) {
    batch += "GET /version HTTP/1.1\r\nHost: t\r\n\r\n";
  }
  std::thread sender([&] { greedy.send(batch); });
  // Meanwhile others are served.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(http_get(server.port(), "/"));
  }
  int answered = 0;
  while (answered < requests) {
    auto response = greedy.read_response(true, 10s);
    ASSERT_TRUE(response) << "after " << answered;
    ASSERT_EQ(response->status, 200);
    ++answered;
  }
  sender.join();
  EXPECT_EQ(answered, requests);
}

TEST(Connections, ManyConcurrentConnectionsAreServed) {
  ServerProcess server{{}};
  std::vector<RawClient> clients;
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back(server.port());
    ASSERT_TRUE(clients.back().connected());
  }
  for (auto& client : clients) {
    client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  }
  for (auto& client : clients) {
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "Hello, world!");
  }
  auto metrics = http_get(server.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("http_connections_active 201\n"), std::string::npos);
}

}  // namespace
}  // namespace hello::test
