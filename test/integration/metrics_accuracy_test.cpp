// What /metrics reports must stay true under pressure: when descriptors run
// out, and when requests are pipelined.
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "metrics_page.hpp"
#include "server_process.hpp"

namespace hello::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string scrape(RawClient& client) {
  if (!client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")) {
    return {};
  }
  auto response = client.read_response();
  return response && response->status == 200 ? response->body : std::string{};
}

// Finding 6: with its descriptor limit lowered below what it has open (as
// `prlimit --pid PID --nofile=N` does), the server read zeros for every
// process_* metric, and process_cpu_seconds_total went backwards.
TEST(ProcessMetrics, StayTrueWhenDescriptorsRunOut) {
  ServerProcess server{{}};
  std::vector<RawClient> clients;
  for (int i = 0; i < 30; ++i) {
    clients.emplace_back(server.port());
    ASSERT_TRUE(clients.back().send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(clients.back().read_response());
  }
  RawClient scraper{server.metrics_port()};
  const auto before = scrape(scraper);
  ASSERT_FALSE(before.empty());

  rlimit current{};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, nullptr, &current), 0);
  const rlimit lowered{16, current.rlim_max};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &lowered, nullptr), 0);
  const auto after = scrape(scraper);
  if (after.empty()) {
    static_cast<void>(server.wait_exit(2s));  // for its last words in the log
  }
  ASSERT_FALSE(after.empty()) << "no answer on an open connection (reset: " << scraper.was_reset() << "); log:\n"
                              << server.log();

  for (const char* name : {"process_open_fds", "process_resident_memory_bytes", "process_start_time_seconds",
                           "process_virtual_memory_bytes", "process_threads"}) {
    const auto value = sample_value(after, name);
    ASSERT_TRUE(value) << name << " missing";
    EXPECT_GT(*value, 0) << name;
  }
  EXPECT_GE(*sample_value(after, "process_open_fds"), 30);
  const auto cpu_before = sample_value(before, "process_cpu_seconds_total");
  const auto cpu_after = sample_value(after, "process_cpu_seconds_total");
  ASSERT_TRUE(cpu_before && cpu_after);
  EXPECT_GE(*cpu_after, *cpu_before) << "a counter went backwards";
  EXPECT_EQ(sample_value(after, "process_start_time_seconds"), sample_value(before, "process_start_time_seconds"));
}

// Finding 7: every request of a pipelined batch was observed with the whole
// batch's time, so 2,000 pipelined requests could add up to far more time
// than passed. Timed each on its own, the sum of their durations cannot
// exceed the time the client saw pass.
TEST(LatencyHistogram, PipelinedRequestsAreTimedEachOnTheirOwn) {
  ServerProcess server{args({"--threads", "1"})};
  RawClient client{server.port()};
  constexpr int requests = 2000;
  std::string batch;
  for (int i = 0; i < requests; ++i) {
    batch += "GET /version HTTP/1.1\r\nHost: t\r\n\r\n";
  }
  const auto start = Clock::now();
  ASSERT_TRUE(client.send(batch));
  for (int i = 0; i < requests; ++i) {
    ASSERT_TRUE(client.read_response()) << i;
  }
  const std::chrono::duration<double> wall = Clock::now() - start;
  const auto metrics = http_get(server.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics);
  const auto count = sample_value(metrics->body, R"(http_request_duration_seconds_count{route="/version"})");
  const auto sum = sample_value(metrics->body, R"(http_request_duration_seconds_sum{route="/version"})");
  ASSERT_TRUE(count && sum);
  EXPECT_GE(*count, requests);
  EXPECT_LE(*sum, wall.count()) << *count << " requests took " << *sum << " s in all, in " << wall.count()
                                << " s of wall-clock time";
}

}  // namespace
}  // namespace hello::test
