# -DFASTAAIGRID_TSAN=ON builds everything with ThreadSanitizer (gcc or clang): the core's
# thread pool and parallel reader under the unit tests (fuzz/tsan.sh). The plugin built this way
# only loads into a process that has libtsan first (LD_PRELOAD), see fuzz/tsan.sh.
option(FASTAAIGRID_TSAN "Build with ThreadSanitizer" OFF)
if(FASTAAIGRID_TSAN)
  if(FASTAAIGRID_SANITIZE)
    message(FATAL_ERROR "ThreadSanitizer cannot be combined with FASTAAIGRID_SANITIZE (ASan)")
  endif()
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU" AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    # GCC instruments the ifunc resolver of aaig_scan's target_clones, which the dynamic loader
    # runs before the TSan runtime is initialised: every program segfaults at start-up
    # (measured: GCC 12). Clang builds no clones (see aaig_scan.c).
    message(WARNING "FASTAAIGRID_TSAN with GCC on x86-64: the binaries crash at load in aaig_scan's "
                    "target_clones resolver; use CC=clang CXX=clang++ (fuzz/tsan.sh does)")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=thread)
endif()
