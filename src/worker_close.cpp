// Closing: orderly closes with lingering (RFC 9112, section 9.6), and what
// happens to a connection whose deadline passed.
#include <sys/socket.h>

#include <cerrno>

#include "peer_address.hpp"
#include "socket_io.hpp"
#include "worker.hpp"

namespace hello {
namespace {

// Lingering: how long, and how much of its input, a half-closed connection
// may take to be closed by its peer before the server closes it anyway. Long
// enough for a client to read its last answers and see the end of the
// stream; short enough that a shutdown is not held up (the shutdown timeout
// cuts it in any case).
constexpr std::int64_t linger_ms = 2000;
constexpr std::uint64_t linger_max_bytes = std::uint64_t{1} << 20U;

}  // namespace

// Every orderly close goes through here, whoever decided it: no more
// requests are read, and the connection closes once its queued answers are
// written. `peer_done`: the peer has said it sends nothing more (its own
// "Connection: close", or the end of its stream), so it need not linger.
bool Worker::begin_close(Connection& connection, bool peer_done) {
  connection.phase = Connection::Phase::closing;
  connection.peer_done = peer_done;
  connection.discarded = 0;
  connection.read_blocked = false;
  connection.input.clear();
  if (connection.output.empty()) {
    return finish_close(connection);
  }
  // Answers are still queued (on_writable finishes the close): read the
  // input away meanwhile, so a client blocked on sending gets to read.
  return discard_input(connection);
}

// The last answer has been handed to the kernel.
bool Worker::finish_close(Connection& connection) {
  if (connection.peer_done) {
    close_connection(connection);
    return false;
  }
  // The peer may still be sending. RFC 9112, section 9.6: half-close, so the
  // FIN follows the answers, and read until the peer closes too; closing now
  // would meet its late bytes with a reset that destroys the answers the
  // kernel has not delivered yet.
  ::shutdown(connection.fd.get(), SHUT_WR);
  connection.phase = Connection::Phase::lingering;
  connection.deadline_ms = now_ms_ + linger_ms;
  return discard_input(connection);
}

// Reads and drops what a closing connection receives, up to the linger
// bound; the end of the peer's stream ends the wait.
bool Worker::discard_input(Connection& connection) {
  for (;;) {
    const auto received = receive(connection.fd.get(), read_buffer_.get(), read_buffer_size);
    if (received > 0) {
      connection.discarded += static_cast<std::uint64_t>(received);
      if (connection.discarded > linger_max_bytes) {
        // Told that the connection closes, the peer keeps sending.
        close_connection(connection);
        return false;
      }
      if (static_cast<std::size_t>(received) < read_buffer_size) {
        return true;
      }
      continue;
    }
    if (received == 0) {
      connection.peer_done = true;
      if (connection.output.empty()) {
        close_connection(connection);
        return false;
      }
      return true;  // closing: the answers are written, then it closes
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN) {
      return true;
    }
    close_connection(connection);
    return false;
  }
}

void Worker::close_connection(Connection& connection) {
  if (connection.scheduled) {
    connection.scheduled = false;
    std::erase(ready_, &connection);
  }
  connection.fd.reset();
  connection.input.clear();
  connection.output.clear();
  shared_.state.open_connections.fetch_sub(1, std::memory_order_relaxed);
  metrics_.connections_active.add(-1);
  pool_.release(connection);
}

void Worker::expire(Connection& connection) {
  if (connection.phase == Connection::Phase::lingering) {
    close_connection(connection);
    return;
  }
  if (!connection.output.empty()) {
    // Answers are queued. A client reading slowly drains the kernel's send
    // queue without the socket ever becoming writable enough for EPOLLOUT:
    // that is progress too, and it gets another send timeout.
    const auto backlog = connection.output.size() + unacknowledged_bytes(connection.fd.get());
    if (backlog < connection.send_backlog) {
      connection.send_backlog = backlog;
      connection.deadline_ms = now_ms_ + shared_.config.header_timeout.count();
      return;
    }
    // Nothing more can be delivered.
    if (shared_.logger.enabled(LogLevel::debug)) {
      shared_.logger.debug(
          "connection closed: the peer stopped reading",
          {{"peer", peer_address(connection.fd.get())}, {"queued_bytes", backlog}, {"worker", index_}});
    }
    close_connection(connection);
    return;
  }
  if (connection.phase != Connection::Phase::open) {
    close_connection(connection);
    return;
  }
  // Idle too long, or a request too slow (answered 408): the server closes,
  // so the peer may be sending at this very moment.
  output_.clear();
  if (connection.session.append_timeout_response(*context_, output_)) {
    log_rejection(connection, timeout_rejection);
    if (!flush(connection, output_)) {
      return;
    }
  }
  begin_close(connection, false);
}

}  // namespace hello
