// The request path without sockets: what one request costs in user space.
// Parsing goes through the same two stages the server uses (the strict head
// scanner, then llhttp); answering is the prepared-response copy.
#include <array>
#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "http_date.hpp"
#include "http_session.hpp"
#include "metrics.hpp"
#include "process_stats.hpp"
#include "request_head_scanner.hpp"
#include "request_parser.hpp"
#include "response.hpp"

namespace {

// What wrk sends.
constexpr std::string_view wrk_request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
// What a browser sends (441 bytes).
constexpr std::string_view browser_request =
    "GET / HTTP/1.1\r\n"
    "Host: hello.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-GB,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Connection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Sec-Fetch-Site: none\r\n"
    "Sec-Fetch-User: ?1\r\n"
    "Priority: u=0, i\r\n"
    "\r\n";
// What an ALB health check sends.
constexpr std::string_view health_check_request =
    "GET /readyz HTTP/1.1\r\nHost: 10.0.1.23:30080\r\nConnection: close\r\nUser-Agent: ELB-HealthChecker/2.0\r\n\r\n";
constexpr std::string_view date = "Thu, 01 Jan 1970 00:00:00 GMT";

class FixedPage final : public hello::MetricsPage {
 public:
  void render(std::string& body) override { body += "up 1\n"; }
};

// One worker's view of the server, as the event loop sets it up.
struct World {
  hello::ResponseCatalog responses{"1.0.0", "0123456789abcdef0123456789abcdef01234567"};
  hello::MetricsRegistry registry{1, hello::BuildLabels{"1.0.0", "0123456789abcdef0123456789abcdef01234567"}};
  FixedPage page;
  std::string scratch;
  const std::atomic<bool> ready{true};
  hello::SessionContext context{responses, registry.worker(0), page, scratch, date, ready, false};
  hello::HttpSession session;
  std::string out;
};

void count_requests(benchmark::State& state, std::size_t per_iteration, std::size_t bytes_per_iteration) {
  state.SetItemsProcessed(state.iterations() * static_cast<benchmark::IterationCount>(per_iteration));
  state.SetBytesProcessed(state.iterations() * static_cast<benchmark::IterationCount>(bytes_per_iteration));
}

// Stage one: the RFC 9112 pre-scan that finds the end of the head.
void scan_head(benchmark::State& state, std::string_view request) {
  hello::RequestHeadScanner scanner;
  for (auto _ : state) {
    scanner.reset();
    benchmark::DoNotOptimize(scanner.scan(request));
    benchmark::DoNotOptimize(scanner.head_size());
  }
  count_requests(state, 1, request.size());
}
BENCHMARK_CAPTURE(scan_head, wrk, wrk_request);
BENCHMARK_CAPTURE(scan_head, browser, browser_request);

// Stage two: llhttp in strict mode over the head the scanner accepted.
void parse_head(benchmark::State& state, std::string_view request) {
  hello::RequestParser parser;
  for (auto _ : state) {
    benchmark::DoNotOptimize(parser.parse_head(request));
    benchmark::DoNotOptimize(parser.head().keep_alive);
  }
  count_requests(state, 1, request.size());
}
BENCHMARK_CAPTURE(parse_head, wrk, wrk_request);
BENCHMARK_CAPTURE(parse_head, browser, browser_request);

// The whole protocol layer: bytes of a request in, bytes of its response
// out (scan, parse, route, respond, count).
void session_request(benchmark::State& state, std::string_view request) {
  World world;
  for (auto _ : state) {
    world.out.clear();
    benchmark::DoNotOptimize(world.session.consume(request, world.context, world.out));
    benchmark::DoNotOptimize(world.out.data());
  }
  count_requests(state, 1, request.size());
}
BENCHMARK_CAPTURE(session_request, wrk, wrk_request);
BENCHMARK_CAPTURE(session_request, browser, browser_request);
BENCHMARK_CAPTURE(session_request, health_check, health_check_request);

// Sixteen pipelined requests in one read, as the pipelined scenario sends them.
void session_pipelined(benchmark::State& state) {
  constexpr std::size_t depth = 16;
  std::string input;
  for (std::size_t i = 0; i < depth; ++i) {
    input += wrk_request;
  }
  World world;
  for (auto _ : state) {
    world.out.clear();
    benchmark::DoNotOptimize(world.session.consume(input, world.context, world.out));
    benchmark::DoNotOptimize(world.out.data());
  }
  count_requests(state, depth, input.size());
}
BENCHMARK(session_pipelined);

// Building the response alone: the prepared head, Date, body.
void build_response(benchmark::State& state) {
  World world;
  for (auto _ : state) {
    world.out.clear();
    hello::append_response(world.out, world.responses.hello, date, hello::ConnectionHeader::none, true);
    benchmark::DoNotOptimize(world.out.data());
  }
  count_requests(state, 1, world.out.size());
}
BENCHMARK(build_response);

// The Date header, formatted once a second per worker.
void format_date(benchmark::State& state) {
  std::array<char, hello::http_date_length> text{};
  std::time_t now = 1'700'000'000;
  for (auto _ : state) {
    hello::format_http_date(++now, text);
    benchmark::DoNotOptimize(text.data());
  }
  count_requests(state, 1, text.size());
}
BENCHMARK(format_date);

// Counting a request in the per-worker metrics.
void count_request_metrics(benchmark::State& state) {
  hello::WorkerMetrics metrics;
  for (auto _ : state) {
    metrics.count_request(hello::Endpoint::root, hello::MethodLabel::get, 200);
    metrics.observe_duration(hello::Endpoint::root, 20'000, 1);
    benchmark::ClobberMemory();
  }
  count_requests(state, 1, 0);
}
BENCHMARK(count_request_metrics);

// Rendering /metrics as a scrape sees it (two workers' counters, process
// figures from the cache), and reading the process figures afresh.
void render_metrics_page(benchmark::State& state) {
  hello::MetricsRegistry registry{2, hello::BuildLabels{"1.0.0", "0123456789abcdef0123456789abcdef01234567"}};
  registry.worker(0).count_request(hello::Endpoint::root, hello::MethodLabel::get, 200);
  registry.worker(1).count_request(hello::Endpoint::not_found, hello::MethodLabel::get, 404);
  hello::CachedProcessStats process;
  std::string page;
  for (auto _ : state) {
    page.clear();
    registry.render(page, process.get(), true);
    benchmark::DoNotOptimize(page.data());
  }
  count_requests(state, 1, page.size());
}
BENCHMARK(render_metrics_page);

void read_process_stats(benchmark::State& state) {
  const hello::ProcessStatsReader reader;
  for (auto _ : state) {
    auto stats = reader.read();
    benchmark::DoNotOptimize(stats);
  }
  count_requests(state, 1, 0);
}
BENCHMARK(read_process_stats);

}  // namespace

BENCHMARK_MAIN();
