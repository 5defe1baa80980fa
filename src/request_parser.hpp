#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <llhttp.h>

#include "request_head_scanner.hpp"

namespace hello {

enum class ParseStatus : std::uint8_t { complete, needs_body, rejected };

struct ParsedHead {
  llhttp_method_t method = HTTP_GET;
  int http_minor = 1;
  bool keep_alive = true;
  bool has_body = false;
  bool chunked = false;
  // CONNECT or a protocol upgrade: what follows is not HTTP/1.1 we speak.
  bool upgrade = false;
  // "Expect: 100-continue": the client may wait for an answer before it
  // sends the body.
  bool expect_continue = false;
};

// Adapts llhttp (strict mode) to a head that RequestHeadScanner has already
// checked and found complete, then to the body bytes that follow it. llhttp
// enforces what the scanner does not: field-name tokens, Content-Length
// syntax and duplicates, Transfer-Encoding rules, chunk framing. This class
// adds the Host rules of RFC 9112 §3.2, a body size limit, and the header
// limits for what a chunked body carries besides data: its chunk extensions
// (400 beyond the header section's byte limit) and its trailer section (431
// beyond the header section's byte or field limit).
class RequestParser {
 public:
  explicit RequestParser(std::uint64_t max_body_bytes = 1U << 20U, HeadLimits limits = {});
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;
  RequestParser(RequestParser&&) = delete;
  RequestParser& operator=(RequestParser&&) = delete;
  ~RequestParser() = default;

  [[nodiscard]] ParseStatus parse_head(std::string_view head);
  // After `needs_body`: consumes body bytes; `consumed` tells how many
  // (fewer than offered once the body ends and the next request begins).
  [[nodiscard]] ParseStatus parse_body(std::string_view data, std::size_t& consumed);

  [[nodiscard]] const ParsedHead& head() const { return head_; }
  [[nodiscard]] int reject_status() const { return reject_status_; }
  [[nodiscard]] std::string_view reject_reason() const { return reject_reason_; }

 private:
  static int on_header_field(llhttp_t* parser, const char* at, std::size_t length);
  static int on_header_field_complete(llhttp_t* parser);
  static int on_header_value(llhttp_t* parser, const char* at, std::size_t length);
  static int on_header_value_complete(llhttp_t* parser);
  static int on_headers_complete(llhttp_t* parser);
  static int on_body(llhttp_t* parser, const char* at, std::size_t length);
  static int on_chunk_extension(llhttp_t* parser, const char* at, std::size_t length);
  static int on_chunk_header(llhttp_t* parser);
  static int on_message_complete(llhttp_t* parser);
  static RequestParser& self(llhttp_t* parser) { return *static_cast<RequestParser*>(parser->data); }
  static const llhttp_settings_t& settings();

  int fail(int status, std::string_view reason) {
    if (reject_status_ == 0) {
      reject_status_ = status;
      reject_reason_ = reason;
    }
    return -1;
  }
  ParseStatus rejected_from(llhttp_errno_t error);

  // Header fields whose values this class reads.
  enum class Field : std::uint8_t { other, host, expect };

  llhttp_t parser_{};
  std::uint64_t max_body_bytes_;
  HeadLimits limits_;
  ParsedHead head_;
  std::string_view field_;
  std::string_view value_;
  std::uint64_t body_bytes_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;  // of the trailer section given to llhttp so far
  std::size_t trailer_count_ = 0;
  bool in_trailers_ = false;  // past the last chunk
  unsigned host_count_ = 0;
  Field field_kind_ = Field::other;
  bool headers_done_ = false;
  bool message_done_ = false;
  int reject_status_ = 0;
  std::string_view reject_reason_;
};

}  // namespace hello
