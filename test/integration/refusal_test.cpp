// Refusals and rejections are answered, logged and counted (finding 9):
// a connection over the cap gets a 503 instead of a reset, the descriptor
// reserve follows the real limit, a request line that can no longer become
// valid is rejected at once, and every rejection is logged at debug and
// counted by reason, while warnings stay rate-limited.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "metrics_page.hpp"
#include "server_process.hpp"

namespace hello::test {
namespace {

std::size_t count_lines(const std::string& log, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Opens `count` connections and keeps them open, each answered 200 once:
// the descriptors they hold are what the limit tests are about.
::testing::AssertionResult hold_answered_connections(const ServerProcess& server, int count,
                                                     std::vector<RawClient>& clients) {
  for (int i = 1; i <= count; ++i) {
    clients.emplace_back(server.port());
    if (!clients.back().send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")) {
      return ::testing::AssertionFailure() << "connection " << i << ": the request could not be sent";
    }
    const auto response = clients.back().read_response();
    if (!response) {
      return ::testing::AssertionFailure() << "connection " << i << " unanswered (refused or reset); log:\n"
                                           << server.log();
    }
    if (response->status != 200) {
      return ::testing::AssertionFailure() << "connection " << i << ": status " << response->status << "; log:\n"
                                           << server.log();
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(Refusal, OverTheCapIsAnswered503WithRetryAfter) {
  ServerProcess server{args({"--max-connections", "1", "--threads", "1"})};
  RawClient holder{server.port()};
  ASSERT_TRUE(holder.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(holder.read_response());
  auto refused = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(refused.response) << "reset instead of an answer";
  EXPECT_EQ(refused.response->status, 503);
  EXPECT_EQ(refused.response->header("connection"), "close");
  EXPECT_EQ(refused.response->header("retry-after"), "1");
  EXPECT_TRUE(refused.closed);
}

// With `ulimit -n 64` a reserve of 64 descriptors left room for one
// connection; the reserve is what the process needs besides connections.
TEST(Refusal, DescriptorReserveFollowsTheRealLimit) {
  ServerProcess::Options options = args({"--threads", "2"});
  options.open_files = 64;
  ServerProcess server{options};
  std::vector<RawClient> clients;
  ASSERT_TRUE(hold_answered_connections(server, 32, clients));
}

// The soft limit is lifted to the hard one at start-up (as Go's runtime
// does): under `prlimit --nofile=64:4096` the server has room for far more
// than the 64 descriptors it was started with.
TEST(Refusal, SoftDescriptorLimitIsLiftedToTheHardOne) {
  ServerProcess::Options options = args({"--threads", "1"});
  options.open_files = 64;
  options.open_files_hard = 4096;
  ServerProcess server{options};
  std::vector<RawClient> clients;
  ASSERT_TRUE(hold_answered_connections(server, 200, clients));
  // The default cap (16,384) is fitted under the lifted limit, not the 64.
  EXPECT_NE(server.log().find("\"nofile\":4096,"), std::string::npos) << server.log();
}

TEST(Rejection, IsLoggedAtDebugWithItsReason) {
  ServerProcess server{args({"--log-level", "debug"})};
  auto rejected = exchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  ASSERT_TRUE(rejected.response);
  EXPECT_EQ(rejected.response->status, 400);
  EXPECT_TRUE(server.wait_for_log("more than one Host header", 5s)) << server.log();
  EXPECT_NE(server.log().find("\"level\":\"debug\",\"msg\":\"request rejected\""), std::string::npos) << server.log();
}

TEST(Rejection, IsNotLoggedAtInfo) {
  ServerProcess server{{}};
  ASSERT_TRUE(exchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").response);
  ASSERT_TRUE(http_get(server.port(), "/healthz"));
  EXPECT_FALSE(server.wait_for_log("request rejected", 500ms)) << server.log();
}

TEST(Rejection, IsCountedByReason) {
  ServerProcess server{{}};
  ASSERT_TRUE(exchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").response);
  ASSERT_TRUE(exchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").response);
  ASSERT_TRUE(exchange(server.port(), "BREW / HTTP/1.1\r\nHost: t\r\n\r\n").response);
  ASSERT_TRUE(exchange(server.port(), "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n").response);
  auto metrics = http_get(server.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics);
  const auto& page = metrics->body;
  EXPECT_NE(page.find("# TYPE http_requests_rejected_total counter"), std::string::npos);
  EXPECT_EQ(sample_value(page, "http_requests_rejected_total{reason=\"bad_request\"}"), 2);
  EXPECT_EQ(sample_value(page, "http_requests_rejected_total{reason=\"not_implemented\"}"), 1);
  EXPECT_EQ(sample_value(page, "http_requests_rejected_total{reason=\"uri_too_long\"}"), 1);
  // Every reason is a series from the start, so rates need no absent().
  EXPECT_EQ(sample_value(page, "http_requests_rejected_total{reason=\"timeout\"}"), 0);
  EXPECT_EQ(sample_value(page, "http_requests_rejected_total{reason=\"connection_limit\"}"), 0);
}

TEST(Refusal, IsCountedAsARejection) {
  // Connections to the metrics port count against the cap too.
  ServerProcess server{args({"--max-connections", "2", "--threads", "1"})};
  RawClient holder{server.port()};
  ASSERT_TRUE(holder.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(holder.read_response());
  RawClient scraper{server.metrics_port()};
  ASSERT_TRUE(scraper.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(scraper.read_response());
  ASSERT_TRUE(exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n").response);
  ASSERT_TRUE(scraper.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto metrics = scraper.read_response();
  ASSERT_TRUE(metrics);
  EXPECT_EQ(sample_value(metrics->body, "http_requests_rejected_total{reason=\"connection_limit\"}"), 1);
  EXPECT_EQ(sample_value(metrics->body, "http_connections_refused_total"), 1);
}

// An operator learns that the cap is reached, once, not once per refusal:
// an attacker cannot flood the log.
TEST(Refusal, WarningsAreRateLimited) {
  ServerProcess server{args({"--max-connections", "1", "--threads", "1"})};
  RawClient holder{server.port()};
  ASSERT_TRUE(holder.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(holder.read_response());
  for (int i = 0; i < 100; ++i) {
    auto refused = exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_TRUE(refused.response) << i;
    ASSERT_EQ(refused.response->status, 503) << i;
  }
  ASSERT_TRUE(server.wait_for_log("connection limit reached", 5s)) << server.log();
  EXPECT_EQ(count_lines(server.log(), "connection limit reached"), 1U) << server.log();
}

}  // namespace
}  // namespace hello::test
