# find_package(tracekit) support: headers, libraries and an exported target set.
include(CMakePackageConfigHelpers)

set(_tracekit_targets tracekit_core tracekit_setup)
foreach(_t tracekit_otlp tracekit_http tracekit_log tracekit_grpc tracekit_curl)
  if(TARGET ${_t})
    list(APPEND _tracekit_targets ${_t})
  endif()
endforeach()

if(TARGET tracekit_otlp)
  set(TRACEKIT_HAS_OTLP ON)
else()
  set(TRACEKIT_HAS_OTLP OFF)
endif()

install(TARGETS ${_tracekit_targets} tracekit_warnings EXPORT tracekitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tracekit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/include/tracekit/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tracekit)
install(EXPORT tracekitTargets NAMESPACE tracekit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tracekit)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tracekitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tracekitConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tracekit)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tracekitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tracekitConfig.cmake ${PROJECT_BINARY_DIR}/tracekitConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tracekit)
