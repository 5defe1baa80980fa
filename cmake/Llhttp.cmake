# llhttp (Node.js's HTTP parser) is shipped by Debian as C sources in
# node-llhttp; it is compiled here as part of the build, never vendored.
find_path(LLHTTP_INCLUDE_DIR llhttp.h
  PATHS /usr/share/include/llhttp /usr/include/llhttp /usr/include
  DOC "Directory containing llhttp.h")
find_path(LLHTTP_SOURCE_DIR llhttp.c
  PATHS /usr/share/llhttp
  DOC "Directory containing llhttp.c, api.c and http.c")
if(NOT LLHTTP_INCLUDE_DIR OR NOT LLHTTP_SOURCE_DIR)
  message(FATAL_ERROR
    "llhttp sources not found. On Debian/Ubuntu: apt-get install node-llhttp "
    "(or run scripts/install-packages build).")
endif()

add_library(llhttp STATIC
  ${LLHTTP_SOURCE_DIR}/llhttp.c
  ${LLHTTP_SOURCE_DIR}/api.c
  ${LLHTTP_SOURCE_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
set_target_properties(llhttp PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
target_compile_options(llhttp PRIVATE -w)
