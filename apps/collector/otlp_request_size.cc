// SPDX-License-Identifier: Apache-2.0
#include "otlp_request_size.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <climits>
#include <string>
#include <unordered_map>
#include <vector>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace tracekit::collector {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// protobuf's own default nesting limit: a deeper message does not parse, so it is not counted
// deeper either.
constexpr int kMaxDepth = 100;

// A parsed KeyValue or AnyValue is an object of 40-60 bytes plus its allocation and its slot
// in the repeated field; the decoder writes `{"key":"","value":{}}` (22 bytes) for an empty one.
constexpr uint64_t kBytesPerMessage = 96;

// Which fields of a message type hold messages (by field number: OTLP's are small), so that
// the scan can count nested messages without the schema's lookups per field.
struct MessageShape {
  std::vector<const MessageShape*> children;  // by field number; nullptr: not a message
  bool is_record = false;
};

class Shapes {
 public:
  Shapes(const Descriptor& request, const Descriptor& record) : record_(record) {
    root_ = shape_of(request);
  }
  const MessageShape& root() const { return *root_; }

 private:
  // AnyValue, ArrayValue and KeyValueList refer to each other: each type gets one shape,
  // made once (unordered_map keeps its elements where they are as it grows).
  const MessageShape* shape_of(const Descriptor& type) {
    auto [it, added] = shapes_.try_emplace(&type);
    MessageShape& shape = it->second;
    if (!added) return &shape;
    shape.is_record = &type == &record_;
    for (int i = 0; i < type.field_count(); ++i) {
      const FieldDescriptor& field = *type.field(i);
      if (field.type() != FieldDescriptor::TYPE_MESSAGE) continue;
      const auto number = static_cast<size_t>(field.number());
      if (shape.children.size() <= number) shape.children.resize(number + 1);
      shape.children[number] = shape_of(*field.message_type());
    }
    return &shape;
  }

  const Descriptor& record_;
  std::unordered_map<const Descriptor*, MessageShape> shapes_;
  const MessageShape* root_ = nullptr;
};

// Counts the messages of one message (the stream limited to it); false when the bytes are not
// well-formed protobuf.
bool scan(CodedInputStream& in, const MessageShape& shape, int depth, RequestCensus& census) {
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return true;  // its end (ConsumedEntireMessage() tells whether a clean one)
    const uint32_t number = WireFormatLite::GetTagFieldNumber(tag);
    const MessageShape* child = number < shape.children.size() ? shape.children[number] : nullptr;
    if (child == nullptr || depth >= kMaxDepth ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length) || length > INT_MAX) return false;
    ++census.messages;
    if (child->is_record) ++census.records;
    const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(length));
    if (!scan(in, *child, depth + 1, census) || !in.ConsumedEntireMessage()) return false;
    in.PopLimit(limit);
  }
}

}  // namespace

namespace {

RequestCensus census_of(std::string_view bytes, const Shapes& shapes) {
  RequestCensus census;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(std::min<size_t>(bytes.size(), INT_MAX)));
  (void)scan(in, shapes.root(), 0, census);
  return census;
}

}  // namespace

RequestCensus trace_request_census(std::string_view bytes) {
  // Made on first use (a function-local static: thread-safe), read-only after.
  static const Shapes shapes(
      *opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest::descriptor(),
      *opentelemetry::proto::trace::v1::Span::descriptor());
  return census_of(bytes, shapes);
}

RequestCensus logs_request_census(std::string_view bytes) {
  static const Shapes shapes(
      *opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest::descriptor(),
      *opentelemetry::proto::logs::v1::LogRecord::descriptor());
  return census_of(bytes, shapes);
}

uint64_t estimated_decoding_bytes(size_t body_bytes, const RequestCensus& census,
                                  size_t record_bytes) {
  return 2 * static_cast<uint64_t>(body_bytes) + census.messages * kBytesPerMessage +
         census.records * static_cast<uint64_t>(record_bytes);
}

std::optional<Error> request_size_error(size_t body_bytes, const RequestCensus& census,
                                        size_t record_bytes, const char* records_name,
                                        const SpanLimits& limits) {
  if (limits.max_request_records > 0 && census.records > limits.max_request_records) {
    return Error{"too large: the request holds " + std::to_string(census.records) + " " +
                 records_name + ", more than the " + std::to_string(limits.max_request_records) +
                 " one request may hold; send smaller batches"};
  }
  const uint64_t estimate = estimated_decoding_bytes(body_bytes, census, record_bytes);
  if (limits.max_request_decoded_bytes > 0 && estimate > limits.max_request_decoded_bytes) {
    return Error{"too large: decoding the request would take about " + std::to_string(estimate) +
                 " bytes (" + std::to_string(census.records) + " " + records_name + ", " +
                 std::to_string(census.messages) + " messages), more than the " +
                 std::to_string(limits.max_request_decoded_bytes) + " one request may take; send " +
                 "smaller batches"};
  }
  return std::nullopt;
}

std::optional<Error> decoded_size_error(uint64_t decoded_bytes, const SpanLimits& limits) {
  if (limits.max_request_decoded_bytes == 0 || decoded_bytes <= limits.max_request_decoded_bytes)
    return std::nullopt;
  return Error{"too large: the request's records take more than " +
               std::to_string(limits.max_request_decoded_bytes) +
               " bytes decoded, more than one request may take; send smaller batches"};
}

}  // namespace tracekit::collector
