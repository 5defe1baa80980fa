// The worker's loop: construction, events, commands from the main thread
// and the periodic sweep. Accepting, turns and closing are in
// worker_accept.cpp, worker_turns.cpp and worker_close.cpp.
#include "worker.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <system_error>

#include "monotonic_clock.hpp"

namespace hello {
namespace {

constexpr int max_events = 256;
constexpr std::int64_t sweep_interval_ms = 1000;
// A warning a client can provoke is written at most this often per worker.
constexpr std::int64_t warning_interval_ms = 10'000;
constexpr std::size_t ready_list_reserve = 256;

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

class Worker::Page final : public MetricsPage {
 public:
  explicit Page(const WorkerShared& shared) : shared_(shared) {}
  void render(std::string& body) override {
    shared_.metrics.render(body, shared_.process_stats.get(), shared_.state.ready.load(std::memory_order_relaxed));
  }

 private:
  const WorkerShared& shared_;
};

Worker::Worker(const WorkerShared& shared, std::size_t index)
    : shared_(shared),
      index_(index),
      metrics_(shared.metrics.worker(index)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      page_(std::make_unique<Page>(shared)),
      read_buffer_(std::make_unique_for_overwrite<char[]>(read_buffer_size)),
      refusal_warnings_(warning_interval_ms),
      accept_warnings_(warning_interval_ms) {
  if (!epoll_) {
    throw_errno("epoll_create1");
  }
  if (!wake_) {
    throw_errno("eventfd");
  }
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.u64 = wake_token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &wake_event) != 0) {
    throw_errno("epoll_ctl(eventfd)");
  }
  resume_accepting();
  if (!listening_) {
    throw_errno("epoll_ctl(listener)");
  }
  output_.reserve(read_buffer_size);
  ready_.reserve(ready_list_reserve);
  serving_.reserve(ready_list_reserve);
  context_ = std::make_unique<SessionContext>(SessionContext{
      shared.responses, metrics_, *page_, scratch_, std::string_view{}, shared.state.ready, false, &monotonic_ns, 0});
  refresh_clock();
}

Worker::~Worker() = default;

Result<std::unique_ptr<Worker>> make_worker(const WorkerShared& shared, std::size_t index) {
  try {
    return std::make_unique<Worker>(shared, index);
  } catch (const std::exception& error) {
    return std::string{error.what()};
  }
}

void Worker::command(unsigned bit) {
  commands_.fetch_or(bit, std::memory_order_release);
  const std::uint64_t one = 1;
  // A full eventfd counter still wakes the loop; nothing to handle.
  [[maybe_unused]] const auto written = ::write(wake_.get(), &one, sizeof(one));
}

void Worker::refresh_clock() {
  timespec monotonic{};
  clock_gettime(CLOCK_MONOTONIC, &monotonic);
  now_ms_ = to_ms(monotonic);
  batch_start_ns_ = to_ns(monotonic);
  timespec wall{};
  clock_gettime(CLOCK_REALTIME_COARSE, &wall);
  context_->date = date_.get(wall.tv_sec);
}

void Worker::run() {
  std::array<epoll_event, max_events> events{};
  next_sweep_ms_ = now_ms_ + sweep_interval_ms;
  bool forced = false;
  while (!forced && !(stopping_ && pool_.open_count() == 0)) {
    // While connections have work left, only look for new events.
    const auto timeout = ready_.empty() ? static_cast<int>(std::max<std::int64_t>(0, next_sweep_ms_ - now_ms_)) : 0;
    const int ready = ::epoll_wait(epoll_.get(), events.data(), max_events, timeout);
    if (ready < 0 && errno != EINTR) {
      throw_errno("epoll_wait");
    }
    refresh_clock();
    for (int i = 0; i < ready && !forced; ++i) {
      forced = !on_event(events[static_cast<std::size_t>(i)]);
    }
    if (!forced) {
      serve_ready();
    }
    pool_.recycle_closed();
    if (now_ms_ >= next_sweep_ms_) {
      sweep_timeouts();
      pool_.recycle_closed();
      next_sweep_ms_ = now_ms_ + sweep_interval_ms;
    }
  }
  while (pool_.first_open() != nullptr) {
    close_connection(*pool_.first_open());
  }
  pool_.recycle_closed();
}

bool Worker::on_event(const epoll_event& event) {
  if (event.data.u64 == listener_token) {
    accept_connections(shared_.listen_fd, Port::application);
    return true;
  }
  if (event.data.u64 == metrics_listener_token) {
    accept_connections(shared_.metrics_listen_fd, Port::metrics);
    return true;
  }
  if (event.data.u64 == wake_token) {
    handle_commands();
    return (commands_seen_ & force_bit) == 0;
  }
  auto& connection = *static_cast<Connection*>(event.data.ptr);
  if (!connection.fd) {
    return true;  // closed earlier in this batch
  }
  if ((event.events & EPOLLERR) != 0) {
    close_connection(connection);
    return true;
  }
  if ((event.events & (EPOLLRDHUP | EPOLLHUP)) != 0) {
    connection.peer_hung_up = true;
  }
  const bool readable = (event.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0;
  if (readable) {
    connection.input_ready = true;
  }
  if ((event.events & EPOLLOUT) != 0 && !connection.output.empty() && !on_writable(connection)) {
    return true;
  }
  // A connection on the ready list takes its turn there: one per iteration.
  if (readable && !connection.scheduled) {
    take_turn(connection, batch_start_ns_);
  }
  return true;
}

void Worker::handle_commands() {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto read = ::read(wake_.get(), &count, sizeof(count));
  const auto commands = commands_.exchange(0, std::memory_order_acquire);
  commands_seen_ |= commands;
  if ((commands & stop_bit) != 0 && !stopping_) {
    stopping_ = true;
    if (listening_) {
      // Take what already waits in the accept queue: closing the listener
      // would reset those connections.
      accept_all();
      pause_accepting();
    }
    accepting_ = false;
    shared_.state.workers_not_accepting.fetch_add(1);
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(shared_.notify_fd, &one, sizeof(one));
    for (auto* connection = pool_.first_open(); connection != nullptr;) {
      auto* next = connection->next;
      if (is_idle(*connection)) {
        // A request may be on its way: half-close and linger like any
        // other close the server decides on.
        begin_close(*connection, false);
      }
      connection = next;
    }
  }
}

void Worker::sweep_timeouts() {
  if (!listening_ && !stopping_ && accept_paused_until_ms_ != 0 && now_ms_ >= accept_paused_until_ms_) {
    accept_paused_until_ms_ = 0;
    resume_accepting();
  }
  for (auto* connection = pool_.first_open(); connection != nullptr;) {
    auto* next = connection->next;
    if (connection->deadline_ms <= now_ms_) {
      expire(*connection);
    } else if (stopping_ && is_idle(*connection)) {
      // Busy when the worker stopped (its answers were still being
      // written), idle now: it closes like those that were idle then.
      begin_close(*connection, false);
    }
    connection = next;
  }
}

}  // namespace hello
