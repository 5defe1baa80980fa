# The revision comes from -DHELLO_REVISION (the image build passes it) or,
# in a git checkout, from HEAD. No timestamps: two builds of one commit must
# produce the same bytes.
if(NOT HELLO_REVISION)
  execute_process(
    COMMAND git rev-parse HEAD
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    OUTPUT_VARIABLE HELLO_GIT_REVISION
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET
    RESULT_VARIABLE HELLO_GIT_RESULT)
  if(HELLO_GIT_RESULT EQUAL 0 AND HELLO_GIT_REVISION)
    set(HELLO_RESOLVED_REVISION ${HELLO_GIT_REVISION})
  else()
    set(HELLO_RESOLVED_REVISION "unknown")
  endif()
else()
  set(HELLO_RESOLVED_REVISION ${HELLO_REVISION})
endif()
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/src/build_info.hpp.in
  ${CMAKE_CURRENT_BINARY_DIR}/generated/build_info.hpp @ONLY)
