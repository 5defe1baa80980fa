if(HELLO_SANITIZERS)
  add_compile_options(-fsanitize=${HELLO_SANITIZERS} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${HELLO_SANITIZERS})
endif()
