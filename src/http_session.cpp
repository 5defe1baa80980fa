#include "http_session.hpp"

#include "router.hpp"

namespace hello {

HttpSession::Answer HttpSession::decide(const ParsedHead& head, std::string_view target,
                                        const SessionContext& context) {
  Answer answer;
  answer.method = method_label(head.method);
  answer.with_body = head.method != HTTP_HEAD;
  answer.keep_alive = head.keep_alive;
  answer.http10 = head.http_minor == 0;
  // After a tunnel or upgrade request the bytes are not HTTP/1.1; after a
  // chunked body, trailers are where parsers disagree. Neither is worth
  // keeping a connection for when no endpoint takes a body.
  answer.must_close = head.upgrade || head.chunked;

  const auto endpoint = route(target);
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

void HttpSession::answer(const Answer& answer, SessionContext& context, std::string& out, ConsumeResult& result) {
  const bool close = !answer.keep_alive || answer.must_close || context.closing;
  const auto connection = close           ? ConnectionHeader::close
                          : answer.http10 ? ConnectionHeader::keep_alive
                                          : ConnectionHeader::none;
  int status = 200;
  if (answer.response != nullptr) {
    append_response(out, *answer.response, context.date, connection, answer.with_body);
    status = answer.response->status;
  } else {
    context.scratch.clear();
    context.metrics_page.render(context.scratch);
    append_response(out, 200, prometheus_text, context.scratch, context.date, connection, answer.with_body);
  }
  context.metrics.count_request(answer.method, status);
  ++result.responses;
  result.close = close;
  result.client_done = !answer.keep_alive;
}

void HttpSession::reject(int status, MethodLabel method, SessionContext& context, std::string& out,
                         ConsumeResult& result) {
  append_response(out, context.responses.for_status(status), context.date, ConnectionHeader::close, true);
  context.metrics.count_request(method, status);
  ++result.responses;
  result.close = true;
  result.client_done = false;
  reading_body_ = false;
  scanner_.reset();
}

bool HttpSession::append_timeout_response(SessionContext& context, std::string& out) {
  if (!in_request()) {
    return false;
  }
  ConsumeResult ignored;
  reject(408, MethodLabel::other, context, out, ignored);
  return true;
}

ConsumeResult HttpSession::consume(std::string_view input, SessionContext& context, std::string& out) {
  ConsumeResult result;
  std::size_t offset = 0;
  while (offset < input.size() && !result.close) {
    const auto rest = input.substr(offset);
    if (reading_body_) {
      std::size_t used = 0;
      const auto status = parser_.parse_body(rest, used);
      if (status == ParseStatus::rejected) {
        reject(parser_.reject_status(), pending_.method, context, out, result);
        break;
      }
      offset += used;
      if (status == ParseStatus::needs_body) {
        break;
      }
      reading_body_ = false;
      answer(pending_, context, out, result);
      continue;
    }

    const auto scanned = scanner_.scan(rest);
    if (scanned == ScanStatus::incomplete) {
      break;
    }
    if (scanned == ScanStatus::rejected) {
      reject(scanner_.reject_status(), MethodLabel::other, context, out, result);
      break;
    }
    const auto head_start = scanner_.head_start();
    const auto head_size = scanner_.head_size();
    const auto target = scanner_.target(rest);
    const auto parsed = parser_.parse_head(rest.substr(head_start, head_size - head_start));
    if (parsed == ParseStatus::rejected) {
      reject(parser_.reject_status(), MethodLabel::other, context, out, result);
      break;
    }
    pending_ = decide(parser_.head(), target, context);
    scanner_.reset();
    offset += head_size;
    if (parsed == ParseStatus::needs_body) {
      reading_body_ = true;
      continue;
    }
    answer(pending_, context, out, result);
  }
  // Once closing, nothing more is read from this input. A client that asked
  // to close and still sent more is not done sending after all.
  result.client_done = result.client_done && offset == input.size();
  result.consumed = result.close ? input.size() : offset;
  return result;
}

}  // namespace hello
