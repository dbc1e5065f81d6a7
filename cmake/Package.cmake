# The Debian package (CPack's DEB generator): `packaging/build-deb.sh` runs it and lintian.
#
#   /usr/lib/<multiarch>/gdalplugins/gdal_FastAAIGrid.so   the plugin, where GDAL looks
#   /usr/bin/fastaaigrid-convert + the Python package        the tile converter
#   /usr/share/doc/fastaaigrid/                              README, driver page, changelog, copyright
#   /usr/share/man/man1/fastaaigrid-convert.1.gz
#
# A plugin only loads into the GDAL major.minor it was built against, so the package depends
# on the runtime package that owns the libgdal it linked (libgdal32 for 3.6, libgdal36 for
# 3.10, ...), restricted to that major.minor. dpkg-shlibdeps adds libc and libstdc++.

set(_docdir share/doc/fastaaigrid)
set(_pkgdir ${PROJECT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_pkgdir})
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/packaging/changelog
             ${PROJECT_SOURCE_DIR}/doc/fastaaigrid-convert.1)

# copyright (Debian's machine-readable format): the Expat text of LICENSE, indented.
file(STRINGS ${PROJECT_SOURCE_DIR}/LICENSE _license)
set(FASTAAIGRID_LICENSE_TEXT "")
set(_started OFF)
foreach(_line IN LISTS _license)
  if(_line MATCHES "^Permission is hereby granted")
    set(_started ON)
  endif()
  if(_started)
    if(_line STREQUAL "")
      set(_line ".")
    endif()
    string(APPEND FASTAAIGRID_LICENSE_TEXT " ${_line}\n")
  endif()
endforeach()
string(STRIP "${FASTAAIGRID_LICENSE_TEXT}" FASTAAIGRID_LICENSE_TEXT)
set(FASTAAIGRID_LICENSE_TEXT " ${FASTAAIGRID_LICENSE_TEXT}")
configure_file(${PROJECT_SOURCE_DIR}/packaging/copyright.in ${_pkgdir}/copyright @ONLY)

# Compressed the way Debian wants them: gzip -9n (no name or time stamp: reproducible).
foreach(_pair "packaging/changelog:changelog.gz" "doc/fastaaigrid-convert.1:fastaaigrid-convert.1.gz")
  string(REPLACE ":" ";" _pair "${_pair}")
  list(GET _pair 0 _src)
  list(GET _pair 1 _dst)
  execute_process(COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/${_src}
                  OUTPUT_FILE ${_pkgdir}/${_dst} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "gzip ${_src} failed")
  endif()
endforeach()

install(FILES README.md doc/drivers/raster/fastaaigrid.rst
        ${_pkgdir}/copyright ${_pkgdir}/changelog.gz
        DESTINATION ${_docdir})
# python/README.md and README.md share a name: install the converter's under its own.
install(FILES python/README.md DESTINATION ${_docdir} RENAME README.convert.md)
install(FILES ${_pkgdir}/fastaaigrid-convert.1.gz DESTINATION share/man/man1)

# The Debian package that owns the libgdal this build links: the GDAL runtime to depend on.
function(fastaaigrid_gdal_runtime_package out)
  set(${out} "" PARENT_SCOPE)
  get_target_property(_lib GDAL::GDAL IMPORTED_LOCATION_RELEASE)
  if(NOT _lib)
    get_target_property(_lib GDAL::GDAL IMPORTED_LOCATION_NONE)
  endif()
  if(NOT _lib)
    get_target_property(_lib GDAL::GDAL IMPORTED_LOCATION)
  endif()
  find_program(_dpkg_query dpkg-query)
  if(NOT _lib OR NOT _dpkg_query)
    return()
  endif()
  get_filename_component(_real "${_lib}" REALPATH)
  execute_process(COMMAND ${_dpkg_query} -S "${_real}" OUTPUT_VARIABLE _owner
                  RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0 AND _owner MATCHES "^([^:, ]+)")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  endif()
endfunction()

fastaaigrid_gdal_runtime_package(_gdal_pkg)
set(_gdal_mm "${GDAL_VERSION_MAJOR}.${GDAL_VERSION_MINOR}")
math(EXPR _gdal_next_minor "${GDAL_VERSION_MINOR} + 1")
set(_gdal_next "${GDAL_VERSION_MAJOR}.${_gdal_next_minor}")
if(_gdal_pkg)
  set(_gdal_depends "${_gdal_pkg} (>= ${_gdal_mm}), ${_gdal_pkg} (<< ${_gdal_next}~)")
else()
  message(STATUS "FastAAIGrid: no Debian package owns libgdal; the .deb will not name its GDAL")
  set(_gdal_depends "")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fastaaigrid)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "FastAAIGrid maintainers <maintainers@users.noreply.r-seed-42acac60.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_gdal_depends}")
if(_gdal_depends)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", ")
endif()
string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS "python3, python3-gdal")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-distributed")
set(CPACK_DEBIAN_PACKAGE_ENHANCES "gdal-bin, python3-gdal, qgis")
# postinst/prerm byte-compile and clean the Python package, as dh_python3's do.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/prerm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "fast ESRI ASCII Grid driver plugin for GDAL")
set(CPACK_PACKAGE_DESCRIPTION
"FastAAIGrid reads and writes ESRI ASCII Grid (.asc) files through a fast,
multi-threaded C parser. Installed, GDAL asks it before its built-in AAIGrid
driver, so gdalinfo, gdal_translate, QGIS, rasterio, rioxarray and R's terra
read ASCII grids through it with the same results, much faster.
.
The package also holds fastaaigrid-convert, which turns folders and zip files
of .asc tiles into Cloud-Optimized GeoTIFFs and a mosaic, locally or on a Dask
cluster.")
include(CPack)
