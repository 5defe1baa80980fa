#include "request_head_scanner.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

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

// Bytes that need no decision in each part of the head.
enum ByteFlag : std::uint8_t {
  in_request_line = 1,  // visible ASCII and SP
  in_field_name = 2,    // tchar
  in_field_value = 4,   // visible ASCII, SP, HTAB and obs-text
};

constexpr std::array<std::uint8_t, 256> make_flags() {
  std::array<std::uint8_t, 256> flags{};
  for (unsigned c = 0; c < 256; ++c) {
    const auto kind = byte_classes[c];
    if (kind == token || kind == separator || c == ' ') {
      flags[c] |= in_request_line;
    }
    if (kind == token) {
      flags[c] |= in_field_name;
    }
    if (kind == token || kind == separator || kind == space || kind == high) {
      flags[c] |= in_field_value;
    }
  }
  return flags;
}

constexpr auto byte_flags = make_flags();

// Eight bytes at a time where only rare bytes need a decision: the request
// line and field values are mostly visible ASCII.
constexpr std::uint64_t each_byte = 0x0101010101010101U;
constexpr std::uint64_t high_bits = 0x8080808080808080U;

// Non-zero when a byte of `word` is below `n` (n <= 0x80). Exact as a
// whole: a borrow only crosses into the next byte from a byte that is below.
constexpr std::uint64_t any_below(std::uint64_t word, std::uint64_t n) {
  return (word - each_byte * n) & ~word & high_bits;
}
constexpr std::uint64_t any_equal(std::uint64_t word, std::uint64_t value) {
  return any_below(word ^ (each_byte * value), 1);
}

std::uint64_t load_word(const unsigned char* bytes) {
  std::uint64_t word = 0;
  std::memcpy(&word, bytes, sizeof(word));
  return word;
}

// Advances past whole words without control characters (HTAB included:
// the byte loop that follows takes it) and, when `high_stops` is high_bits,
// without obs-text (bytes >= 0x80) either.
std::size_t skip_words(const unsigned char* bytes, std::size_t pos, std::size_t bound, std::uint64_t high_stops) {
  while (pos + sizeof(std::uint64_t) <= bound) {
    const auto word = load_word(bytes + pos);
    if ((any_below(word, 0x20) | any_equal(word, 0x7f) | (word & high_stops)) != 0) {
      break;
    }
    pos += sizeof(word);
  }
  return pos;
}

}  // namespace

ScanStatus RequestHeadScanner::finish_request_line(std::string_view line) {
  // method SP request-target SP HTTP-version, single spaces only. Plain
  // loops: the method and target are a few bytes, shorter than what a
  // library search costs to call.
  std::size_t first_space = 0;
  while (first_space < line.size() && class_of(line[first_space]) == token) {
    ++first_space;
  }
  if (first_space == line.size() || line[first_space] != ' ') {
    // A byte that is not a token before the first space is a bad method;
    // no space at all is a malformed line.
    return reject(400, line.find(' ', first_space) == std::string_view::npos ? "malformed request line"
                                                                             : "invalid character in method");
  }
  if (first_space == 0) {
    return reject(400, "malformed request line");
  }
  std::size_t second_space = first_space + 1;
  while (second_space < line.size() && line[second_space] != ' ') {
    ++second_space;
  }
  if (second_space == line.size() || second_space == first_space + 1) {
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

ScanStatus RequestHeadScanner::check_partial_request_line(std::string_view data, std::size_t end) {
  // Resumes where the last incomplete scan stopped, so a line that arrives a
  // byte at a time is still checked in linear time. Empty lines before the
  // request line move its start: the check starts over there.
  if (line_checked_ < line_start_of_request_) {
    line_checked_ = line_start_of_request_;
    part_start_ = line_checked_;
    line_part_ = LinePart::method;
  }
  constexpr std::string_view http11 = "HTTP/1.1";
  for (std::size_t i = line_checked_; i < end; ++i) {
    const char c = data[i];
    switch (line_part_) {
      case LinePart::method:
        if (c == ' ') {
          if (i == part_start_) {
            return reject(400, "malformed request line");
          }
          line_part_ = LinePart::target;
          part_start_ = i + 1;
        } else if (class_of(c) != token) {
          return reject(400, "invalid character in method");
        }
        break;
      case LinePart::target:
        if (c == ' ') {
          if (i == part_start_) {
            return reject(400, "malformed request line");
          }
          line_part_ = LinePart::version;
          part_start_ = i + 1;
        }
        break;
      case LinePart::version: {
        const auto at = i - part_start_;
        if (at >= http11.size() || (c != http11[at] && !(at == http11.size() - 1 && c == '0'))) {
          return reject(400, "unsupported HTTP version");
        }
        break;
      }
    }
  }
  line_checked_ = end;
  return ScanStatus::incomplete;
}

ScanStatus RequestHeadScanner::scan(std::string_view data) {
  // Each phase runs a tight loop over the bytes that need no decision (a
  // word or a table lookup at a time) and decides only at the byte that
  // stops it: the scan is the first pass over every request, so its cost per
  // byte is what a request costs. The size limits become loop bounds,
  // checked once per stop.
  std::size_t pos = pos_;
  for (;;) {
    std::optional<ScanStatus> status;
    switch (phase_) {
      case Phase::request_line:
        status = scan_request_line(data, pos);
        break;
      case Phase::header_name:
        status = scan_header_name(data, pos);
        break;
      case Phase::header_value:
        status = scan_header_value(data, pos);
        break;
    }
    if (status) {
      return *status;
    }
  }
}

std::optional<ScanStatus> RequestHeadScanner::scan_request_line(std::string_view data, std::size_t& pos) {
  const std::size_t size = data.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  // Counted from the first byte so that empty lines before the
  // request line cannot grow the buffer without bound either.
  const std::size_t bound = std::min(size, limits_.max_request_line + 1);
  pos = skip_words(bytes, pos, bound, high_bits);  // obs-text is not allowed here
  while (pos < bound && (byte_flags[bytes[pos]] & in_request_line) != 0) {
    ++pos;
  }
  if (pos < bound && data[pos] == '\r' && pos + 1 < size && data[pos + 1] == '\n') {
    if (pos == line_start_of_request_) {
      // An empty line before the request line is ignored (RFC 9112 §2.2).
      line_start_of_request_ = pos + 2;
      pos += 2;
      return std::nullopt;
    }
    if (auto status = finish_request_line(data.substr(line_start_of_request_, pos - line_start_of_request_));
        status == ScanStatus::rejected) {
      return status;
    }
    phase_ = Phase::header_name;
    headers_start_ = pos + 2;
    line_start_ = pos + 2;
    pos += 2;
    return std::nullopt;
  }
  // The line is not complete here, or ends badly. If what came before
  // this byte is already invalid, that is the reason, however the
  // bytes were cut into reads.
  if (check_partial_request_line(data, pos) == ScanStatus::rejected) {
    return ScanStatus::rejected;
  }
  if (pos >= size) {
    return suspend(pos);
  }
  if (pos >= bound) {
    return reject(414, "request line too long");
  }
  const auto kind = class_of(data[pos]);
  if (kind == cr) {
    if (pos + 1 >= size) {
      return suspend(pos);
    }
    return reject(400, "bare CR in request line");
  }
  if (kind == lf) {
    return reject(400, "bare LF in request line");
  }
  return reject(400, "invalid character in request line");
}

std::optional<ScanStatus> RequestHeadScanner::scan_header_name(std::string_view data, std::size_t& pos) {
  const std::size_t size = data.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (pos >= size) {
    return suspend(pos);
  }
  if (pos == line_start_) {
    const auto kind = class_of(data[pos]);
    if (kind == cr) {
      if (pos + 1 >= size) {
        return suspend(pos);
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
  const std::size_t bound = std::min(size, headers_start_ + limits_.max_header_bytes);
  while (pos < bound && (byte_flags[bytes[pos]] & in_field_name) != 0) {
    ++pos;
  }
  if (pos >= size) {
    return suspend(pos);
  }
  if (pos >= bound) {
    return reject(431, "header section too large");
  }
  const char c = data[pos];
  if (c == ':') {
    if (pos == line_start_) {
      return reject(400, "empty header name");
    }
    phase_ = Phase::header_value;
    ++pos;
    return std::nullopt;
  }
  const auto kind = class_of(c);
  if (kind == space) {
    return reject(400, "whitespace in header name or before its colon");
  }
  if (kind == cr || kind == lf) {
    return reject(400, "header line without a colon");
  }
  return reject(400, "invalid character in header name");
}

std::optional<ScanStatus> RequestHeadScanner::scan_header_value(std::string_view data, std::size_t& pos) {
  const std::size_t size = data.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t bound = std::min(size, headers_start_ + limits_.max_header_bytes);
  pos = skip_words(bytes, pos, bound, 0);
  while (pos < bound && (byte_flags[bytes[pos]] & in_field_value) != 0) {
    ++pos;
  }
  if (pos >= size) {
    return suspend(pos);
  }
  if (pos >= bound) {
    return reject(431, "header section too large");
  }
  const auto kind = class_of(data[pos]);
  if (kind == cr) {
    if (pos + 1 >= size) {
      return suspend(pos);
    }
    if (data[pos + 1] != '\n') {
      return reject(400, "bare CR in header value");
    }
    ++header_count_;
    phase_ = Phase::header_name;
    line_start_ = pos + 2;
    pos += 2;
    return std::nullopt;
  }
  if (kind == lf) {
    return reject(400, "bare LF in header value");
  }
  return reject(400, "control character in header value");
}

}  // namespace hello
