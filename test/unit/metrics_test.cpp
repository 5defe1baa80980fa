#include "metrics.hpp"

#include <string>

#include <gtest/gtest.h>

#include "process_stats.hpp"

namespace hello {
namespace {

std::string render(const MetricsRegistry& registry, bool ready = true) {
  std::string out;
  ProcessStats process;
  process.cpu_seconds = 1.5;
  process.resident_bytes = 2048;
  process.virtual_bytes = 4096;
  process.open_fds = 7;
  process.max_fds = 1024;
  process.start_time_seconds = 1700000000.25;
  process.threads = 3;
  registry.render(out, process, ready);
  return out;
}

// An assertion, so that a failure names the text it looked for.
::testing::AssertionResult contains(const std::string& page, const std::string& text) {
  if (page.find(text) != std::string::npos) {
    return ::testing::AssertionSuccess() << "the page has: " << text;
  }
  return ::testing::AssertionFailure() << "the page lacks: " << text;
}

TEST(Metrics, SumsCountersAcrossWorkers) {
  MetricsRegistry registry{2, {"1.0.0", "abc"}};
  registry.worker(0).count_request(Endpoint::root, MethodLabel::get, 200);
  registry.worker(1).count_request(Endpoint::root, MethodLabel::get, 200);
  registry.worker(1).count_request(Endpoint::root, MethodLabel::post, 405);
  const auto page = render(registry);
  EXPECT_TRUE(contains(page, "http_requests_total{method=\"GET\",code=\"200\",route=\"/\"} 2\n"));
  EXPECT_TRUE(contains(page, "http_requests_total{method=\"POST\",code=\"405\",route=\"/\"} 1\n"));
  EXPECT_FALSE(contains(page, "code=\"404\""));  // never counted, not shown
}

TEST(Metrics, AlwaysShowsTheGetOkSeries) {
  MetricsRegistry registry{1, {"1.0.0", "abc"}};
  EXPECT_TRUE(contains(render(registry), "http_requests_total{method=\"GET\",code=\"200\",route=\"/\"} 0\n"));
}

TEST(Metrics, RoutesAreAFixedSetOfLabels) {
  MetricsRegistry registry{2, {"1.0.0", "abc"}};
  for (auto endpoint : {Endpoint::root, Endpoint::healthz, Endpoint::readyz, Endpoint::metrics, Endpoint::version,
                        Endpoint::not_found}) {
    registry.worker(1).count_request(endpoint, MethodLabel::get, 200);
    registry.worker(0).observe_duration(endpoint, 50'000, 1);
  }
  const auto page = render(registry);
  for (const char* route : {"/", "/healthz", "/readyz", "/metrics", "/version", "other"}) {
    EXPECT_TRUE(
        contains(page, std::string{"http_requests_total{method=\"GET\",code=\"200\",route=\""} + route + "\"} 1\n"));
    EXPECT_TRUE(contains(page, std::string{"http_request_duration_seconds_count{route=\""} + route + "\"} 1\n"));
  }
  EXPECT_EQ(route_label(Endpoint::not_found), "other");
}

TEST(Metrics, RouteHistogramsAppearOnceTheyCount) {
  MetricsRegistry registry{1, {"1.0.0", "abc"}};
  const auto page = render(registry);
  // The application route's from the start, so that rates exist at once.
  EXPECT_TRUE(contains(page, "http_request_duration_seconds_count{route=\"/\"} 0\n"));
  EXPECT_FALSE(contains(page, "route=\"/healthz\""));
}

TEST(Metrics, HistogramIsCumulativeWithSumAndCount) {
  MetricsRegistry registry{2, {"1.0.0", "abc"}};
  registry.worker(0).observe_duration(Endpoint::root, 50'000, 3);         // 50 µs, three requests
  registry.worker(1).observe_duration(Endpoint::root, 2'000'000, 1);      // 2 ms
  registry.worker(1).observe_duration(Endpoint::root, 3'000'000'000, 1);  // 3 s: beyond every bound
  const auto page = render(registry);
  EXPECT_TRUE(contains(page, "http_request_duration_seconds_bucket{route=\"/\",le=\"0.0001\"} 3\n"));
  EXPECT_TRUE(contains(page, "http_request_duration_seconds_bucket{route=\"/\",le=\"0.001\"} 3\n"));
  EXPECT_TRUE(contains(page, "http_request_duration_seconds_bucket{route=\"/\",le=\"0.0025\"} 4\n"));
  EXPECT_TRUE(contains(page, "http_request_duration_seconds_bucket{route=\"/\",le=\"1\"} 4\n"));
  EXPECT_TRUE(contains(page, "http_request_duration_seconds_bucket{route=\"/\",le=\"+Inf\"} 5\n"));
  EXPECT_TRUE(contains(page, "http_request_duration_seconds_count{route=\"/\"} 5\n"));
  EXPECT_TRUE(contains(page, "http_request_duration_seconds_sum{route=\"/\"} 3.00215\n"));
}

TEST(Metrics, BucketBoundaryIsInclusive) {
  MetricsRegistry registry{1, {"1.0.0", "abc"}};
  registry.worker(0).observe_duration(Endpoint::root, 100'000, 1);  // exactly 0.0001 s
  EXPECT_TRUE(contains(render(registry), "http_request_duration_seconds_bucket{route=\"/\",le=\"0.0001\"} 1\n"));
}

TEST(Metrics, GaugesBuildInfoAndProcess) {
  MetricsRegistry registry{1, {"1.0.0", "abc123"}};
  registry.worker(0).connections_active.add(3);
  registry.worker(0).connections_active.add(-1);
  const auto page = render(registry, false);
  EXPECT_TRUE(contains(page, "http_connections_active 2\n"));
  EXPECT_TRUE(contains(page, "hello_build_info{version=\"1.0.0\",revision=\"abc123\"} 1\n"));
  EXPECT_TRUE(contains(page, "hello_ready 0\n"));
  EXPECT_TRUE(contains(page, "process_cpu_seconds_total 1.5\n"));
  EXPECT_TRUE(contains(page, "process_resident_memory_bytes 2048\n"));
  EXPECT_TRUE(contains(page, "process_open_fds 7\n"));
  EXPECT_TRUE(contains(page, "process_max_fds 1024\n"));
  EXPECT_TRUE(contains(page, "process_start_time_seconds 1700000000.25\n"));
}

TEST(Metrics, EveryFamilyHasHelpAndTypeBeforeItsSamples) {
  MetricsRegistry registry{1, {"1.0.0", "abc"}};
  const auto page = render(registry);
  std::string current;
  std::size_t start = 0;
  while (start < page.size()) {
    const auto end = page.find('\n', start);
    const auto line = page.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("# HELP ")) {
      current = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      EXPECT_EQ(line.substr(7, current.size()), current);
      continue;
    }
    EXPECT_TRUE(line.starts_with(current)) << line << " outside " << current;
  }
}

TEST(Metrics, StatusOutsideTheListCountsAs500) {
  EXPECT_EQ(status_index(299), status_index(500));
  EXPECT_NE(status_index(404), status_index(500));
}

TEST(Metrics, RejectionsHaveAFixedSetOfReasons) {
  MetricsRegistry registry{2, {"1.0.0", "abc"}};
  registry.worker(0).count_rejection(rejection_reason(400));
  registry.worker(1).count_rejection(rejection_reason(400));
  registry.worker(1).count_rejection(RejectionReason::connection_limit);
  const auto page = render(registry);
  EXPECT_TRUE(contains(page, "# TYPE http_requests_rejected_total counter\n"));
  EXPECT_TRUE(contains(page, "http_requests_rejected_total{reason=\"bad_request\"} 2\n"));
  EXPECT_TRUE(contains(page, "http_requests_rejected_total{reason=\"connection_limit\"} 1\n"));
  // Every reason is there from the start.
  for (const char* reason : {"timeout", "body_too_large", "uri_too_long", "header_too_large", "not_implemented"}) {
    EXPECT_TRUE(contains(page, std::string{"http_requests_rejected_total{reason=\""} + reason + "\"} 0\n"));
  }
  EXPECT_EQ(rejection_reason(408), RejectionReason::timeout);
  EXPECT_EQ(rejection_reason(413), RejectionReason::body_too_large);
  EXPECT_EQ(rejection_reason(414), RejectionReason::uri_too_long);
  EXPECT_EQ(rejection_reason(431), RejectionReason::header_too_large);
  EXPECT_EQ(rejection_reason(501), RejectionReason::not_implemented);
  EXPECT_EQ(rejection_reason(503), RejectionReason::connection_limit);
}

TEST(Metrics, ProcessFiguresThatCouldNotBeReadAreLeftOut) {
  MetricsRegistry registry{1, {"1.0.0", "abc"}};
  ProcessStats process;
  process.max_fds = 1024;
  std::string page;
  registry.render(page, process, true);
  EXPECT_TRUE(contains(page, "process_max_fds 1024\n"));
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                           "process_start_time_seconds", "process_virtual_memory_bytes", "process_threads"}) {
    EXPECT_FALSE(contains(page, name));
  }
}

}  // namespace
}  // namespace hello
