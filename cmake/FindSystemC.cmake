# Finds Debian's SystemC through pkg-config and exposes the imported target SystemC::SystemC.
# Debian builds SystemC 2.3.4 as C++17, so consumers must compile as C++17 as well
# (the library exports sc_api_version_2_3_4_cxx201703L).
find_package(PkgConfig REQUIRED)
pkg_check_modules(PC_SYSTEMC QUIET systemc)

find_path(SystemC_INCLUDE_DIR systemc HINTS ${PC_SYSTEMC_INCLUDE_DIRS})
find_library(SystemC_LIBRARY systemc HINTS ${PC_SYSTEMC_LIBRARY_DIRS})
set(SystemC_VERSION ${PC_SYSTEMC_VERSION})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SystemC
  REQUIRED_VARS SystemC_LIBRARY SystemC_INCLUDE_DIR
  VERSION_VAR SystemC_VERSION)

if(SystemC_FOUND AND NOT TARGET SystemC::SystemC)
  add_library(SystemC::SystemC UNKNOWN IMPORTED)
  set_target_properties(SystemC::SystemC PROPERTIES
    IMPORTED_LOCATION "${SystemC_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SystemC_INCLUDE_DIR}")
endif()
mark_as_advanced(SystemC_INCLUDE_DIR SystemC_LIBRARY)
