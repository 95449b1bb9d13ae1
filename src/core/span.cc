#include "tracekit/span.h"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>
#include <vector>

#include "provider_state.h"
#include "span_record.h"

namespace tracekit {
namespace detail {

namespace {
// Runs `fn` on the record under its lock, unless the span has ended.
template <class Fn>
void with_live_record(SpanData* s, Fn&& fn) noexcept {
  SpanRecord* r = SpanRecord::from(s);
  r->lock();
  if (!r->ended()) fn(*r);
  r->unlock();
}
}  // namespace

void span_set_attribute(SpanData* s, std::string_view key, const AttributeValue& v) noexcept {
  with_live_record(s, [&](SpanRecord& r) { r.set_attribute(key, v); });
}

void span_set_attributes(SpanData* s, std::span<const KeyValue> kvs) noexcept {
  with_live_record(s, [&](SpanRecord& r) {
    for (const auto& kv : kvs)
      r.set_attribute(kv.key, kv.value);
  });
}

void span_add_event(SpanData* s, std::string_view name, uint64_t time_ns,
                    std::span<const KeyValue> attributes) noexcept {
  if (time_ns == 0) time_ns = clock::now_ns();
  with_live_record(s, [&](SpanRecord& r) { r.add_event(name, time_ns, attributes); });
}

void span_add_link(SpanData* s, const SpanContext& ctx,
                   std::span<const KeyValue> attributes) noexcept {
  with_live_record(s, [&](SpanRecord& r) { r.add_link(ctx, attributes); });
}

void span_set_status(SpanData* s, StatusCode code, std::string_view description) noexcept {
  with_live_record(s, [&](SpanRecord& r) { r.set_status(code, description); });
}

void span_update_name(SpanData* s, std::string_view name) noexcept {
  with_live_record(s, [&](SpanRecord& r) { r.set_name(name); });
}

bool span_is_recording(const SpanData* s) noexcept {
  SpanRecord* r = const_cast<SpanRecord*>(SpanRecord::from(s));
  r->lock();
  bool live = !r->ended();
  r->unlock();
  return live;
}

void span_end(SpanData* s, uint64_t end_ns, bool transfer) noexcept {
  SpanRecord* r = SpanRecord::from(s);
  if (end_ns == 0) end_ns = clock::now_ns();
  r->lock();
  if (r->ended()) {
    r->unlock();
    if (transfer) r->release();
    return;
  }
  r->finish(end_ns);
  r->unlock();
  if (!transfer) r->add_ref();
  r->state()->on_end(r);
}

}  // namespace detail

namespace {
std::string demangle(const char* name) {
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = (status == 0 && out) ? out : name;
  std::free(out);
  return result;
}
}  // namespace

const SpanRef& SpanRef::record_exception(const std::exception& e,
                                         AttributeList attributes) const noexcept {
  if (!rec_) return *this;
  try {
    return record_exception(demangle(typeid(e).name()), e.what(), attributes);
  } catch (...) {
    return record_exception("std::exception", e.what(), attributes);
  }
}

const SpanRef& SpanRef::record_exception(std::string_view type, std::string_view message,
                                         AttributeList attributes) const noexcept {
  if (!rec_) return *this;
  KeyValue fixed[2] = {{"exception.type", type}, {"exception.message", message}};
  auto extra = attributes.items();
  if (extra.empty()) {
    detail::span_add_event(rec_.get(), "exception", 0, fixed);
    return *this;
  }
  try {
    std::vector<KeyValue> all(fixed, fixed + 2);
    all.insert(all.end(), extra.begin(), extra.end());
    detail::span_add_event(rec_.get(), "exception", 0, all);
  } catch (...) {
    detail::span_add_event(rec_.get(), "exception", 0, fixed);
  }
  return *this;
}

}  // namespace tracekit
