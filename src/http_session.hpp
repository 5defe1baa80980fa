#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics.hpp"
#include "request_head_scanner.hpp"
#include "request_parser.hpp"
#include "response.hpp"
#include "router.hpp"

namespace hello {

// What a worker knows that answers depend on; the date is refreshed once per
// event-loop iteration, closing before each batch of input.
struct SessionContext {
  const ResponseCatalog& responses;
  WorkerMetrics& metrics;
  MetricsPage& metrics_page;
  std::string& scratch;   // reused for /metrics bodies
  std::string_view date;  // current Date header value
  // What /readyz answers, read when it answers: it must turn 503 at once on
  // SIGTERM, also for requests read later in an iteration that began before.
  const std::atomic<bool>& ready;
  bool closing = false;  // shutting down: every response closes its connection
  // The latency histogram's clock, monotonic nanoseconds; null: no timing.
  std::int64_t (*clock_ns)() = nullptr;
  // When the next request to be answered became readable to the worker (its
  // wake-up or turn); each answer moves it on to the time it was queued, so
  // a pipelined request is timed from when it was parsed.
  std::int64_t request_start_ns = 0;
};

struct SessionLimits {
  HeadLimits head;
  std::uint64_t max_body_bytes = 1U << 20U;
  // Output one consume() call produces at most (plus one answer): the work a
  // connection gets per turn, and what it can have queued.
  std::size_t output_per_call = std::size_t{16} * 1024;
};

// A request refused before it could be answered normally.
struct Rejection {
  int status = 0;  // 0: none
  std::string_view reason;
};

// What append_timeout_response() answers.
inline constexpr Rejection timeout_rejection{408, "request not complete within the header timeout"};

struct ConsumeResult {
  // Bytes the session is done with. The rest is the start of a request head
  // that must be presented again, with more bytes after it, on the next call;
  // or, when `paused`, the next requests, to be presented again as they are.
  std::size_t consumed = 0;
  std::size_t responses = 0;
  bool close = false;  // close the connection once the output is written
  // With `close`: the client asked for it (Connection: close, or HTTP/1.0
  // without keep-alive) and sent nothing after that request, so it has
  // nothing more to send. Otherwise the close is the server's decision (bad
  // input, a body or tunnel it does not read, shutting down) and the client
  // may still be sending.
  bool client_done = false;
  // Stopped at the output limit between two requests, with input left.
  bool paused = false;
  Rejection rejection;  // the request this call rejected, if any
};

// Which listener a connection came from: the application port serves every
// endpoint but /metrics, the metrics port /metrics alone (anything else is
// 404 there), so that a load balancer that forwards the application port
// can never reach the metrics.
enum class Port : std::uint8_t { application, metrics };

// The HTTP/1.1 protocol of one connection, without any I/O: bytes in,
// responses out. Pipelined requests are answered in order, as many in one
// call as the output limit allows.
class HttpSession {
 public:
  explicit HttpSession(const SessionLimits& limits = {})
      : scanner_(limits.head), parser_(limits.max_body_bytes, limits.head), output_per_call_(limits.output_per_call) {}

  [[nodiscard]] ConsumeResult consume(std::string_view input, SessionContext& context, std::string& out);

  // True while a request has begun (some of its head or body has arrived)
  // and has not been answered.
  [[nodiscard]] bool in_request() const { return reading_body_ || scanner_.started(); }

  // Answers 408 to a request that did not arrive in time; false if none began.
  bool append_timeout_response(SessionContext& context, std::string& out);

  // Ready for a new connection, from the listener on `port`.
  void reset(Port port = Port::application) {
    scanner_.reset();
    pending_ = {};
    reading_body_ = false;
    port_ = port;
  }

 private:
  struct Answer {
    const PreparedResponse* response = nullptr;  // null: render /metrics
    MethodLabel method = MethodLabel::get;
    Endpoint route = Endpoint::not_found;
    bool with_body = true;
    bool keep_alive = true;
    bool http10 = false;
    bool must_close = false;

    [[nodiscard]] int status() const { return response != nullptr ? response->status : 200; }
  };

  [[nodiscard]] Answer decide(const ParsedHead& head, std::string_view target, const SessionContext& context) const;
  static void answer(const Answer& answer, SessionContext& context, std::string& out, ConsumeResult& result);
  void reject(const Rejection& rejection, MethodLabel method, Endpoint route, SessionContext& context, std::string& out,
              ConsumeResult& result);
  // After a head that announces a body with "Expect: 100-continue": true
  // when the body will be read (100 Continue is sent), false when the answer
  // was given instead.
  bool answer_expectation(SessionContext& context, std::string& out, ConsumeResult& result);
  bool consume_body(std::string_view rest, SessionContext& context, std::string& out, ConsumeResult& result,
                    std::size_t& offset);
  bool consume_head(std::string_view rest, SessionContext& context, std::string& out, ConsumeResult& result,
                    std::size_t& offset);

  RequestHeadScanner scanner_;
  RequestParser parser_;
  Answer pending_;
  std::size_t output_per_call_;
  bool reading_body_ = false;
  Port port_ = Port::application;
};

}  // namespace hello
