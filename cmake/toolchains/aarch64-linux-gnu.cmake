# Cross-compiling for arm64 (aarch64) with Debian's toolchain:
#   apt-get install g++-aarch64-linux-gnu            (compiler, C and C++ runtimes)
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install libgtest-dev:arm64 libgmock-dev:arm64   (only for the tests)
#   apt-get install qemu-user-static (or qemu-user)  (only to run the tests)
# Used by the release-aarch64 preset and by the Dockerfile when TARGETARCH=arm64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Debian's multiarch layout: arm64 -dev packages (GoogleTest) live in
# /usr/lib/aarch64-linux-gnu; arch-independent ones (llhttp's C sources in
# /usr/share/llhttp) stay where they are, so no find root is set.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# The tests run under qemu-user, named explicitly, so no binfmt registration
# is needed (a container build cannot register one). The integration tests
# start the server themselves: cmake/toolchains/qemu-aarch64-server does that
# under the same emulator (the release-aarch64 test preset sets it up).
# The test programs are linked dynamically (only hello-server is static): -L
# points qemu at the cross toolchain's aarch64 loader and shared libraries.
find_program(HELLO_CROSS_EMULATOR NAMES qemu-aarch64-static qemu-aarch64 DOC "Runs aarch64 test programs on the build machine")
set(HELLO_CROSS_LIBRARIES "/usr/aarch64-linux-gnu" CACHE PATH "The aarch64 loader and shared libraries for the emulator")
if(HELLO_CROSS_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${HELLO_CROSS_EMULATOR} -L ${HELLO_CROSS_LIBRARIES})
endif()
# Test discovery at ctest time, not at build time: building needs no emulator.
set(CMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE PRE_TEST)
