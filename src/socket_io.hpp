#pragma once

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace hello {

// Socket I/O on the request path. libc's read/send are thread-cancellation
// points: in a multi-threaded process each call brackets the system call
// with two atomic read-modify-writes on the thread's cancellation state.
// Workers are never cancelled, so the system calls are made directly.
inline ssize_t receive(int fd, char* buffer, std::size_t capacity) {
  return ::syscall(SYS_recvfrom, fd, buffer, capacity, 0, nullptr, nullptr);
}

inline ssize_t transmit(int fd, const char* bytes, std::size_t size) {
  return ::syscall(SYS_sendto, fd, bytes, size, MSG_NOSIGNAL, nullptr, 0);
}

// Bytes the kernel still holds for the peer: not sent yet, or sent and not
// acknowledged. They shrink as a slow reader reads, even while the socket
// stays too full to raise EPOLLOUT.
inline std::uint64_t unacknowledged_bytes(int fd) {
  int queued = 0;
  return ::ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0 ? static_cast<std::uint64_t>(queued) : 0;
}

}  // namespace hello
