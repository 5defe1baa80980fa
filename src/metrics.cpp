#include "metrics.hpp"

#include "process_stats.hpp"
#include "text.hpp"

namespace hello {
namespace {

void append_seconds_from_ns(std::string& out, std::uint64_t nanoseconds) {
  append_number(out, nanoseconds / 1'000'000'000);
  const auto fraction = nanoseconds % 1'000'000'000;
  if (fraction != 0) {
    std::array<char, 10> digits{'.'};
    auto rest = fraction;
    for (std::size_t i = 9; i >= 1; --i) {
      digits[i] = static_cast<char>('0' + rest % 10);
      rest /= 10;
    }
    std::size_t length = 10;
    while (digits[length - 1] == '0') {
      --length;
    }
    out.append(digits.data(), length);
  }
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, auto value) {
  out += name;
  out += ' ';
  append_number(out, value);
  out += '\n';
}

// A family with one sample, left out entirely when its value is unknown.
template <class T>
void optional_family(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                     const std::optional<T>& value) {
  if (!value) {
    return;
  }
  header(out, name, type, help);
  sample(out, name, *value);
}

void render_process(std::string& out, const ProcessStats& process) {
  optional_family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                  process.cpu_seconds);
  optional_family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                  process.resident_bytes);
  optional_family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", process.virtual_bytes);
  optional_family(out, "process_open_fds", "gauge", "Number of open file descriptors.", process.open_fds);
  optional_family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", process.max_fds);
  optional_family(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
                  process.start_time_seconds);
  optional_family(out, "process_threads", "gauge", "Number of OS threads in the process.", process.threads);
}

}  // namespace

std::string_view route_label(Endpoint endpoint) {
  static constexpr std::array<std::string_view, route_label_count> names{"/",        "/healthz", "/readyz",
                                                                         "/metrics", "/version", "other"};
  static_assert(static_cast<std::size_t>(Endpoint::not_found) + 1 == route_label_count);
  return names[static_cast<std::size_t>(endpoint)];
}

std::string_view to_string(MethodLabel method) {
  static constexpr std::array<std::string_view, method_label_count> names{"GET",    "HEAD",  "POST",    "PUT",
                                                                          "DELETE", "PATCH", "OPTIONS", "OTHER"};
  return names[static_cast<std::size_t>(method)];
}

RejectionReason rejection_reason(int status) {
  switch (status) {
    case 408:
      return RejectionReason::timeout;
    case 413:
      return RejectionReason::body_too_large;
    case 414:
      return RejectionReason::uri_too_long;
    case 431:
      return RejectionReason::header_too_large;
    case 501:
      return RejectionReason::not_implemented;
    case 503:
      return RejectionReason::connection_limit;
    default:
      return RejectionReason::bad_request;
  }
}

std::string_view to_string(RejectionReason reason) {
  static constexpr std::array<std::string_view, rejection_reason_count> names{
      "bad_request",      "timeout",         "body_too_large",  "uri_too_long",
      "header_too_large", "not_implemented", "connection_limit"};
  return names[static_cast<std::size_t>(reason)];
}

std::size_t status_index(int status) {
  for (std::size_t i = 0; i < counted_statuses.size(); ++i) {
    if (counted_statuses[i] == status) {
      return i;
    }
  }
  return status_index(500);
}

void WorkerMetrics::observe_duration(Endpoint route, std::uint64_t nanoseconds, std::uint64_t count) {
  std::size_t bucket = 0;
  while (bucket < duration_bucket_bounds_ns.size() && nanoseconds > duration_bucket_bounds_ns[bucket]) {
    ++bucket;
  }
  auto& histogram = durations[static_cast<std::size_t>(route)];
  histogram.buckets[bucket].add(count);
  histogram.count.add(count);
  histogram.sum_ns.add(nanoseconds * count);
}

MetricsRegistry::MetricsRegistry(std::size_t workers, BuildLabels build) : build_(build) {
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<WorkerMetrics>());
  }
}

void MetricsRegistry::render(std::string& out, const ProcessStats& process, bool ready) const {
  render_requests(out);
  render_durations(out);
  render_connections(out);
  render_rejections(out);
  render_server(out, ready);
  render_process(out, process);
}

void MetricsRegistry::render_requests(std::string& out) const {
  header(out, "http_requests_total", "counter", "HTTP requests answered, by route, method and status code.");
  for (std::size_t r = 0; r < route_label_count; ++r) {
    const auto route = static_cast<Endpoint>(r);
    for (std::size_t m = 0; m < method_label_count; ++m) {
      for (std::size_t s = 0; s < counted_statuses.size(); ++s) {
        std::uint64_t total = 0;
        for (const auto& worker : workers_) {
          total += worker->requests[r][m][s].value();
        }
        // Series appear once they count something, except the one every
        // dashboard divides by, which exists from the start.
        const bool always =
            route == Endpoint::root && m == static_cast<std::size_t>(MethodLabel::get) && counted_statuses[s] == 200;
        if (total == 0 && !always) {
          continue;
        }
        out += "http_requests_total{method=\"";
        out += to_string(static_cast<MethodLabel>(m));
        out += "\",code=\"";
        append_number(out, counted_statuses[s]);
        out += "\",route=\"";
        out += route_label(route);
        out += "\"} ";
        append_number(out, total);
        out += '\n';
      }
    }
  }
}

void MetricsRegistry::render_durations(std::string& out) const {
  header(out, "http_request_duration_seconds", "histogram",
         "Time from when a request could be read (or, pipelined, from the answer before it) to its response being "
         "queued, in seconds, by route.");
  for (std::size_t r = 0; r < route_label_count; ++r) {
    const auto route = static_cast<Endpoint>(r);
    std::uint64_t count = 0;
    std::uint64_t sum_ns = 0;
    for (const auto& worker : workers_) {
      count += worker->durations[r].count.value();
      sum_ns += worker->durations[r].sum_ns.value();
    }
    // Like the counters: a route's histogram appears once it has timed a
    // request, the application route's from the start.
    if (count == 0 && route != Endpoint::root) {
      continue;
    }
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= duration_bucket_bounds_ns.size(); ++b) {
      for (const auto& worker : workers_) {
        cumulative += worker->durations[r].buckets[b].value();
      }
      out += "http_request_duration_seconds_bucket{route=\"";
      out += route_label(route);
      out += "\",le=\"";
      out += b < duration_bucket_labels.size() ? duration_bucket_labels[b] : std::string_view{"+Inf"};
      out += "\"} ";
      // Counters are read one after another while workers keep counting, so
      // the +Inf bucket is taken as the largest of what was seen.
      append_number(out, b == duration_bucket_bounds_ns.size() ? std::max(cumulative, count) : cumulative);
      out += '\n';
    }
    out += "http_request_duration_seconds_sum{route=\"";
    out += route_label(route);
    out += "\"} ";
    append_seconds_from_ns(out, sum_ns);
    out += "\nhttp_request_duration_seconds_count{route=\"";
    out += route_label(route);
    out += "\"} ";
    append_number(out, std::max(cumulative, count));
    out += '\n';
  }
}

void MetricsRegistry::render_connections(std::string& out) const {
  std::int64_t active = 0;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
  for (const auto& worker : workers_) {
    active += worker->connections_active.value();
    accepted += worker->connections_accepted.value();
    refused += worker->connections_refused.value();
  }
  header(out, "http_connections_active", "gauge", "Open client connections.");
  sample(out, "http_connections_active", active);
  header(out, "http_connections_accepted_total", "counter", "Client connections accepted.");
  sample(out, "http_connections_accepted_total", accepted);
  header(out, "http_connections_refused_total", "counter",
         "Client connections answered 503 and closed at once because --max-connections were open.");
  sample(out, "http_connections_refused_total", refused);
}

void MetricsRegistry::render_rejections(std::string& out) const {
  header(out, "http_requests_rejected_total", "counter",
         "Requests refused before a normal answer, by reason: malformed or over a limit (4xx), too slow (408), "
         "over the connection cap (503).");
  for (std::size_t r = 0; r < rejection_reason_count; ++r) {
    std::uint64_t total = 0;
    for (const auto& worker : workers_) {
      total += worker->rejections[r].value();
    }
    out += "http_requests_rejected_total{reason=\"";
    out += to_string(static_cast<RejectionReason>(r));
    out += "\"} ";
    append_number(out, total);
    out += '\n';
  }
}

void MetricsRegistry::render_server(std::string& out, bool ready) const {
  header(out, "hello_ready", "gauge", "1 while /readyz answers 200, 0 once shutdown has begun.");
  sample(out, "hello_ready", ready ? 1 : 0);
  header(out, "hello_worker_threads", "gauge", "Worker threads, one event loop each.");
  sample(out, "hello_worker_threads", workers_.size());
  header(out, "hello_build_info", "gauge", "Version and source revision of this build; always 1.");
  out += "hello_build_info{version=\"";
  out += build_.version;
  out += "\",revision=\"";
  out += build_.revision;
  out += "\"} 1\n";
}

}  // namespace hello
