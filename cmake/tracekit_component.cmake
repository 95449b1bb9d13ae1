# The installable parts of tracekit. Each library is a *component* that a user asks for with
#   find_package(tracekit CONFIG REQUIRED COMPONENTS core http)
# or, outside CMake, with `pkg-config --cflags --libs tracekit-core tracekit-http`. One call
# declares a component, next to its add_library():
#
#   tracekit_component(<name> <target> [PUBLIC <dependency>...] [PRIVATE <dependency>...]
#                      [DESCRIPTION "<one line>"])
#
# e.g. tracekit_component(grpc tracekit_grpc PUBLIC gRPC DESCRIPTION "gRPC interceptors").
# <dependency> names a third-party package declared with tracekit_dependency() below (PUBLIC:
# its headers appear in ours; PRIVATE: only our .cc files use it, so users need it only to link
# a static library). The tracekit components a component uses are found by themselves from its
# target_link_libraries(). The call gives the target its exported name (tracekit::<name>), its
# library name (libtracekit_<name>), our warning flags (compile-time only, never exported),
# SONAME and version, and the symbol list of shared builds (cmake/tracekit.map); it adds the
# component to tracekit::tracekit. install.cmake turns the declarations into the package's CMake
# files, one .pc file per component and the Debian package's dependencies.

# -Wall -Wextra -Werror for our own code: a list of flags, so that an exported library can take
# them as private compile options (linking an INTERFACE target would leave an empty
# $<LINK_ONLY:> in the exported link interface of a static library).
set(TRACEKIT_WARNING_FLAGS -Wall -Wextra -Werror -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 at -O3 reports impossible overlaps in std::string's inlined operator+ (GCC bug
  # 105329, fixed in 13); the warning is about libstdc++ code, not ours.
  list(APPEND TRACEKIT_WARNING_FLAGS -Wno-restrict)
endif()
# For the apps, tests and examples (never installed).
add_library(tracekit_warnings INTERFACE)
target_compile_options(tracekit_warnings INTERFACE ${TRACEKIT_WARNING_FLAGS})

# 0.x: every minor version may change the ABI, so the SONAME carries it (libtracekit_core.so.0.1).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(TRACEKIT_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
else()
  set(TRACEKIT_SOVERSION ${PROJECT_VERSION_MAJOR})
endif()

# tracekit::tracekit in this build: every component (the installed package defines its own).
add_library(tracekit_all INTERFACE)
add_library(tracekit::tracekit ALIAS tracekit_all)
# `cmake --build <dir> --target tracekit_libraries` builds the installable libraries only.
add_custom_target(tracekit_libraries)

# tracekit_dependency(<name> FIND "<find_package arguments>" [PKG_CONFIG "<modules>"]
#                     [LIBS "<linker flags>"] [DEBIAN "<package>"])
# A third-party package a component may need: how CMake finds it, its pkg-config module(s) (or
# the flags to write when it has none) and the Debian package that installs its headers.
function(tracekit_dependency name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "FIND;PKG_CONFIG;LIBS;DEBIAN" "")
  if(NOT arg_FIND)
    message(FATAL_ERROR "tracekit_dependency(${name}): FIND is required")
  endif()
  set_property(GLOBAL PROPERTY TRACEKIT_DEPENDENCY_${name}_DECLARED TRUE)
  foreach(_field FIND PKG_CONFIG LIBS DEBIAN)
    set_property(GLOBAL PROPERTY TRACEKIT_DEPENDENCY_${name}_${_field} "${arg_${_field}}")
  endforeach()
endfunction()

tracekit_dependency(Threads FIND "Threads" LIBS "-pthread" DEBIAN "libc6-dev")
tracekit_dependency(Boost FIND "Boost 1.81 CONFIG" DEBIAN "libboost1.81-dev")  # headers only
tracekit_dependency(OpenSSL FIND "OpenSSL" PKG_CONFIG "openssl" DEBIAN "libssl-dev")
tracekit_dependency(spdlog FIND "spdlog" PKG_CONFIG "spdlog" DEBIAN "libspdlog-dev")
tracekit_dependency(Protobuf FIND "Protobuf" PKG_CONFIG "protobuf" DEBIAN "libprotobuf-dev")
tracekit_dependency(gRPC FIND "gRPC CONFIG" PKG_CONFIG "grpc++" DEBIAN "libgrpc++-dev")
tracekit_dependency(CURL FIND "CURL" PKG_CONFIG "libcurl" DEBIAN "libcurl4-openssl-dev")
tracekit_dependency(ZLIB FIND "ZLIB" PKG_CONFIG "zlib" DEBIAN "zlib1g-dev")

function(tracekit_component name target)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "DESCRIPTION" "PUBLIC;PRIVATE")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tracekit_component(${name}): unexpected '${arg_UNPARSED_ARGUMENTS}'")
  endif()
  if(NOT name MATCHES "^[a-z][a-z0-9_]*$" OR name STREQUAL "tracekit")
    message(FATAL_ERROR "tracekit_component: '${name}' is not a usable component name")
  endif()
  foreach(_dep IN LISTS arg_PUBLIC arg_PRIVATE)
    get_property(_declared GLOBAL PROPERTY TRACEKIT_DEPENDENCY_${_dep}_DECLARED)
    if(NOT _declared)
      message(FATAL_ERROR "tracekit_component(${name}): '${_dep}' is not declared; add "
                          "tracekit_dependency(${_dep} FIND ...) in cmake/tracekit_component.cmake")
    endif()
  endforeach()
  if(NOT arg_DESCRIPTION)
    set(arg_DESCRIPTION "tracekit ${name} component")
  endif()
  set_property(GLOBAL APPEND PROPERTY TRACEKIT_COMPONENTS ${name})
  set_property(GLOBAL PROPERTY TRACEKIT_COMPONENT_${name}_TARGET ${target})
  set_property(GLOBAL PROPERTY TRACEKIT_COMPONENT_${name}_PUBLIC "${arg_PUBLIC}")
  set_property(GLOBAL PROPERTY TRACEKIT_COMPONENT_${name}_PRIVATE "${arg_PRIVATE}")
  set_property(GLOBAL PROPERTY TRACEKIT_COMPONENT_${name}_DESCRIPTION "${arg_DESCRIPTION}")

  add_library(tracekit::${name} ALIAS ${target})
  # DEFINE_SYMBOL "": no <target>_EXPORTS macro in shared builds, so static and shared builds
  # compile with the same command lines (ccache serves both).
  set_target_properties(${target} PROPERTIES
    EXPORT_NAME ${name}
    OUTPUT_NAME tracekit_${name}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${TRACEKIT_SOVERSION}
    # A shared component finds the components it needs beside itself, wherever installed.
    INSTALL_RPATH "$ORIGIN"
    DEFINE_SYMBOL "")
  target_compile_options(${target} PRIVATE ${TRACEKIT_WARNING_FLAGS})
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "SHARED_LIBRARY" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    # Only tracekit's own symbols (and Boost's, whose types our public headers use) are
    # exported; see docs/decisions.md, "Symbol visibility of the shared libraries".
    target_link_options(${target} PRIVATE
      "LINKER:--version-script=${PROJECT_SOURCE_DIR}/cmake/tracekit.map" "LINKER:--no-undefined")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/tracekit.map)
  endif()
  target_link_libraries(tracekit_all INTERFACE ${target})
  add_dependencies(tracekit_libraries ${target})
endfunction()
