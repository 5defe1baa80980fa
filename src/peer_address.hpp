#pragma once

#include <string>

namespace hello {

// "ADDRESS:PORT" of a connected socket's peer ("[ADDRESS]:PORT" for IPv6);
// "unknown" when it cannot be had. For debug logs: a system call each.
[[nodiscard]] std::string peer_address(int fd);

}  // namespace hello
