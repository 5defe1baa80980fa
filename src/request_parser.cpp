#include "request_parser.hpp"

#include <algorithm>
#include <array>

#include "text.hpp"

namespace hello {
namespace {

// uri-host [ ":" port ] (RFC 3986): reg-name, IPv4 or an IP literal in brackets.
bool is_valid_host(std::string_view host) {
  static constexpr auto allowed = [] {
    std::array<bool, 256> table{};
    for (char c :
         std::string_view{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%"}) {
      table[static_cast<unsigned char>(c)] = true;
    }
    return table;
  }();
  return std::ranges::all_of(host, [](char c) { return allowed[static_cast<unsigned char>(c)]; });
}

// llhttp leaves out the whitespace before a field value, not after it.
std::string_view trim_trailing_whitespace(std::string_view value) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  return value;
}

// A view that grows over successive callbacks: the head is one contiguous
// buffer, so the pieces llhttp reports are adjacent.
std::string_view extend(std::string_view current, const char* at, std::size_t length) {
  if (current.data() == nullptr) {
    return {at, length};
  }
  return {current.data(), current.size() + length};
}

}  // namespace

const llhttp_settings_t& RequestParser::settings() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t s{};
    llhttp_settings_init(&s);
    s.on_header_field = &RequestParser::on_header_field;
    s.on_header_field_complete = &RequestParser::on_header_field_complete;
    s.on_header_value = &RequestParser::on_header_value;
    s.on_header_value_complete = &RequestParser::on_header_value_complete;
    s.on_headers_complete = &RequestParser::on_headers_complete;
    s.on_body = &RequestParser::on_body;
    s.on_chunk_extension_name = &RequestParser::on_chunk_extension;
    s.on_chunk_extension_value = &RequestParser::on_chunk_extension;
    s.on_chunk_header = &RequestParser::on_chunk_header;
    s.on_message_complete = &RequestParser::on_message_complete;
    return s;
  }();
  return table;
}

RequestParser::RequestParser(std::uint64_t max_body_bytes, HeadLimits limits)
    : max_body_bytes_(max_body_bytes), limits_(limits) {
  llhttp_init(&parser_, HTTP_REQUEST, &settings());
  parser_.data = this;
}

int RequestParser::on_header_field(llhttp_t* parser, const char* at, std::size_t length) {
  auto& self = RequestParser::self(parser);
  if (!self.headers_done_) {
    self.field_ = extend(self.field_, at, length);
  }
  return 0;
}

int RequestParser::on_header_field_complete(llhttp_t* parser) {
  auto& self = RequestParser::self(parser);
  if (self.headers_done_) {
    // Trailer fields of a chunked body are not request headers.
    self.field_kind_ = Field::other;
    return ++self.trailer_count_ > self.limits_.max_header_count ? self.fail(431, "too many trailer fields") : 0;
  }
  self.field_kind_ = equals_ignore_case(self.field_, "host")     ? Field::host
                     : equals_ignore_case(self.field_, "expect") ? Field::expect
                                                                 : Field::other;
  self.field_ = {};
  if (self.field_kind_ == Field::host && ++self.host_count_ > 1) {
    return self.fail(400, "more than one Host header");
  }
  return 0;
}

int RequestParser::on_header_value(llhttp_t* parser, const char* at, std::size_t length) {
  auto& self = RequestParser::self(parser);
  if (!self.headers_done_ && self.field_kind_ != Field::other) {
    self.value_ = extend(self.value_, at, length);
  }
  return 0;
}

int RequestParser::on_header_value_complete(llhttp_t* parser) {
  auto& self = RequestParser::self(parser);
  const auto kind = self.field_kind_;
  const auto value = trim_trailing_whitespace(self.value_);
  self.field_kind_ = Field::other;
  self.value_ = {};
  if (kind == Field::host && !is_valid_host(value)) {
    return self.fail(400, "invalid Host header");
  }
  if (kind == Field::expect && equals_ignore_case(value, "100-continue")) {
    self.head_.expect_continue = true;
  }
  return 0;
}

int RequestParser::on_headers_complete(llhttp_t* parser) {
  auto& self = RequestParser::self(parser);
  self.headers_done_ = true;
  auto& head = self.head_;
  head.method = static_cast<llhttp_method_t>(llhttp_get_method(parser));
  head.http_minor = llhttp_get_http_minor(parser);
  head.keep_alive = llhttp_should_keep_alive(parser) != 0;
  head.chunked = (parser->flags & F_CHUNKED) != 0;
  head.has_body = head.chunked || ((parser->flags & F_CONTENT_LENGTH) != 0 && parser->content_length > 0);
  head.upgrade = parser->upgrade != 0 || head.method == HTTP_CONNECT;

  if (head.http_minor == 1 && self.host_count_ == 0) {
    return self.fail(400, "HTTP/1.1 request without Host");
  }
  // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
  if (head.http_minor == 0 && (parser->flags & F_TRANSFER_ENCODING) != 0) {
    return self.fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  if ((parser->flags & F_CONTENT_LENGTH) != 0 && parser->content_length > self.max_body_bytes_) {
    return self.fail(413, "request body too large");
  }
  return 0;
}

int RequestParser::on_body(llhttp_t* parser, const char* /*at*/, std::size_t length) {
  auto& self = RequestParser::self(parser);
  self.body_bytes_ += length;
  return self.body_bytes_ > self.max_body_bytes_ ? self.fail(413, "request body too large") : 0;
}

int RequestParser::on_chunk_extension(llhttp_t* parser, const char* /*at*/, std::size_t length) {
  auto& self = RequestParser::self(parser);
  // No endpoint reads an extension, so their bytes count against the same
  // limit as a head's, over the whole body.
  self.extension_bytes_ += length;
  return self.extension_bytes_ > self.limits_.max_header_bytes ? self.fail(400, "chunk extensions too long") : 0;
}

int RequestParser::on_chunk_header(llhttp_t* parser) {
  auto& self = RequestParser::self(parser);
  if (parser->content_length != 0) {
    return 0;
  }
  // The last chunk: the trailer section starts after it. Stop here so that
  // parse_body() knows where, and can bound the section by position.
  self.in_trailers_ = true;
  return HPE_PAUSED;
}

int RequestParser::on_message_complete(llhttp_t* parser) {
  auto& self = RequestParser::self(parser);
  self.message_done_ = true;
  // Stop after one message: what follows is the next pipelined request,
  // which the scanner must see first.
  return HPE_PAUSED;
}

ParseStatus RequestParser::rejected_from(llhttp_errno_t error) {
  if (reject_status_ == 0) {
    const char* reason = llhttp_get_error_reason(&parser_);
    // The scanner has already checked that the method is a token, so an
    // unknown one is a method this server does not implement.
    reject_status_ = error == HPE_INVALID_METHOD ? 501 : 400;
    reject_reason_ = reason != nullptr ? std::string_view{reason} : std::string_view{llhttp_errno_name(error)};
  }
  return ParseStatus::rejected;
}

ParseStatus RequestParser::parse_head(std::string_view head) {
  llhttp_reset(&parser_);
  parser_.data = this;
  head_ = {};
  field_ = {};
  value_ = {};
  body_bytes_ = 0;
  extension_bytes_ = 0;
  trailer_bytes_ = 0;
  trailer_count_ = 0;
  in_trailers_ = false;
  host_count_ = 0;
  field_kind_ = Field::other;
  headers_done_ = false;
  message_done_ = false;
  reject_status_ = 0;
  reject_reason_ = {};

  const auto error = llhttp_execute(&parser_, head.data(), head.size());
  if (reject_status_ != 0) {
    return ParseStatus::rejected;
  }
  if ((error == HPE_PAUSED || error == HPE_PAUSED_UPGRADE) && message_done_) {
    return ParseStatus::complete;
  }
  if (error == HPE_OK && headers_done_) {
    return ParseStatus::needs_body;
  }
  if (error == HPE_OK) {
    reject_status_ = 400;
    reject_reason_ = "incomplete request head";
    return ParseStatus::rejected;
  }
  return rejected_from(error);
}

ParseStatus RequestParser::parse_body(std::string_view data, std::size_t& consumed) {
  consumed = 0;
  // The trailer section (with its final CRLF) may be as long as a header
  // section. llhttp reports a field's bytes only when a piece of it ends,
  // which depends on how the input was cut; so the bound is kept by
  // position instead: llhttp never gets more of the section than it may
  // have, and a section that has not ended by then is too large, wherever
  // the reads were cut.
  const std::size_t trailer_limit = limits_.max_header_bytes + 2;
  for (;;) {
    auto slice = data.substr(consumed);
    if (in_trailers_) {
      slice = slice.substr(0, trailer_limit - trailer_bytes_);
    }
    const auto error = llhttp_execute(&parser_, slice.data(), slice.size());
    if (reject_status_ != 0) {
      return ParseStatus::rejected;
    }
    if (error == HPE_PAUSED) {
      const auto used = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - slice.data());
      consumed += used;
      if (message_done_) {
        return ParseStatus::complete;
      }
      // Paused at the last chunk: what follows is the trailer section.
      llhttp_resume(&parser_);
      if (consumed == data.size()) {
        return ParseStatus::needs_body;
      }
      continue;
    }
    if (error != HPE_OK) {
      return rejected_from(error);
    }
    consumed += slice.size();
    if (in_trailers_) {
      trailer_bytes_ += slice.size();
      if (trailer_bytes_ >= trailer_limit) {
        fail(431, "trailer section too large");
        return ParseStatus::rejected;
      }
    }
    return ParseStatus::needs_body;
  }
}

}  // namespace hello
