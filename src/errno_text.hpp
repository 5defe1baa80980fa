#pragma once

#include <string>
#include <system_error>

namespace hello {

// strerror() is not thread-safe; this is.
[[nodiscard]] inline std::string errno_text(int error) { return std::generic_category().message(error); }

}  // namespace hello
