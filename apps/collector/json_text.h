// SPDX-License-Identifier: Apache-2.0
// Appending JSON text by hand: the collector writes a lot of small JSON values on the ingest path,
// where building a DOM first would cost more than the strings themselves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tracekit::collector {

// Appends `text` as a JSON string literal, quotes included (the core's escaper: control
// characters escaped, invalid UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view text);

// Appends an int64 as a JSON string ("123"): OTLP/JSON's rule for 64-bit integers, which
// JavaScript numbers cannot hold exactly.
void append_json_int_string(std::string& out, int64_t value);

// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

// Raw bytes of a hex string of exactly `bytes` bytes (either case); false when it is not that.
bool from_hex(std::string_view hex, size_t bytes, std::string& out);

std::string base64_encode(std::string_view bytes);

}  // namespace tracekit::collector
