#include "request_head_scanner.hpp"

#include <array>

namespace hello {
namespace {

enum ByteClass : std::uint8_t {
  ctl = 0,        // 0x00-0x1f except HTAB, and 0x7f
  token = 1,      // tchar (RFC 9110 §5.6.2)
  separator = 2,  // other visible ASCII
  space = 3,      // SP and HTAB
  high = 4,       // obs-text 0x80-0xff
  cr = 5,
  lf = 6,
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> classes{};
  for (unsigned c = 0; c < 256; ++c) {
    if (c == '\r') {
      classes[c] = cr;
    } else if (c == '\n') {
      classes[c] = lf;
    } else if (c == ' ' || c == '\t') {
      classes[c] = space;
    } else if (c < 0x20 || c == 0x7f) {
      classes[c] = ctl;
    } else if (c >= 0x80) {
      classes[c] = high;
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c)) != std::string_view::npos) {
      classes[c] = token;
    } else {
      classes[c] = separator;
    }
  }
  return classes;
}

constexpr auto byte_classes = make_classes();

std::uint8_t class_of(char c) { return byte_classes[static_cast<unsigned char>(c)]; }

}  // namespace

ScanStatus RequestHeadScanner::finish_request_line(std::string_view line) {
  // method SP request-target SP HTTP-version, single spaces only.
  const auto first_space = line.find(' ');
  if (first_space == 0 || first_space == std::string_view::npos) {
    return reject(400, "malformed request line");
  }
  for (char c : line.substr(0, first_space)) {
    if (class_of(c) != token) {
      return reject(400, "invalid character in method");
    }
  }
  const auto second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos || second_space == first_space + 1) {
    return reject(400, "malformed request line");
  }
  const auto version = line.substr(second_space + 1);
  if (version == "HTTP/1.1") {
    http_minor_ = 1;
  } else if (version == "HTTP/1.0") {
    http_minor_ = 0;
  } else {
    return reject(400, "unsupported HTTP version");
  }
  method_size_ = first_space;
  target_start_ = line_start_of_request_ + first_space + 1;
  target_size_ = second_space - first_space - 1;
  return ScanStatus::incomplete;
}

ScanStatus RequestHeadScanner::scan(std::string_view data) {
  const std::size_t size = data.size();
  std::size_t pos = pos_;
  for (; pos < size; ++pos) {
    const char c = data[pos];
    const auto kind = class_of(c);
    switch (phase_) {
      case Phase::request_line:
        // Counted from the first byte so that empty lines before the
        // request line cannot grow the buffer without bound either.
        if (pos > limits_.max_request_line) {
          return reject(414, "request line too long");
        }
        if (kind == cr) {
          if (pos + 1 >= size) {
            pos_ = pos;
            return ScanStatus::incomplete;
          }
          if (data[pos + 1] != '\n') {
            return reject(400, "bare CR in request line");
          }
          if (pos == line_start_of_request_) {
            // An empty line before the request line is ignored (RFC 9112 §2.2).
            line_start_of_request_ = pos + 2;
            ++pos;
            continue;
          }
          if (auto status = finish_request_line(data.substr(line_start_of_request_, pos - line_start_of_request_));
              status == ScanStatus::rejected) {
            return status;
          }
          phase_ = Phase::header_name;
          headers_start_ = pos + 2;
          line_start_ = pos + 2;
          ++pos;
          continue;
        }
        if (kind == lf) {
          return reject(400, "bare LF in request line");
        }
        if (kind == ctl || kind == high || c == '\t') {
          return reject(400, "invalid character in request line");
        }
        continue;

      case Phase::header_name:
        if (pos == line_start_) {
          if (kind == cr) {
            if (pos + 1 >= size) {
              pos_ = pos;
              return ScanStatus::incomplete;
            }
            if (data[pos + 1] != '\n') {
              return reject(400, "bare CR after headers");
            }
            head_size_ = pos + 2;
            pos_ = head_size_;
            return ScanStatus::complete;
          }
          if (kind == space) {
            return reject(400, header_count_ == 0 ? "whitespace before the first header" : "obsolete line folding");
          }
          if (header_count_ == limits_.max_header_count) {
            return reject(431, "too many header fields");
          }
        }
        if (pos - headers_start_ >= limits_.max_header_bytes) {
          return reject(431, "header section too large");
        }
        if (kind == token) {
          continue;
        }
        if (c == ':') {
          if (pos == line_start_) {
            return reject(400, "empty header name");
          }
          phase_ = Phase::header_value;
          continue;
        }
        if (kind == space) {
          return reject(400, "whitespace in header name or before its colon");
        }
        if (kind == cr || kind == lf) {
          return reject(400, "header line without a colon");
        }
        return reject(400, "invalid character in header name");

      case Phase::header_value:
        if (pos - headers_start_ >= limits_.max_header_bytes) {
          return reject(431, "header section too large");
        }
        if (kind == cr) {
          if (pos + 1 >= size) {
            pos_ = pos;
            return ScanStatus::incomplete;
          }
          if (data[pos + 1] != '\n') {
            return reject(400, "bare CR in header value");
          }
          ++header_count_;
          phase_ = Phase::header_name;
          line_start_ = pos + 2;
          ++pos;
          continue;
        }
        if (kind == lf) {
          return reject(400, "bare LF in header value");
        }
        if (kind == ctl) {
          return reject(400, "control character in header value");
        }
        continue;
    }
  }
  pos_ = pos;
  return ScanStatus::incomplete;
}

}  // namespace hello
