#include "response.hpp"

#include <array>

#include "text.hpp"

namespace hello {
namespace {

void append_connection(std::string& out, ConnectionHeader connection) {
  switch (connection) {
    case ConnectionHeader::none:
      break;
    case ConnectionHeader::keep_alive:
      out += "Connection: keep-alive\r\n";
      break;
    case ConnectionHeader::close:
      out += "Connection: close\r\n";
      break;
  }
}

void append_head_start(std::string& out, int status, std::string_view content_type, std::size_t content_length) {
  out += "HTTP/1.1 ";
  append_number(out, status);
  out += ' ';
  out += reason_phrase(status);
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  append_number(out, content_length);
  out += "\r\n";
}

// What follows the date: the end of its line, the Connection header, the
// blank line and the body.
void append_tail(std::string& out, ConnectionHeader connection, std::string_view body, bool with_body) {
  out += "\r\n";
  append_connection(out, connection);
  out += "\r\n";
  if (with_body) {
    out += body;
  }
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

PreparedResponse prepare_response(int status, std::string_view content_type, std::string_view body,
                                  std::string_view extra_headers) {
  PreparedResponse response;
  response.status = status;
  append_head_start(response.head_before_date, status, content_type, body.size());
  response.head_before_date += extra_headers;
  response.head_before_date += "Date: ";
  for (const auto connection : {ConnectionHeader::none, ConnectionHeader::keep_alive, ConnectionHeader::close}) {
    for (const bool with_body : {false, true}) {
      append_tail(response.tails[PreparedResponse::tail_index(connection, with_body)], connection, body, with_body);
    }
  }
  return response;
}

void append_response(std::string& out, const PreparedResponse& response, std::string_view date,
                     ConnectionHeader connection, bool with_body) {
  out += response.head_before_date;
  out += date;
  out += response.tail(connection, with_body);
}

void append_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                     std::string_view date, ConnectionHeader connection, bool with_body) {
  append_head_start(out, status, content_type, body.size());
  out += "Date: ";
  out += date;
  append_tail(out, connection, body, with_body);
}

namespace {

std::string version_body(std::string_view version, std::string_view revision) {
  std::string body = R"({"version":")";
  append_json_escaped(body, version);
  body += R"(","revision":")";
  append_json_escaped(body, revision);
  body += "\"}\n";
  return body;
}

}  // namespace

ResponseCatalog::ResponseCatalog(std::string_view version_text, std::string_view revision)
    : hello(prepare_response(200, text_plain, "Hello, world!")),
      healthy(prepare_response(200, text_plain, "ok\n")),
      ready(prepare_response(200, text_plain, "ready\n")),
      not_ready(prepare_response(503, text_plain, "shutting down\n")),
      version(prepare_response(200, application_json, version_body(version_text, revision))),
      not_found(prepare_response(404, text_plain, "not found\n")),
      method_not_allowed(prepare_response(405, text_plain, "method not allowed\n", "Allow: GET, HEAD\r\n")),
      bad_request(prepare_response(400, text_plain, "bad request\n")),
      request_timeout(prepare_response(408, text_plain, "request timeout\n")),
      content_too_large(prepare_response(413, text_plain, "content too large\n")),
      uri_too_long(prepare_response(414, text_plain, "uri too long\n")),
      header_fields_too_large(prepare_response(431, text_plain, "request header fields too large\n")),
      not_implemented(prepare_response(501, text_plain, "not implemented\n")),
      over_capacity(prepare_response(503, text_plain, "too many connections\n", "Retry-After: 1\r\n")) {}

const PreparedResponse& ResponseCatalog::for_status(int status) const {
  switch (status) {
    case 404:
      return not_found;
    case 405:
      return method_not_allowed;
    case 408:
      return request_timeout;
    case 413:
      return content_too_large;
    case 414:
      return uri_too_long;
    case 431:
      return header_fields_too_large;
    case 501:
      return not_implemented;
    default:
      return bad_request;
  }
}

}  // namespace hello
