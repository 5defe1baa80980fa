#include "http_session.hpp"

#include <algorithm>

#include "router.hpp"

namespace hello {
namespace {

MethodLabel method_label(llhttp_method_t method) {
  switch (method) {
    case HTTP_GET:
      return MethodLabel::get;
    case HTTP_HEAD:
      return MethodLabel::head;
    case HTTP_POST:
      return MethodLabel::post;
    case HTTP_PUT:
      return MethodLabel::put;
    case HTTP_DELETE:
      return MethodLabel::delete_;
    case HTTP_PATCH:
      return MethodLabel::patch;
    case HTTP_OPTIONS:
      return MethodLabel::options;
    default:
      return MethodLabel::other;
  }
}

}  // namespace

HttpSession::Answer HttpSession::decide(const ParsedHead& head, std::string_view target,
                                        const SessionContext& context) const {
  Answer answer;
  answer.method = method_label(head.method);
  answer.with_body = head.method != HTTP_HEAD;
  answer.keep_alive = head.keep_alive;
  answer.http10 = head.http_minor == 0;
  // After a tunnel or upgrade request the bytes are not HTTP/1.1; after a
  // chunked body, trailers are where parsers disagree. Neither is worth
  // keeping a connection for when no endpoint takes a body.
  answer.must_close = head.upgrade || head.chunked;

  auto endpoint = route(target);
  if ((endpoint == Endpoint::metrics) != (port_ == Port::metrics)) {
    endpoint = Endpoint::not_found;
  }
  answer.route = endpoint;
  const auto& responses = context.responses;
  if (endpoint == Endpoint::not_found) {
    answer.response = &responses.not_found;
  } else if (head.method != HTTP_GET && head.method != HTTP_HEAD) {
    answer.response = &responses.method_not_allowed;
  } else {
    switch (endpoint) {
      case Endpoint::root:
        answer.response = &responses.hello;
        break;
      case Endpoint::healthz:
        answer.response = &responses.healthy;
        break;
      case Endpoint::readyz:
        answer.response = context.ready.load(std::memory_order_acquire) ? &responses.ready : &responses.not_ready;
        break;
      case Endpoint::metrics:
        answer.response = nullptr;
        break;
      case Endpoint::version:
        answer.response = &responses.version;
        break;
      case Endpoint::not_found:
        break;
    }
  }
  return answer;
}

namespace {

constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

// Each answer is timed from when its request became readable, or from the
// previous answer of the same batch (when the request was parsed), to now.
void observe_latency(SessionContext& context, Endpoint route) {
  if (context.clock_ns == nullptr) {
    return;
  }
  const auto now = context.clock_ns();
  context.metrics.observe_duration(
      route, static_cast<std::uint64_t>(std::max<std::int64_t>(now - context.request_start_ns, 0)), 1);
  context.request_start_ns = now;
}

}  // namespace

void HttpSession::answer(const Answer& answer, SessionContext& context, std::string& out, ConsumeResult& result) {
  const bool close = !answer.keep_alive || answer.must_close || context.closing;
  const auto connection = close           ? ConnectionHeader::close
                          : answer.http10 ? ConnectionHeader::keep_alive
                                          : ConnectionHeader::none;
  if (answer.response != nullptr) {
    append_response(out, *answer.response, context.date, connection, answer.with_body);
  } else {
    context.scratch.clear();
    context.metrics_page.render(context.scratch);
    append_response(out, 200, prometheus_text, context.scratch, context.date, connection, answer.with_body);
  }
  context.metrics.count_request(answer.route, answer.method, answer.status());
  observe_latency(context, answer.route);
  ++result.responses;
  result.close = close;
  result.client_done = !answer.keep_alive;
}

void HttpSession::reject(const Rejection& rejection, MethodLabel method, Endpoint route, SessionContext& context,
                         std::string& out, ConsumeResult& result) {
  append_response(out, context.responses.for_status(rejection.status), context.date, ConnectionHeader::close, true);
  context.metrics.count_request(route, method, rejection.status);
  context.metrics.count_rejection(rejection_reason(rejection.status));
  ++result.responses;
  result.close = true;
  result.client_done = false;
  result.rejection = rejection;
  reading_body_ = false;
  scanner_.reset();
}

bool HttpSession::append_timeout_response(SessionContext& context, std::string& out) {
  if (!in_request()) {
    return false;
  }
  ConsumeResult ignored;
  reject(timeout_rejection, MethodLabel::other, Endpoint::not_found, context, out, ignored);
  return true;
}

bool HttpSession::answer_expectation(SessionContext& context, std::string& out, ConsumeResult& result) {
  // RFC 9110, section 10.1.1. No endpoint reads a body, but one that would
  // be answered 2xx is read and dropped to keep the connection, so the
  // client is told to send it. Any other answer is known from the head and
  // given at once; whether the client then sends the body or not cannot be
  // told, so the connection closes (lingering, which drops a late body).
  const auto status = pending_.status();
  if (status >= 200 && status < 300) {
    out += continue_response;
    return true;
  }
  pending_.must_close = true;
  answer(pending_, context, out, result);
  result.client_done = false;
  return false;
}

// The body of the request being read: true to go on with the bytes after it.
bool HttpSession::consume_body(std::string_view rest, SessionContext& context, std::string& out, ConsumeResult& result,
                               std::size_t& offset) {
  std::size_t used = 0;
  const auto status = parser_.parse_body(rest, used);
  if (status == ParseStatus::rejected) {
    reject({parser_.reject_status(), parser_.reject_reason()}, pending_.method, pending_.route, context, out, result);
    return false;
  }
  offset += used;
  if (status == ParseStatus::needs_body) {
    return false;
  }
  reading_body_ = false;
  answer(pending_, context, out, result);
  return true;
}

// The next request head: true to go on with the bytes after it.
bool HttpSession::consume_head(std::string_view rest, SessionContext& context, std::string& out, ConsumeResult& result,
                               std::size_t& offset) {
  const auto scanned = scanner_.scan(rest);
  if (scanned == ScanStatus::incomplete) {
    return false;
  }
  if (scanned == ScanStatus::rejected) {
    reject({scanner_.reject_status(), scanner_.reject_reason()}, MethodLabel::other, Endpoint::not_found, context, out,
           result);
    return false;
  }
  const auto head_start = scanner_.head_start();
  const auto head_size = scanner_.head_size();
  const auto target = scanner_.target(rest);
  const auto parsed = parser_.parse_head(rest.substr(head_start, head_size - head_start));
  if (parsed == ParseStatus::rejected) {
    reject({parser_.reject_status(), parser_.reject_reason()}, MethodLabel::other, Endpoint::not_found, context, out,
           result);
    return false;
  }
  pending_ = decide(parser_.head(), target, context);
  scanner_.reset();
  offset += head_size;
  if (parsed == ParseStatus::needs_body) {
    // HTTP/1.0 has no 100 (Continue): the expectation is ignored there.
    const auto& head = parser_.head();
    if (head.expect_continue && head.http_minor == 1 && !answer_expectation(context, out, result)) {
      return false;
    }
    reading_body_ = true;
    return true;
  }
  answer(pending_, context, out, result);
  return true;
}

ConsumeResult HttpSession::consume(std::string_view input, SessionContext& context, std::string& out) {
  ConsumeResult result;
  const auto out_start = out.size();
  std::size_t offset = 0;
  while (offset < input.size() && !result.close) {
    const auto rest = input.substr(offset);
    if (reading_body_) {
      if (!consume_body(rest, context, out, result, offset)) {
        break;
      }
      continue;
    }
    if (out.size() - out_start >= output_per_call_) {
      // Between two requests, with this call's share of output made: the
      // rest waits until the output is on its way.
      result.paused = true;
      break;
    }
    if (!consume_head(rest, context, out, result, offset)) {
      break;
    }
  }
  // Once closing, nothing more is read from this input. A client that asked
  // to close and still sent more is not done sending after all.
  result.client_done = result.client_done && offset == input.size();
  result.consumed = result.close ? input.size() : offset;
  result.paused = result.paused && !result.close;
  return result;
}

}  // namespace hello
