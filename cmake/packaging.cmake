# `cpack -G DEB` in a build directory: two Debian packages,
#   libtracekit-dev  headers, libraries, CMake package and pkg-config files (install component
#                    `library`), depending on the -dev packages of the components' dependencies
#                    (from the tracekit_dependency() declarations, see install.cmake);
#   tracekit-apps    tracekit-collector, skriptoteket-web and skriptoteket-runner (component `apps`).
# Both install with `apt install ./<file>.deb`.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libtracekit-dev
        RENAME copyright COMPONENT library)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/tracekit-apps
        RENAME copyright COMPONENT apps)

set(CPACK_PACKAGE_NAME tracekit)
set(CPACK_PACKAGE_VENDOR "tracekit")
set(CPACK_PACKAGE_CONTACT "tracekit maintainers <tracekit@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Distributed tracing for C++20, compatible with OpenTelemetry")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL library apps)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)

set(CPACK_DEBIAN_LIBRARY_PACKAGE_NAME libtracekit-dev)
set(CPACK_DEBIAN_LIBRARY_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_LIBRARY_DESCRIPTION
    "tracekit: headers, libraries, CMake package (find_package(tracekit)) and pkg-config files")
list(JOIN TRACEKIT_DEBIAN_LIBRARY_DEPENDS ", " CPACK_DEBIAN_LIBRARY_PACKAGE_DEPENDS)
string(PREPEND CPACK_DEBIAN_LIBRARY_PACKAGE_DEPENDS "g++ (>= 4:12), ")

set(CPACK_DEBIAN_APPS_PACKAGE_NAME tracekit-apps)
set(CPACK_COMPONENT_APPS_DESCRIPTION
    "tracekit-collector (OTLP receiver, SQLite store, trace viewer) and Skriptoteket, the reference service")
# Shared libraries the binaries use, as dpkg-shlibdeps finds them; bubblewrap runs the scripts.
set(CPACK_DEBIAN_APPS_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_APPS_PACKAGE_DEPENDS "bubblewrap")

include(CPack)
