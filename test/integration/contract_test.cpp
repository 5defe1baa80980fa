// Every row of the service contract, over real sockets.
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "build_info.hpp"
#include "http_client.hpp"
#include "shared_server.hpp"

namespace hello::test {
namespace {

class Contract : public WithSharedServer<> {};

const std::regex imf_fixdate{
    R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$)"};

std::uint64_t metric_value(const std::string& page, const std::string& series) {
  const auto at = page.find("\n" + series + " ");
  if (at == std::string::npos) {
    return 0;
  }
  return std::stoull(page.substr(at + series.size() + 2));
}

TEST_F(Contract, RootSaysHelloWorld) {
  auto response = http_get(port(), "/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(response->body, "Hello, world!");
  EXPECT_EQ(response->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->header("content-length"), "13");
  EXPECT_TRUE(std::regex_match(response->header("date"), imf_fixdate)) << response->header("date");
}

TEST_F(Contract, HeadHasTheHeadersOfGetAndNoBody) {
  RawClient client{port()};
  client.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = client.read_response(false);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "13");
  EXPECT_EQ(head->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(head->has_header("date"));
  // Were a body sent after the HEAD response, this would not parse.
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "ok\n");
}

TEST_F(Contract, HealthzIsOkWhileServing) {
  auto response = http_get(port(), "/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(Contract, ReadyzIsOkWhileServing) {
  auto response = http_get(port(), "/readyz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  auto head = http_get(port(), "/readyz", "HEAD");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
}

TEST_F(Contract, MetricsUsePrometheusTextFormat) {
  auto response = http_get(metrics_port(), "/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto& page = response->body;
  for (const char* family :
       {"# TYPE http_requests_total counter", "# TYPE http_request_duration_seconds histogram",
        "# TYPE http_connections_active gauge", "# TYPE hello_build_info gauge",
        "# TYPE process_cpu_seconds_total counter", "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_open_fds gauge", "# TYPE process_start_time_seconds gauge",
        "http_request_duration_seconds_bucket{route=\"/\",le=\"+Inf\"}",
        "http_request_duration_seconds_sum{route=\"/\"}", "http_request_duration_seconds_count{route=\"/\"}"}) {
    EXPECT_NE(page.find(family), std::string::npos) << family;
  }
  EXPECT_NE(page.find("hello_build_info{version=\"" + std::string{build::version} + "\",revision=\"" +
                      std::string{build::revision} + "\"} 1"),
            std::string::npos);
  EXPECT_GT(metric_value(page, "process_resident_memory_bytes"), 0U);
  EXPECT_GT(metric_value(page, "process_open_fds"), 0U);
  EXPECT_GE(metric_value(page, "http_connections_active"), 1U);  // this scrape's own
  EXPECT_TRUE(page.ends_with("\n"));
}

TEST_F(Contract, RequestsAreCountedByRouteMethodAndCode) {
  const auto before = http_get(metrics_port(), "/metrics")->body;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(http_get(port(), "/"));
  }
  ASSERT_TRUE(http_get(port(), "/healthz"));
  ASSERT_TRUE(http_get(port(), "/readyz"));
  ASSERT_TRUE(http_get(port(), "/version"));
  ASSERT_TRUE(http_get(port(), "/missing"));
  ASSERT_TRUE(http_get(port(), "/metrics"));  // not here: a path like any unknown one
  ASSERT_TRUE(http_get(port(), "/", "POST"));
  const auto after = http_get(metrics_port(), "/metrics")->body;
  auto delta = [&](const std::string& series) { return metric_value(after, series) - metric_value(before, series); };
  EXPECT_EQ(delta(R"(http_requests_total{method="GET",code="200",route="/"})"), 5U);
  EXPECT_EQ(delta(R"(http_requests_total{method="GET",code="200",route="/healthz"})"), 1U);
  EXPECT_EQ(delta(R"(http_requests_total{method="GET",code="200",route="/readyz"})"), 1U);
  EXPECT_EQ(delta(R"(http_requests_total{method="GET",code="200",route="/version"})"), 1U);
  EXPECT_EQ(delta(R"(http_requests_total{method="GET",code="404",route="other"})"), 2U);
  EXPECT_EQ(delta(R"(http_requests_total{method="POST",code="405",route="/"})"), 1U);
  // The first scrape counts itself once it is answered.
  EXPECT_EQ(delta(R"(http_requests_total{method="GET",code="200",route="/metrics"})"), 1U);
  EXPECT_EQ(delta(R"(http_request_duration_seconds_count{route="/"})"), 6U);
  EXPECT_EQ(delta(R"(http_request_duration_seconds_count{route="other"})"), 2U);
  EXPECT_EQ(delta(R"(http_request_duration_seconds_count{route="/metrics"})"), 1U);
}

TEST_F(Contract, MetricsAreServedOnlyOnTheMetricsPort) {
  auto on_application_port = http_get(port(), "/metrics");
  ASSERT_TRUE(on_application_port);
  EXPECT_EQ(on_application_port->status, 404);
  auto on_metrics_port = http_get(metrics_port(), "/metrics");
  ASSERT_TRUE(on_metrics_port);
  EXPECT_EQ(on_metrics_port->status, 200);
  // The metrics port serves nothing else.
  for (const char* path : {"/", "/healthz", "/readyz", "/version", "/nope"}) {
    auto response = http_get(metrics_port(), path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 404) << path;
  }
  auto post = http_get(metrics_port(), "/metrics", "POST");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

TEST_F(Contract, VersionIsJsonWithVersionAndRevision) {
  auto response = http_get(port(), "/version");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), "application/json");
  EXPECT_EQ(response->body, "{\"version\":\"" + std::string{build::version} + "\",\"revision\":\"" +
                                std::string{build::revision} + "\"}\n");
}

TEST_F(Contract, UnknownPathIsNotFound) {
  for (const char* path : {"/nope", "/healthz/", "/HEALTHZ", "/%68ealthz", "/index.html"}) {
    auto response = http_get(port(), path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 404) << path;
  }
}

TEST_F(Contract, OtherMethodsOnKnownPathsAreNotAllowed) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    for (const char* path : {"/", "/healthz", "/readyz", "/version"}) {
      auto response = http_get(port(), path, method);
      ASSERT_TRUE(response) << method << " " << path;
      EXPECT_EQ(response->status, 405) << method << " " << path;
      EXPECT_EQ(response->header("allow"), "GET, HEAD") << method << " " << path;
    }
  }
}

TEST_F(Contract, QueryStringsAndAbsoluteFormRouteByPath) {
  auto query = http_get(port(), "/?name=x");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->body, "Hello, world!");
  auto absolute = http_get(port(), "http://hello.example/healthz?x");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(absolute->status, 200);
  EXPECT_EQ(absolute->body, "ok\n");
}

TEST_F(Contract, KeepAliveServesManyRequestsOnOneConnection) {
  RawClient client{port()};
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "Hello, world!");
    EXPECT_FALSE(response->has_header("connection"));
  }
}

TEST_F(Contract, PipelinedRequestsAreAnsweredInOrder) {
  RawClient client{port()};
  const std::vector<std::pair<std::string, int>> requests{{"/", 200},        {"/nope", 404},   {"/healthz", 200},
                                                          {"/version", 200}, {"/readyz", 200}, {"/x", 404}};
  std::string batch;
  for (int round = 0; round < 3; ++round) {
    for (const auto& [path, status] : requests) {
      batch += "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }
  }
  ASSERT_TRUE(client.send(batch));
  for (int round = 0; round < 3; ++round) {
    for (const auto& [path, status] : requests) {
      auto response = client.read_response();
      ASSERT_TRUE(response) << path;
      EXPECT_EQ(response->status, status) << path;
    }
  }
}

TEST_F(Contract, PipelinedRequestsSplitAtEveryByteAreAnswered) {
  RawClient client{port()};
  const std::string batch =
      "GET / HTTP/1.1\r\nHost: t\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /readyz HTTP/1.1\r\nHost: "
      "t\r\n\r\n";
  for (char c : batch) {
    ASSERT_TRUE(client.send(std::string_view{&c, 1}));
  }
  auto first = client.read_response();
  auto second = client.read_response(false);
  auto third = client.read_response();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->body, "Hello, world!");
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(third->body, "ready\n");
}

TEST_F(Contract, Http10WithoutKeepAliveIsAnsweredThenClosed) {
  auto result = exchange(port(), "GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(result.response->body, "Hello, world!");
  EXPECT_EQ(result.response->header("connection"), "close");
  EXPECT_TRUE(result.closed);
}

TEST_F(Contract, Http10KeepAliveIsHonoured) {
  RawClient client{port()};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("connection"), "keep-alive");
  }
}

TEST_F(Contract, ConnectionCloseIsHonoured) {
  auto result =
      exchange(port(), "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->header("connection"), "close");
  EXPECT_TRUE(result.closed);
}

TEST_F(Contract, BodyOfARejectedMethodIsConsumedExactly) {
  RawClient client{port()};
  const std::string body = "GET /nope HTTP/1.1\r\nX: y\r\n";
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                          body + "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto rejected = client.read_response();
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 405);
  EXPECT_FALSE(rejected->has_header("connection"));
  // The body looked like a request; it must not have been parsed as one.
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "ok\n");
}

TEST_F(Contract, ChunkedBodyIsReadThenTheConnectionCloses) {
  auto result = exchange(port(),
                         "POST /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\nhello\r\n0\r\n\r\n");
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 405);
  EXPECT_EQ(result.response->header("connection"), "close");
  EXPECT_TRUE(result.closed);
}

TEST_F(Contract, ResponsesCarryNoServerFingerprint) {
  auto response = http_get(port(), "/");
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->has_header("server"));
  EXPECT_FALSE(response->has_header("x-powered-by"));
}

}  // namespace
}  // namespace hello::test
