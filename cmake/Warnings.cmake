# Warnings on for our own targets only (GDAL's headers are included as SYSTEM by the imported target).
function(fastaaigrid_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wconversion -Wno-sign-conversion>
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual>)
  if(FASTAAIGRID_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
option(FASTAAIGRID_WERROR "Treat warnings as errors" OFF)
