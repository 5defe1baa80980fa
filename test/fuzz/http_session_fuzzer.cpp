// Feeds arbitrary bytes to the protocol layer twice: whole, and cut into
// pieces whose sizes come from the input itself, as a socket might deliver
// them, with an output limit per call that also comes from the input (from
// one answer per call up to about 16 KiB), as the worker presents paused
// input again. Inputs of odd length run with small head limits, so that the
// limits on the head, chunk extensions and trailers are reached within the
// fuzzer's input size. Besides the sanitizers' checks, both deliveries must produce
// the same bytes, and every answer must be a well-formed HTTP/1.1 response.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http_session.hpp"

namespace {

class FixedPage final : public hello::MetricsPage {
 public:
  void render(std::string& body) override { body += "up 1\n"; }
};

struct Run {
  std::string out;
  std::size_t responses = 0;
  bool closed = false;
};

std::int64_t fake_clock() {
  static std::int64_t now = 0;
  return now += 1000;
}

Run deliver(std::string_view input, std::string_view piece_sizes, const hello::SessionLimits& limits,
            hello::Port port) {
  static const hello::ResponseCatalog responses{"0.0.0", "fuzz"};
  hello::WorkerMetrics metrics;
  FixedPage page;
  std::string scratch;
  const std::atomic<bool> ready{true};
  hello::SessionContext context{responses, metrics, page,        scratch, "Thu, 01 Jan 1970 00:00:00 GMT",
                                ready,     false,   &fake_clock, 0};
  hello::HttpSession session{limits};
  session.reset(port);
  Run run;
  std::string pending;
  std::size_t at = 0;
  std::size_t next_piece = 0;
  while (at < input.size() && !run.closed) {
    std::size_t piece = input.size() - at;
    if (!piece_sizes.empty()) {
      piece = 1 + static_cast<unsigned char>(piece_sizes[next_piece++ % piece_sizes.size()]) % 64;
      piece = std::min(piece, input.size() - at);
    }
    pending.append(input.substr(at, piece));
    at += piece;
    bool paused = true;
    while (paused && !run.closed) {
      const auto result = session.consume(pending, context, run.out);
      if (result.consumed > pending.size()) {
        std::abort();
      }
      if (result.paused && (result.close || result.consumed == pending.size())) {
        std::abort();  // paused means: more input is waiting, and the connection stays
      }
      pending.erase(0, result.consumed);
      run.responses += result.responses;
      run.closed = result.close;
      paused = result.paused;
      if (result.client_done && !result.close) {
        std::abort();  // "the client is done sending" only ever describes a close
      }
      if (result.close && !pending.empty()) {
        std::abort();  // a closing session must have consumed everything
      }
      if (result.rejection.status != 0 && !result.close) {
        std::abort();  // a rejection always closes
      }
    }
  }
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::size_t header = std::min<std::size_t>(data[0] % 8, size - 1);
  // 1 byte (an answer per call) to 15,873 bytes.
  const std::size_t output_per_call = 1 + std::size_t{data[0] / 8U} * 512;
  const std::string_view piece_sizes{reinterpret_cast<const char*>(data + 1), header};
  const std::string_view input{reinterpret_cast<const char*>(data + 1 + header), size - 1 - header};

  hello::SessionLimits limits;
  limits.output_per_call = output_per_call;
  if (size % 2 == 1) {
    limits.head = hello::HeadLimits{.max_request_line = 64, .max_header_bytes = 256, .max_header_count = 6};
    limits.max_body_bytes = 512;
  }
  // Half the inputs as the metrics port sees them (only /metrics routes).
  const auto port = size % 4 >= 2 ? hello::Port::metrics : hello::Port::application;
  const auto whole = deliver(input, {}, limits, port);
  const auto pieces = deliver(input, piece_sizes.empty() ? std::string_view{"\x01"} : piece_sizes, limits, port);
  if (whole.out != pieces.out || whole.responses != pieces.responses || whole.closed != pieces.closed) {
    std::abort();
  }
  if (whole.responses > 0 && !std::string_view{whole.out}.starts_with("HTTP/1.1 ")) {
    std::abort();
  }
  return 0;
}
