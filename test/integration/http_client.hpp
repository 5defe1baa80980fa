#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hello::test {

using namespace std::chrono_literals;

struct HttpResponse {
  std::string status_line;
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  [[nodiscard]] std::string header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? std::string{} : found->second;
  }
  [[nodiscard]] bool has_header(const std::string& name) const { return headers.contains(name); }
};

// A raw TCP client for 127.0.0.1: it sends exactly the bytes a test gives it
// and parses what comes back, so malformed requests reach the server as-is.
class RawClient {
 public:
  struct Options {
    // SO_RCVBUF, set before connecting so that it bounds the window the
    // client offers; 0 keeps the kernel's default.
    int receive_buffer = 0;
    // SO_SNDBUF, likewise.
    int send_buffer = 0;
  };
  explicit RawClient(std::uint16_t port) : RawClient(port, Options{}) {}
  RawClient(std::uint16_t port, Options options);
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  RawClient(RawClient&& other) noexcept;
  RawClient& operator=(RawClient&&) = delete;
  ~RawClient();

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  [[nodiscard]] int fd() const { return fd_; }
  bool send(std::string_view bytes);
  // What the socket takes now, without waiting; -1 once the connection failed.
  std::int64_t send_now(std::string_view bytes);
  // Closes the client's socket (what the destructor does, earlier).
  void close();

  // One response; `expect_body` false for HEAD (Content-Length describes a
  // body that is not sent). nullopt on timeout or a malformed response.
  std::optional<HttpResponse> read_response(bool expect_body = true, std::chrono::milliseconds timeout = 5s);

  // True when the server closes the connection (EOF or reset) in time;
  // bytes that arrive first are kept for read_response.
  bool wait_closed(std::chrono::milliseconds timeout = 5s);

  // Reads until the server closes, returning everything not yet parsed.
  std::string read_until_closed(std::chrono::milliseconds timeout = 5s);

  [[nodiscard]] const std::string& unparsed() const { return buffer_; }

  // The server's side of a close: it ended with a reset rather than an
  // orderly end of stream. A reset that arrives after the end of stream is
  // not reported by recv(), so this also asks the socket (SO_ERROR, and
  // TCP_INFO's state: CLOSE after a reset, CLOSE_WAIT after a FIN only).
  [[nodiscard]] bool was_reset() const;
  [[nodiscard]] int receive_error() const { return receive_error_; }

 private:
  // false on timeout, EOF or error
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool eof_ = false;
  int receive_error_ = 0;  // errno of the recv() that ended the stream, 0 for EOF
  std::string buffer_;
};

// One request on a new connection.
std::optional<HttpResponse> http_get(std::uint16_t port, std::string_view path, std::string_view method = "GET");

// Sends `request` and returns the server's answer, whether it then closed,
// and whatever else it sent before closing.
struct Exchange {
  std::optional<HttpResponse> response;
  bool closed = false;
  std::string after_response;
};
Exchange exchange(std::uint16_t port, std::string_view request, std::chrono::milliseconds timeout = 5s);

// TEXT written TIMES times in a row: pipelined requests, long header values.
std::string repeat(std::string_view text, int times);

}  // namespace hello::test
