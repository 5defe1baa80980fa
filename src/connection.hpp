#pragma once

#include <cstdint>

#include "byte_buffer.hpp"
#include "http_session.hpp"
#include "unique_fd.hpp"

namespace hello {

// One client connection of a worker: its socket, its protocol state and
// where it is in its life.
struct Connection {
  // How a connection ends (docs/server.md, "Closing a connection"): once its
  // last answer is decided it reads no more requests; its input is discarded
  // from then on, because a socket closed with unread input makes the kernel
  // send a reset that destroys the answers still queued for the peer.
  enum class Phase : std::uint8_t {
    open,       // reading requests and writing their answers
    closing,    // the last answer is decided; writing what is queued
    lingering,  // sending side shut down; waiting for the peer to close
  };

  explicit Connection(const SessionLimits& limits) : session(limits) {}

  UniqueFd fd;
  HttpSession session;
  ByteBuffer input;   // the start of a request that has not fully arrived, or requests not parsed yet
  ByteBuffer output;  // response bytes the socket did not take yet
  // open: the header, idle or send timeout; closing: the send timeout;
  // lingering: when the server closes anyway.
  std::int64_t deadline_ms = 0;
  std::uint64_t discarded = 0;     // input bytes dropped since closing began
  std::uint64_t send_backlog = 0;  // queued bytes (ours and the kernel's) when the send timeout started
  Phase phase = Phase::open;
  bool peer_done = false;         // the peer will send nothing more: no need to linger
  bool request_started = false;   // the header timeout is running
  bool read_blocked = false;      // stopped reading until `output` drains
  bool pending_requests = false;  // `input` holds requests the output limit left unparsed
  bool input_ready = false;       // the socket may hold unread bytes (or an end of stream)
  bool peer_hung_up = false;      // the peer's end of stream may wait behind what was read
  bool scheduled = false;         // on the ready list
  bool registered = false;        // in the epoll set, so events may name it
  Connection* prev = nullptr;
  Connection* next = nullptr;
};

}  // namespace hello
