# -DFASTAAIGRID_SANITIZE=ON builds everything with AddressSanitizer + UndefinedBehaviorSanitizer.
# The plugin is then loaded into processes that are not instrumented (python3, gdalinfo), so the
# test runner preloads libasan (see autotest/run-tests.sh).
option(FASTAAIGRID_SANITIZE "Build with ASan + UBSan" OFF)
if(FASTAAIGRID_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
