#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hello {

struct HeadLimits {
  std::size_t max_request_line = std::size_t{8} * 1024;   // longer: 414
  std::size_t max_header_bytes = std::size_t{16} * 1024;  // more: 431
  std::size_t max_header_count = 100;                     // more: 431
};

enum class ScanStatus : std::uint8_t { incomplete, complete, rejected };

// Finds the end of a request head and enforces the RFC 9112 grammar that
// request smuggling exploits, before any parser sees the bytes: every line
// ends in CRLF (no bare CR or LF), no control characters, no obsolete line
// folding or whitespace before the first header, no whitespace between a
// field name and its colon, a single-space request line with HTTP/1.0 or
// HTTP/1.1, and the size limits. llhttp 8.1 accepts several of these.
// A request line that can no longer become valid (a bad method byte, a
// double space, a version that is not a prefix of HTTP/1.1 or HTTP/1.0) is
// rejected as soon as its bytes show it, without waiting for its end.
//
// The scan is resumable: the caller presents the same head again, from its
// first byte and with more bytes appended, and scanning continues where it
// stopped, so a head that arrives a byte at a time costs linear time.
class RequestHeadScanner {
 public:
  explicit RequestHeadScanner(HeadLimits limits = {}) : limits_(limits) {}

  [[nodiscard]] ScanStatus scan(std::string_view data);

  // After `complete`: where the request line starts (empty lines before it
  // are skipped, RFC 9112 §2.2) and the size through the blank line.
  [[nodiscard]] std::size_t head_start() const { return line_start_of_request_; }
  [[nodiscard]] std::size_t head_size() const { return head_size_; }
  [[nodiscard]] std::string_view method(std::string_view data) const {
    return data.substr(line_start_of_request_, method_size_);
  }
  [[nodiscard]] std::string_view target(std::string_view data) const {
    return data.substr(target_start_, target_size_);
  }
  [[nodiscard]] int http_minor() const { return http_minor_; }

  // After `rejected`: the status to answer with (400, 414 or 431) and why.
  [[nodiscard]] int reject_status() const { return reject_status_; }
  [[nodiscard]] std::string_view reject_reason() const { return reject_reason_; }

  // True once any byte of a request has been seen (not just empty lines).
  [[nodiscard]] bool started() const { return pos_ > line_start_of_request_; }

  void reset() { *this = RequestHeadScanner{limits_}; }

 private:
  enum class Phase : std::uint8_t { request_line, header_name, header_value };
  enum class LinePart : std::uint8_t { method, target, version };

  ScanStatus reject(int status, std::string_view reason) {
    reject_status_ = status;
    reject_reason_ = reason;
    return ScanStatus::rejected;
  }
  // Out of bytes: the next scan resumes at `pos`.
  ScanStatus suspend(std::size_t pos) {
    pos_ = pos;
    return ScanStatus::incomplete;
  }
  // One phase of scan(): the status scan() returns, or nullopt to go on
  // from `pos` with the next phase (or the same one, after an empty line).
  std::optional<ScanStatus> scan_request_line(std::string_view data, std::size_t& pos);
  std::optional<ScanStatus> scan_header_name(std::string_view data, std::size_t& pos);
  std::optional<ScanStatus> scan_header_value(std::string_view data, std::size_t& pos);
  ScanStatus finish_request_line(std::string_view line);
  ScanStatus check_partial_request_line(std::string_view data, std::size_t end);

  HeadLimits limits_;
  Phase phase_ = Phase::request_line;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  std::size_t line_start_of_request_ = 0;
  std::size_t headers_start_ = 0;
  std::size_t header_count_ = 0;
  std::size_t head_size_ = 0;
  std::size_t method_size_ = 0;
  std::size_t target_start_ = 0;
  std::size_t target_size_ = 0;
  // How far an incomplete request line has been checked, and in which part.
  std::size_t line_checked_ = 0;
  std::size_t part_start_ = 0;
  LinePart line_part_ = LinePart::method;
  int http_minor_ = 1;
  int reject_status_ = 0;
  std::string_view reject_reason_;
};

}  // namespace hello
