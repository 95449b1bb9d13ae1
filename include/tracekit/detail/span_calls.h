// SPDX-License-Identifier: Apache-2.0
// Not API: the out-of-line bodies of Span's and SpanRef's calls (src/core/span.cc). The handles'
// inline methods check for a record first, so a call on a span that does not record costs no
// function call; these declarations are what those methods call when it does.
#pragma once

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>

#include "tracekit/attributes.h"
#include "tracekit/span_context.h"
#include "tracekit/span_data.h"

namespace tracekit::detail {

// How a call reaches a span: kShared takes the span's lock; kExclusive skips it, for a Span handle
// that holds every reference to its record (nobody else can reach it concurrently).
enum class Access : uint8_t { kShared, kExclusive };

// Out-of-line bodies of the span operations (src/core/span.cc).
void span_set_attribute(SpanData* s, Access a, std::string_view key,
                        const AttributeValue& v) noexcept;
void span_set_attributes(SpanData* s, Access a, std::span<const KeyValue> kvs) noexcept;
void span_add_event(SpanData* s, Access a, std::string_view name, uint64_t time_ns,
                    std::span<const KeyValue> attributes) noexcept;
void span_add_link(SpanData* s, Access a, const SpanContext& ctx,
                   std::span<const KeyValue> attributes) noexcept;
void span_set_status(SpanData* s, Access a, StatusCode code, std::string_view description) noexcept;
void span_update_name(SpanData* s, Access a, std::string_view name) noexcept;
void span_record_exception(SpanData* s, Access a, std::string_view type, std::string_view message,
                           std::span<const KeyValue> attributes) noexcept;
std::string exception_type_name(const std::exception& e);
bool span_is_recording(const SpanData* s, Access a) noexcept;
// Ends the span; `transfer` hands the caller's reference to the processors.
void span_end(SpanData* s, Access a, uint64_t end_ns, bool transfer) noexcept;

}  // namespace tracekit::detail
