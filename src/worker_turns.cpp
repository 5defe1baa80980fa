// A connection's turn: read, answer, send, and the deadlines that follow
// from where it stands.
#include <cerrno>

#include "monotonic_clock.hpp"
#include "peer_address.hpp"
#include "socket_io.hpp"
#include "worker.hpp"

namespace hello {
namespace {

// A turn reads at most this much: a few hundred pipelined requests, more
// than one turn's answers are made from, and what a connection holds
// unparsed at most when its client does not read.
constexpr std::size_t turn_read_size = std::size_t{16} * 1024;
constexpr std::size_t partial_read_size = std::size_t{16} * 1024;

}  // namespace

bool Worker::is_idle(const Connection& connection) {
  return connection.phase == Connection::Phase::open && connection.output.empty() && connection.input.empty() &&
         !connection.session.in_request();
}

// One turn: at most one read and one call into the session, whose output is
// limited; a connection with work left goes on the ready list for another
// turn after the next events. `start_ns`: when its bytes became readable to
// this worker, where the latency of its first answer starts. False once the
// connection is closed.
bool Worker::take_turn(Connection& connection, std::int64_t start_ns) {
  if (connection.phase != Connection::Phase::open) {
    return discard_input(connection);
  }
  if (!connection.output.empty()) {
    // Back-pressure: a client that does not read its responses gets no
    // more of them computed.
    connection.read_blocked = true;
    return true;
  }
  context_->request_start_ns = start_ns;
  if (connection.pending_requests) {
    if (!process(connection, connection.input.view(), false)) {
      return false;
    }
  } else if (!read_and_process(connection)) {
    return false;
  }
  if (connection.phase == Connection::Phase::open && connection.output.empty() &&
      (connection.pending_requests || connection.input_ready)) {
    schedule(connection);
  }
  return true;
}

// The read of a turn: one receive, its requests answered. False once the
// connection is closed.
bool Worker::read_and_process(Connection& connection) {
  const bool from_scratch = connection.input.empty();
  char* buffer = from_scratch ? read_buffer_.get() : connection.input.prepare(partial_read_size);
  const std::size_t capacity = from_scratch ? turn_read_size : connection.input.free_space();
  for (;;) {
    const auto received = receive(connection.fd.get(), buffer, capacity);
    if (received > 0) {
      const auto size = static_cast<std::size_t>(received);
      // Edge-triggered epoll does not repeat itself: a full read may have
      // left more in the socket, and an end of stream may wait behind the
      // bytes read. Either way another turn must look.
      connection.input_ready = size == capacity || connection.peer_hung_up;
      std::string_view data{buffer, size};
      if (!from_scratch) {
        connection.input.commit(size);
        data = connection.input.view();
      }
      return process(connection, data, from_scratch);
    }
    if (received == 0) {
      // The client finished sending. What it sent has been answered above.
      connection.input_ready = false;
      return begin_close(connection, true);
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN) {
      connection.input_ready = false;
      return true;
    }
    close_connection(connection);
    return false;
  }
}

void Worker::schedule(Connection& connection) {
  if (!connection.scheduled) {
    connection.scheduled = true;
    ready_.push_back(&connection);
  }
}

// One turn for each connection that was on the ready list when this pass
// began; those that still have work left after it wait for the next pass.
void Worker::serve_ready() {
  if (ready_.empty()) {
    return;
  }
  serving_.swap(ready_);
  for (auto* connection : serving_) {
    if (!connection->scheduled) {
      continue;  // closed since it was scheduled
    }
    connection->scheduled = false;
    take_turn(*connection, monotonic_ns());
  }
  serving_.clear();
}

bool Worker::process(Connection& connection, std::string_view input, bool from_scratch) {
  output_.clear();
  // Read per batch, not per loop iteration: a request read after the signal
  // is answered with "Connection: close" even if the iteration began before.
  context_->closing = stopping_ || shared_.state.draining.load(std::memory_order_acquire);
  const auto result = connection.session.consume(input, *context_, output_);
  if (from_scratch) {
    if (result.consumed < input.size()) {
      connection.input.append(input.substr(result.consumed));
    }
  } else {
    connection.input.consume(result.consumed);
  }
  connection.pending_requests = result.paused;
  if (result.rejection.status != 0) {
    log_rejection(connection, result.rejection);
  }

  if (result.close) {
    // Closing has deadlines of its own: flush sets one when answers stay
    // queued, finish_close the linger bound.
  } else if (connection.session.in_request() || (!connection.input.empty() && !result.paused)) {
    // A request has begun. Its clock starts with its first byte and is not
    // reset by later bytes, so a slow sender cannot hold the connection
    // forever; bytes left over after an answer are the next request's first.
    if (!connection.request_started || result.responses > 0) {
      connection.request_started = true;
      await_bytes(connection);
    }
  } else {
    await_next_request(connection);
  }

  if (!output_.empty() && !flush(connection, output_)) {
    return false;
  }
  if (result.close) {
    return begin_close(connection, result.client_done);
  }
  return true;
}

// Sends what the socket takes now. nullopt when a send error closed the
// connection; fewer bytes than given when the socket buffer is full.
std::optional<std::size_t> Worker::send_some(Connection& connection, std::string_view bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto sent = transmit(connection.fd.get(), bytes.data() + written, bytes.size() - written);
    if (sent > 0) {
      written += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent < 0 && errno == EAGAIN) {
      break;
    }
    close_connection(connection);
    return std::nullopt;
  }
  return written;
}

// A request is under way (or a response is stuck): the peer has the header
// timeout to make progress.
void Worker::await_bytes(Connection& connection) const {
  connection.deadline_ms = now_ms_ + shared_.config.header_timeout.count();
}

// Between requests: the idle timeout applies, and the next request's clock
// starts with its first byte.
void Worker::await_next_request(Connection& connection) const {
  connection.request_started = false;
  connection.deadline_ms = now_ms_ + shared_.config.idle_timeout.count();
}

// Answers are queued: a client that stops reading gets as long as one that
// stops sending (the header timeout), and any progress in that time, in
// user space or in the kernel's send queue, starts it again (expire()).
void Worker::await_send_progress(Connection& connection) const {
  connection.deadline_ms = now_ms_ + shared_.config.header_timeout.count();
  connection.send_backlog = connection.output.size() + unacknowledged_bytes(connection.fd.get());
}

bool Worker::flush(Connection& connection, std::string_view bytes) {
  const auto written = send_some(connection, bytes);
  if (!written) {
    return false;
  }
  if (*written < bytes.size()) {
    connection.output.append(bytes.substr(*written));
    await_send_progress(connection);
    // Nothing more is read or parsed until the socket takes this.
    connection.read_blocked = true;
  }
  return true;
}

bool Worker::on_writable(Connection& connection) {
  const auto pending = connection.output.view();
  const auto written = send_some(connection, pending);
  if (!written) {
    return false;
  }
  if (*written < pending.size()) {
    connection.output.consume(*written);
    if (*written > 0) {
      await_send_progress(connection);
    }
    return true;
  }
  connection.output.clear();
  if (connection.phase == Connection::Phase::closing) {
    return finish_close(connection);
  }
  if (connection.session.in_request()) {
    // The request's bytes waited in the socket while its client read: its
    // header timeout runs from now.
    connection.request_started = true;
    await_bytes(connection);
  } else if (connection.input.empty()) {
    await_next_request(connection);
  }
  if (connection.read_blocked || connection.pending_requests) {
    connection.read_blocked = false;
    schedule(connection);
  }
  return true;
}

void Worker::log_rejection(const Connection& connection, const Rejection& rejection) const {
  if (!shared_.logger.enabled(LogLevel::debug)) {
    return;
  }
  shared_.logger.debug("request rejected", {{"status", rejection.status},
                                            {"reason", rejection.reason},
                                            {"peer", peer_address(connection.fd.get())},
                                            {"worker", index_}});
}

}  // namespace hello
