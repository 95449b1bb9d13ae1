// SPDX-License-Identifier: Apache-2.0
// The protobuf wire format of ExportLogsServiceRequest, written straight from log records.
#include <algorithm>
#include <limits>
#include <vector>

#include "proto_encoders.h"
#include "proto_writer.h"
#include "tracekit/otlp/log_exporter.h"

namespace tracekit::otlp {

namespace {

using namespace detail::proto;

// AnyValue fields of a log field value.
void write_field_value(Writer& w, const log::FieldValue& v) {
  using Kind = log::FieldValue::Kind;
  switch (v.kind()) {
    case Kind::kNull:
      return;  // an empty AnyValue
    case Kind::kBool:
      w.byte(tag(2, kVarint));
      w.byte(v.as_bool() ? 1 : 0);
      return;
    case Kind::kInt:
      w.byte(tag(3, kVarint));
      w.varint(static_cast<uint64_t>(v.as_int()));
      return;
    case Kind::kUint:
      if (v.as_uint() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        w.byte(tag(3, kVarint));
        w.varint(v.as_uint());
      } else {  // OTLP integers are signed 64-bit
        w.byte(tag(4, kFixed64));
        w.fixed64(std::bit_cast<uint64_t>(static_cast<double>(v.as_uint())));
      }
      return;
    case Kind::kDouble:
      w.byte(tag(4, kFixed64));
      w.fixed64(std::bit_cast<uint64_t>(v.as_double()));
      return;
    case Kind::kString:
      w.string_always(tag(1, kLen), v.as_string());
      return;
  }
}

void write_record(Writer& w, const log::LogRecord& r) {
  size_t rec = w.begin(tag(2, kLen), kMedium);  // ScopeLogs.log_records = 2
  w.byte(tag(1, kFixed64));
  w.fixed64(r.time_ns());
  w.uint_field(tag(2, kVarint), static_cast<uint64_t>(log::severity_number(r.level())));
  w.string(tag(3, kLen), log::severity_text(r.level()));
  size_t body = w.begin(tag(5, kLen), kMedium);
  w.string_always(tag(1, kLen), r.body());
  w.end(body, kMedium);
  for (const log::Field& f : r.attributes()) {
    const bool long_value =
        f.value.kind() == log::FieldValue::Kind::kString && f.value.as_string().size() > 100;
    const size_t guess = long_value ? kMedium : kSmall;
    size_t kv = w.begin(tag(6, kLen), guess);
    w.string(tag(1, kLen), f.key);
    size_t val = w.begin(tag(2, kLen), guess);
    write_field_value(w, f.value);
    w.end(val, guess);
    w.end(kv, guess);
  }
  if (r.trace_id().is_valid()) {
    w.byte(tag(8, kFixed32));
    w.fixed32(r.flags().bits());  // LogRecord.flags: the W3C trace flags in bits 0-7
    w.bytes(tag(9, kLen), r.trace_id().data(), TraceId::kSize);
    if (r.span_id().is_valid()) w.bytes(tag(10, kLen), r.span_id().data(), SpanId::kSize);
  }
  w.byte(tag(11, kFixed64));  // observed_time_unix_nano
  w.fixed64(r.observed_time_ns());
  w.end(rec, kMedium);
}

void write_logs_request(Writer& w, std::span<const log::LogRecordPtr> records,
                        const Resource& resource) {
  size_t rl = w.begin(tag(1, kLen), kLarge);    // ExportLogsServiceRequest.resource_logs
  size_t res = w.begin(tag(1, kLen), kMedium);  // ResourceLogs.resource
  write_attributes(w, tag(1, kLen), resource.attributes().items());
  w.end(res, kMedium);
  // One scope per logger; a process has few loggers, so a linear scan of the names seen is enough.
  std::vector<std::string_view> scopes;
  for (const auto& r : records) {
    if (std::find(scopes.begin(), scopes.end(), r->logger()) == scopes.end()) {
      scopes.push_back(r->logger());
    }
  }
  for (std::string_view scope : scopes) {
    size_t sl = w.begin(tag(2, kLen), kLarge);  // ResourceLogs.scope_logs
    size_t sc = w.begin(tag(1, kLen), kSmall);  // ScopeLogs.scope
    w.string(tag(1, kLen), scope);
    w.end(sc, kSmall);
    for (const auto& r : records) {
      if (r->logger() == scope) write_record(w, *r);
    }
    w.end(sl, kLarge);
  }
  w.string(tag(3, kLen), resource.schema_url());
  w.end(rl, kLarge);
}

}  // namespace

void encode_logs_request(std::span<const log::LogRecordPtr> records, const Resource& resource,
                         std::string& out) {
  if (records.empty()) return;
  Writer w(out);
  write_logs_request(w, records, resource);
}

namespace detail {
void encode_logs_request(std::span<const log::LogRecordPtr> records, const Resource& resource,
                         ByteBuffer& out) {
  if (records.empty()) return;
  Writer w(out);
  write_logs_request(w, records, resource);
}
}  // namespace detail

}  // namespace tracekit::otlp
