#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "router.hpp"

namespace hello {

enum class MethodLabel : std::uint8_t { get, head, post, put, delete_, patch, options, other };
inline constexpr std::size_t method_label_count = 8;
[[nodiscard]] std::string_view to_string(MethodLabel method);

// The route label: one value per endpoint, "other" for every path that is
// none of them (and for requests refused before their path was known).
inline constexpr std::size_t route_label_count = 6;
[[nodiscard]] std::string_view route_label(Endpoint endpoint);

// Every status this server sends; anything else is counted as 500.
inline constexpr std::array<int, 11> counted_statuses{200, 400, 404, 405, 408, 413, 414, 431, 500, 501, 503};
[[nodiscard]] std::size_t status_index(int status);

// Why a request was refused: a small fixed set, so the label's values never
// grow with what clients send.
enum class RejectionReason : std::uint8_t {
  bad_request,       // 400: malformed, ambiguous or smuggling-prone input
  timeout,           // 408: the head did not arrive within the header timeout
  body_too_large,    // 413
  uri_too_long,      // 414
  header_too_large,  // 431: head or trailer section over its limits
  not_implemented,   // 501: unknown method
  connection_limit,  // 503: over --max-connections, answered without parsing
};
inline constexpr std::size_t rejection_reason_count = 7;
[[nodiscard]] RejectionReason rejection_reason(int status);
[[nodiscard]] std::string_view to_string(RejectionReason reason);

// Upper bounds of the latency histogram, in seconds and in nanoseconds.
inline constexpr std::array<std::string_view, 13> duration_bucket_labels{
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1"};
inline constexpr std::array<std::uint64_t, 13> duration_bucket_bounds_ns{
    100'000,    250'000,    500'000,     1'000'000,   2'500'000,   5'000'000,    10'000'000,
    25'000'000, 50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000};

// A counter with one writer (its worker thread) and any number of readers
// (whichever worker renders /metrics): relaxed loads and stores, no locked
// read-modify-write on the request path.
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void add(std::int64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// The latency histogram of one route.
struct DurationHistogram {
  // Per bucket, not cumulative; the last one counts what exceeds every bound.
  std::array<Counter, duration_bucket_bounds_ns.size() + 1> buckets{};
  Counter count;
  Counter sum_ns;
};

// One per worker thread, on its own cache lines; summed at scrape time.
// Fixed arrays indexed by label values: counting allocates nothing, and a
// scrape reads the same number of counters however many connections exist.
struct alignas(64) WorkerMetrics {
  using StatusCounters = std::array<Counter, counted_statuses.size()>;
  std::array<std::array<StatusCounters, method_label_count>, route_label_count> requests{};
  std::array<DurationHistogram, route_label_count> durations{};
  Gauge connections_active;
  Counter connections_accepted;
  Counter connections_refused;
  std::array<Counter, rejection_reason_count> rejections{};

  void count_request(Endpoint route, MethodLabel method, int status) {
    requests[static_cast<std::size_t>(route)][static_cast<std::size_t>(method)][status_index(status)].add();
  }
  void count_rejection(RejectionReason reason) { rejections[static_cast<std::size_t>(reason)].add(); }
  // `count` requests to `route` that each took `nanoseconds`.
  void observe_duration(Endpoint route, std::uint64_t nanoseconds, std::uint64_t count);
};

struct BuildLabels {
  std::string_view version;
  std::string_view revision;
};

// Renders the /metrics body.
class MetricsPage {
 public:
  MetricsPage() = default;
  MetricsPage(const MetricsPage&) = delete;
  MetricsPage& operator=(const MetricsPage&) = delete;
  MetricsPage(MetricsPage&&) = delete;
  MetricsPage& operator=(MetricsPage&&) = delete;
  virtual ~MetricsPage() = default;
  virtual void render(std::string& body) = 0;
};

struct ProcessStats;

// Renders the Prometheus text exposition format 0.0.4.
class MetricsRegistry {
 public:
  MetricsRegistry(std::size_t workers, BuildLabels build);

  [[nodiscard]] WorkerMetrics& worker(std::size_t index) { return *workers_[index]; }

  void render(std::string& out, const ProcessStats& process, bool ready) const;

 private:
  void render_requests(std::string& out) const;
  void render_durations(std::string& out) const;
  void render_connections(std::string& out) const;
  void render_rejections(std::string& out) const;
  void render_server(std::string& out, bool ready) const;

  std::vector<std::unique_ptr<WorkerMetrics>> workers_;
  BuildLabels build_;
};

}  // namespace hello
