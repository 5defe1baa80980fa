#include "http_session.hpp"

#include <atomic>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace hello {
namespace {

class FixedPage final : public MetricsPage {
 public:
  void render(std::string& body) override {
    body += "up 1\n";
    ++renders;
  }
  int renders = 0;
};

class HttpSessionTest : public ::testing::Test {
 protected:
  ConsumeResult feed(std::string_view input) { return session.consume(input, context, out); }

  // Feeds `input` in pieces the way a socket might deliver it, keeping the
  // unconsumed tail as the worker does.
  void feed_in_pieces(std::string_view input, std::size_t piece) {
    std::string pending;
    for (std::size_t at = 0; at < input.size(); at += piece) {
      pending += input.substr(at, piece);
      const auto result = feed(pending);
      pending.erase(0, result.consumed);
      if (result.close) {
        break;
      }
    }
  }

  static std::size_t count(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

  ResponseCatalog responses{"1.2.3", "abc"};
  WorkerMetrics metrics;
  FixedPage page;
  std::string scratch;
  std::atomic<bool> readiness{true};
  SessionContext context{responses, metrics, page, scratch, "Thu, 01 Jan 1970 00:00:00 GMT", readiness, false};
  HttpSession session;
  std::string out;
};

TEST_F(HttpSessionTest, AnswersHelloWorld) {
  const auto result = feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(result.consumed, 27U);
  EXPECT_EQ(result.responses, 1U);
  EXPECT_FALSE(result.close);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
            "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\nHello, world!");
}

TEST_F(HttpSessionTest, HeadOmitsTheBodyButKeepsItsLength) {
  feed("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_NE(out.find("Content-Length: 13\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST_F(HttpSessionTest, IncompleteHeadIsNotConsumed) {
  const auto result = feed("GET / HTTP/1.1\r\nHo");
  EXPECT_EQ(result.consumed, 0U);
  EXPECT_EQ(result.responses, 0U);
  EXPECT_TRUE(session.in_request());
  EXPECT_TRUE(out.empty());
}

TEST_F(HttpSessionTest, PipelinedRequestsInOneInputAreAnsweredInOrder) {
  std::string input;
  for (const char* path : {"/", "/healthz", "/nope", "/readyz", "/version"}) {
    input += std::string{"GET "} + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
  }
  const auto result = feed(input);
  EXPECT_EQ(result.consumed, input.size());
  EXPECT_EQ(result.responses, 5U);
  const auto hello = out.find("Hello, world!");
  const auto ok = out.find("ok\n");
  const auto missing = out.find("404 Not Found");
  const auto ready = out.find("ready\n");
  const auto version = out.find("{\"version\":\"1.2.3\",\"revision\":\"abc\"}\n");
  EXPECT_LT(hello, ok);
  EXPECT_LT(ok, missing);
  EXPECT_LT(missing, ready);
  EXPECT_LT(ready, version);
  EXPECT_NE(version, std::string::npos);
}

TEST_F(HttpSessionTest, AnyPieceSizeGivesTheSameBytes) {
  std::string input;
  for (int i = 0; i < 4; ++i) {
    input += "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nPOST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  }
  feed(input);
  const auto whole = out;
  for (std::size_t piece = 1; piece < 40; ++piece) {
    session.reset();
    out.clear();
    feed_in_pieces(input, piece);
    EXPECT_EQ(out, whole) << "piece " << piece;
  }
}

TEST_F(HttpSessionTest, ReadinessFollowsTheContext) {
  feed("GET /readyz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK"));
  out.clear();
  readiness = false;
  feed("GET /readyz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 503 Service Unavailable"));
  out.clear();
  // Liveness is not readiness.
  feed("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK"));
}

TEST_F(HttpSessionTest, ClosingContextAddsConnectionClose) {
  context.closing = true;
  const auto result = feed("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(result.close);
  EXPECT_FALSE(result.client_done);  // the server's decision: the client may still be sending
  EXPECT_EQ(result.responses, 1U);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(HttpSessionTest, ClientThatAsksToCloseIsDoneSending) {
  for (const std::string_view request :
       {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "GET / HTTP/1.0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 2\r\n\r\nab"}) {
    session.reset();
    const auto result = feed(request);
    EXPECT_TRUE(result.close) << request;
    EXPECT_TRUE(result.client_done) << request;
  }
  // Shutting down does not change what the client said.
  context.closing = true;
  session.reset();
  EXPECT_TRUE(feed("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").client_done);
}

TEST_F(HttpSessionTest, ClientThatAsksToCloseAndSendsMoreIsNotDone) {
  const auto result = feed("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(result.close);
  EXPECT_FALSE(result.client_done);
  EXPECT_EQ(result.responses, 1U);
}

TEST_F(HttpSessionTest, MetricsPageIsNotServedOnTheApplicationPort) {
  feed("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(page.renders, 0);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_EQ(metrics.requests[static_cast<std::size_t>(Endpoint::not_found)][0][status_index(404)].value(), 1U);
}

TEST_F(HttpSessionTest, MetricsPortServesTheMetricsPageAlone) {
  session.reset(Port::metrics);
  feed("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(count(out, "HTTP/1.1 404 Not Found\r\n"), 2U);
  out.clear();
  feed("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(metrics.requests[static_cast<std::size_t>(Endpoint::metrics)][0][status_index(200)].value(), 1U);
}

TEST_F(HttpSessionTest, MetricsPageIsRenderedPerRequest) {
  session.reset(Port::metrics);
  feed("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(page.renders, 1);
  EXPECT_NE(out.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 5\r\n"),
            std::string::npos);
  EXPECT_TRUE(out.ends_with("up 1\n"));
}

TEST_F(HttpSessionTest, MethodNotAllowedCarriesAllow) {
  feed("DELETE /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_NE(out.find("Allow: GET, HEAD\r\n"), std::string::npos);
}

TEST_F(HttpSessionTest, RejectionClosesAndConsumesEverything) {
  const auto result = feed("GET / HTTP/1.1\r\nHost: h\nX\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(result.close);
  EXPECT_FALSE(result.client_done);
  EXPECT_EQ(result.responses, 1U);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(count(out, "HTTP/1.1"), 1U);
}

TEST_F(HttpSessionTest, TimeoutAnswers408OnlyForARequestInProgress) {
  EXPECT_FALSE(session.append_timeout_response(context, out));
  EXPECT_TRUE(out.empty());
  feed("GET /");
  EXPECT_TRUE(session.append_timeout_response(context, out));
  EXPECT_TRUE(out.starts_with("HTTP/1.1 408 Request Timeout\r\n"));
}

TEST_F(HttpSessionTest, CountsRequestsByMethodAndStatus) {
  feed(
      "GET / HTTP/1.1\r\nHost: h\r\n\r\nHEAD / HTTP/1.1\r\nHost: h\r\n\r\nPUT / HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  auto value = [&](MethodLabel method, int status) {
    std::uint64_t total = 0;
    for (const auto& route : metrics.requests) {
      total += route[static_cast<std::size_t>(method)][status_index(status)].value();
    }
    return total;
  };
  EXPECT_EQ(value(MethodLabel::get, 200), 1U);
  EXPECT_EQ(value(MethodLabel::head, 200), 1U);
  EXPECT_EQ(value(MethodLabel::put, 405), 1U);
  EXPECT_EQ(value(MethodLabel::get, 404), 1U);
  feed("garbage\r\n\r\n");
  EXPECT_EQ(value(MethodLabel::other, 400), 1U);
}

TEST_F(HttpSessionTest, ChunkedRequestClosesAfterItsAnswer) {
  const auto result = feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n");
  EXPECT_TRUE(result.close);
  EXPECT_FALSE(result.client_done);  // the server's decision, not the client's
  EXPECT_TRUE(out.starts_with("HTTP/1.1 405"));
}

TEST_F(HttpSessionTest, BodyWaitsForItsBytes) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n";
  auto result = feed(head + "ab");
  EXPECT_EQ(result.responses, 0U);
  EXPECT_TRUE(session.in_request());
  EXPECT_EQ(result.consumed, head.size() + 2);
  result = feed("cdGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(result.responses, 2U);
  EXPECT_FALSE(session.in_request());
}

TEST_F(HttpSessionTest, PausesAtTheOutputLimitBetweenRequests) {
  SessionLimits limits;
  limits.output_per_call = 200;  // two answers to GET / (130 bytes each)
  HttpSession limited{limits};
  std::string input;
  for (int i = 0; i < 5; ++i) {
    input += "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  }
  input += "GET / HT";  // and the start of a sixth
  std::size_t answered = 0;
  std::string_view rest = input;
  ConsumeResult result;
  int calls = 0;
  do {
    const auto before = out.size();
    result = limited.consume(rest, context, out);
    EXPECT_LE(out.size() - before, 200U + 130U);  // the limit, plus at most one answer
    answered += result.responses;
    rest.remove_prefix(result.consumed);
    ++calls;
  } while (result.paused && calls < 10);
  EXPECT_EQ(answered, 5U);
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(result.paused);
  EXPECT_EQ(rest, "GET / HT");  // a partial head: to be presented again with more
  EXPECT_EQ(count(out, "Hello, world!"), 5U);
}

TEST_F(HttpSessionTest, ExpectContinueIsAnsweredWhenTheBodyWillBeRead) {
  auto result = feed("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(result.responses, 0U);  // interim: the request is not answered yet
  EXPECT_FALSE(result.close);
  result = feed("hello");
  EXPECT_EQ(result.responses, 1U);
  EXPECT_TRUE(out.ends_with("Hello, world!"));
  EXPECT_FALSE(result.close);
}

TEST_F(HttpSessionTest, ExpectContinueGetsTheFinalStatusAtOnceWhenTheHeadDecidesIt) {
  const auto result =
      feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_EQ(out.find("100 Continue"), std::string::npos);
  EXPECT_EQ(result.responses, 1U);
  EXPECT_TRUE(result.close);
  // The body may still come: the client is not done, whatever it said.
  EXPECT_FALSE(result.client_done);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(HttpSessionTest, ExpectContinueIsIgnoredWithoutABodyOrInHttp10) {
  feed("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK"));
  out.clear();
  feed("GET / HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\nok");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK"));
  EXPECT_EQ(out.find("100 Continue"), std::string::npos);
}

TEST_F(HttpSessionTest, RejectionSaysWhyAndIsCountedByReason) {
  auto result = feed("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(result.rejection.status, 400);
  EXPECT_EQ(result.rejection.reason, "more than one Host header");
  session.reset();
  result = feed("GET / HTTP/5.6");
  EXPECT_EQ(result.rejection.status, 400);
  EXPECT_EQ(result.rejection.reason, "unsupported HTTP version");
  session.reset();
  result = feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(result.rejection.status, 0);
  session.reset();
  feed("GET /");
  EXPECT_TRUE(session.append_timeout_response(context, out));
  auto value = [&](RejectionReason reason) { return metrics.rejections[static_cast<std::size_t>(reason)].value(); };
  EXPECT_EQ(value(RejectionReason::bad_request), 2U);
  EXPECT_EQ(value(RejectionReason::timeout), 1U);
  EXPECT_EQ(value(RejectionReason::connection_limit), 0U);
}

std::int64_t ticking_clock() {
  static std::int64_t now = 0;
  return now += 1'000;  // a microsecond per reading
}

TEST_F(HttpSessionTest, EachPipelinedRequestIsTimedOnItsOwn) {
  context.clock_ns = &ticking_clock;
  context.request_start_ns = ticking_clock();
  feed("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  // Each answer reads the clock once: every request took 1 µs, not the
  // batch's 3 µs.
  const auto& root = metrics.durations[static_cast<std::size_t>(Endpoint::root)];
  EXPECT_EQ(root.count.value(), 3U);
  EXPECT_EQ(root.sum_ns.value(), 3'000U);
  EXPECT_EQ(root.buckets[0].value(), 3U);
}

}  // namespace
}  // namespace hello
