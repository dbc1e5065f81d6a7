# GDAL only loads plugins named gdal_<Name>.so (no "lib" prefix) and calls GDALRegister_<Name>.
# An unresolved symbol in a plugin makes every GDAL process fail at start-up, hence --no-undefined.
function(fastaaigrid_add_gdal_plugin target name)
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "gdal_${name}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
  # Only the entry point is exported: the core is a static library, keep its symbols local.
  # Both flags are GNU ld's (and lld's, gold's); other linkers get neither.
  if(FASTAAIGRID_GNU_LD_FLAGS)
    target_link_options(${target} PRIVATE -Wl,--no-undefined -Wl,--exclude-libs,ALL)
  endif()
  # The core's thread pool is process-wide: its workers run the plugin's code until the
  # process exits, so the plugin must never be unloaded (GDALDestroy, dlclose).
  if(FASTAAIGRID_NODELETE_FLAG)
    target_link_options(${target} PRIVATE -Wl,-z,nodelete)
  endif()
endfunction()

include(CheckLinkerFlag)
check_linker_flag(CXX "-Wl,--no-undefined,--exclude-libs,ALL" FASTAAIGRID_GNU_LD_FLAGS)
check_linker_flag(CXX "-Wl,-z,nodelete" FASTAAIGRID_NODELETE_FLAG)

# Where `cmake --install` puts the plugin: GDAL's default plugin folder on Debian
# (/usr/lib/<multiarch>/gdalplugins). Override with -DFASTAAIGRID_PLUGIN_INSTALL_DIR=...
if(NOT FASTAAIGRID_PLUGIN_INSTALL_DIR)
  if(CMAKE_LIBRARY_ARCHITECTURE)
    set(_dir "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/gdalplugins")
  else()
    set(_dir "${CMAKE_INSTALL_PREFIX}/lib/gdalplugins")
  endif()
  set(FASTAAIGRID_PLUGIN_INSTALL_DIR "${_dir}" CACHE PATH "Folder GDAL loads plugins from")
endif()
