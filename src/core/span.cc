// SPDX-License-Identifier: Apache-2.0
#include "tracekit/span.h"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>
#include <vector>

#include "provider_state.h"
#include "span_record.h"
#include "tracekit/semconv.h"

namespace tracekit {
namespace detail {

namespace {
// Runs `fn` on the record unless the span has ended; under the span's lock unless the caller
// holds every reference to it.
template <class Fn>
void with_live_record(SpanData* s, Access access, Fn&& fn) noexcept {
  SpanRecord* r = SpanRecord::from(s);
  if (access == Access::kExclusive) {
    if (!r->ended()) fn(*r);
    return;
  }
  r->lock();
  if (!r->ended()) fn(*r);
  r->unlock();
}
}  // namespace

void span_set_attribute(SpanData* s, Access a, std::string_view key,
                        const AttributeValue& v) noexcept {
  with_live_record(s, a, [&](SpanRecord& r) { r.set_attribute(key, v); });
}

void span_set_attributes(SpanData* s, Access a, std::span<const KeyValue> kvs) noexcept {
  with_live_record(s, a, [&](SpanRecord& r) { r.set_attributes(kvs); });
}

void span_add_event(SpanData* s, Access a, std::string_view name, uint64_t time_ns,
                    std::span<const KeyValue> attributes) noexcept {
  if (time_ns == 0) time_ns = clock::now_ns();
  with_live_record(s, a, [&](SpanRecord& r) { r.add_event(name, time_ns, attributes); });
}

void span_add_link(SpanData* s, Access a, const SpanContext& ctx,
                   std::span<const KeyValue> attributes) noexcept {
  with_live_record(s, a, [&](SpanRecord& r) { r.add_link(ctx, attributes); });
}

void span_set_status(SpanData* s, Access a, StatusCode code,
                     std::string_view description) noexcept {
  with_live_record(s, a, [&](SpanRecord& r) { r.set_status(code, description); });
}

void span_update_name(SpanData* s, Access a, std::string_view name) noexcept {
  with_live_record(s, a, [&](SpanRecord& r) { r.set_name(name); });
}

void span_record_exception(SpanData* s, Access a, std::string_view type, std::string_view message,
                           std::span<const KeyValue> attributes) noexcept {
  KeyValue fixed[2] = {{semconv::exception::kType, type}, {semconv::exception::kMessage, message}};
  if (attributes.empty()) {
    span_add_event(s, a, semconv::exception::kEventName, 0, fixed);
    return;
  }
  try {
    std::vector<KeyValue> all(fixed, fixed + 2);
    all.insert(all.end(), attributes.begin(), attributes.end());
    span_add_event(s, a, semconv::exception::kEventName, 0, all);
  } catch (...) {
    span_add_event(s, a, semconv::exception::kEventName, 0, fixed);
  }
}

bool span_is_recording(const SpanData* s, Access a) noexcept {
  bool live = false;
  with_live_record(const_cast<SpanData*>(s), a, [&](SpanRecord&) { live = true; });
  return live;
}

void span_end(SpanData* s, Access a, uint64_t end_ns, bool transfer) noexcept {
  SpanRecord* r = SpanRecord::from(s);
  if (end_ns == 0) end_ns = clock::now_ns();
  bool ended_now = false;
  with_live_record(s, a, [&](SpanRecord& live) {
    live.finish(end_ns);
    ended_now = true;
  });
  if (!ended_now) {
    if (transfer) r->release();
    return;
  }
  if (!transfer) r->add_ref();
  r->state()->on_end(r);
}

std::string exception_type_name(const std::exception& e) {
  const char* name = typeid(e).name();
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = (status == 0 && out) ? out : name;
  std::free(out);
  return result;
}

}  // namespace detail

void SpanRef::record_exception_impl(detail::Access a, const std::exception& e,
                                    AttributeList attributes) const noexcept {
  try {
    detail::span_record_exception(rec_.get(), a, detail::exception_type_name(e), e.what(),
                                  attributes.items());
  } catch (...) {
    detail::span_record_exception(rec_.get(), a, "std::exception", e.what(), attributes.items());
  }
}

}  // namespace tracekit
