#pragma once

#include <cstring>
#include <string>

namespace hello {

// strerror() is not thread-safe; glibc's strerrordesc_np() is, and needs
// neither a buffer nor a virtual call (std::generic_category().message()),
// which matters where it is used: after accept() failed for lack of
// descriptors, when a sanitizer's checks of a virtual call (which open a
// pipe) cannot run either.
[[nodiscard]] inline std::string errno_text(int error) {
  const char* text = strerrordesc_np(error);
  return text != nullptr ? std::string{text} : "error " + std::to_string(error);
}

}  // namespace hello
