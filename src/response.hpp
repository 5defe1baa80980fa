#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace hello {

enum class ConnectionHeader : std::uint8_t { none, keep_alive, close };

// A response whose bytes are fixed except for Date and Connection: the
// status line and headers up to "Date: " are rendered once at startup, and so
// is everything after the date for each Connection header with and without
// the body, so answering is three copies.
struct PreparedResponse {
  int status = 0;
  std::string head_before_date;
  // "\r\n", the Connection header if any, "\r\n" and the body if any; see tail().
  std::array<std::string, 6> tails;

  [[nodiscard]] static std::size_t tail_index(ConnectionHeader connection, bool with_body) {
    return static_cast<std::size_t>(connection) * 2 + (with_body ? 1 : 0);
  }
  [[nodiscard]] const std::string& tail(ConnectionHeader connection, bool with_body) const {
    return tails[tail_index(connection, with_body)];
  }
};

[[nodiscard]] std::string_view reason_phrase(int status);

[[nodiscard]] PreparedResponse prepare_response(int status, std::string_view content_type, std::string_view body,
                                                std::string_view extra_headers = {});

void append_response(std::string& out, const PreparedResponse& response, std::string_view date,
                     ConnectionHeader connection, bool with_body);

// For bodies made per request (/metrics).
void append_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                     std::string_view date, ConnectionHeader connection, bool with_body);

inline constexpr std::string_view text_plain = "text/plain; charset=utf-8";
inline constexpr std::string_view prometheus_text = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view application_json = "application/json";

// Every fixed response the server sends.
struct ResponseCatalog {
  explicit ResponseCatalog(std::string_view version, std::string_view revision);

  [[nodiscard]] const PreparedResponse& for_status(int status) const;

  PreparedResponse hello;
  PreparedResponse healthy;
  PreparedResponse ready;
  PreparedResponse not_ready;
  PreparedResponse version;
  PreparedResponse not_found;
  PreparedResponse method_not_allowed;
  PreparedResponse bad_request;
  PreparedResponse request_timeout;
  PreparedResponse content_too_large;
  PreparedResponse uri_too_long;
  PreparedResponse header_fields_too_large;
  PreparedResponse not_implemented;
  // Over --max-connections: sent without reading the request.
  PreparedResponse over_capacity;
};

}  // namespace hello
