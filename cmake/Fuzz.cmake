# -DFASTAAIGRID_FUZZ=ON (with clang: CC=clang CXX=clang++) builds the libFuzzer harnesses of
# fuzz/. Everything is compiled with -fsanitize=fuzzer-no-link,address,undefined (coverage
# instrumentation plus ASan and UBSan, UB fatal); the harness executables alone link libFuzzer's
# main. Run them with fuzz/run.sh.
# FASTAAIGRID_FUZZ_SANITIZERS="" builds coverage instrumentation alone, several times faster:
# for long campaigns, whose corpus is then replayed through the sanitizer build (the commands:
# README, "How this is checked"; doc/HACKING.md).
option(FASTAAIGRID_FUZZ "Build the libFuzzer harnesses in fuzz/ (clang only)" OFF)
if(FASTAAIGRID_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FASTAAIGRID_FUZZ needs clang: configure with CC=clang CXX=clang++")
  endif()
  if(FASTAAIGRID_SANITIZE OR FASTAAIGRID_TSAN)
    message(FATAL_ERROR "FASTAAIGRID_FUZZ brings its own sanitizers: turn FASTAAIGRID_SANITIZE and FASTAAIGRID_TSAN off")
  endif()
  set(FASTAAIGRID_FUZZ_SANITIZERS "address,undefined" CACHE STRING
      "Sanitizers of the fuzz build, comma-separated; empty for coverage alone")
  add_compile_options(-fsanitize=fuzzer-no-link -fno-omit-frame-pointer -g)
  if(FASTAAIGRID_FUZZ_SANITIZERS)
    add_compile_options(-fsanitize=${FASTAAIGRID_FUZZ_SANITIZERS} -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${FASTAAIGRID_FUZZ_SANITIZERS})
  endif()
endif()
