# SPDX-License-Identifier: Apache-2.0
# Writes OUTPUT: a C++ file with every file of FILES (in WEB_DIR) as a byte array, and a table
# web_assets() looks them up in. Run by the build (cmake -P), no tool beyond CMake needed.
set(_body "// Generated from apps/collector/web by embed_web.cmake; do not edit.\n#include \"web_assets.h\"\n\nnamespace tracekit::collector {\nnamespace {\n")
set(_table "")
set(_i 0)
foreach(_f ${FILES})
  file(READ ${WEB_DIR}/${_f} _hex HEX)
  string(LENGTH "${_hex}" _len)
  math(EXPR _size "${_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
  string(APPEND _body "const unsigned char kFile${_i}[] = {${_bytes}0};\n")
  string(APPEND _table "    {\"/${_f}\", std::string_view(reinterpret_cast<const char*>(kFile${_i}), ${_size})},\n")
  math(EXPR _i "${_i} + 1")
endforeach()
string(APPEND _body "}  // namespace\n\nstd::span<const EmbeddedFile> embedded_web_files() {\n  static const EmbeddedFile kFiles[] = {\n${_table}  };\n  return kFiles;\n}\n\n}  // namespace tracekit::collector\n")
file(WRITE ${OUTPUT}.tmp "${_body}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
