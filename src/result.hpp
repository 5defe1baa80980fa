#pragma once

#include <string>
#include <variant>

namespace hello {

// The start-up convention: a function that can fail while the server starts
// returns Result<T>, the value or a message saying what failed and why
// (errno_text included), which the caller logs once before exiting 1. No
// exception crosses a start-up function; a constructor that acquires system
// resources throws std::system_error, and its factory turns that into a
// Result. Configuration errors are ConfigResult (exit 2, message on stderr).
template <class T>
using Result = std::variant<T, std::string>;

}  // namespace hello
