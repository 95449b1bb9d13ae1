// SPDX-License-Identifier: Apache-2.0
// The load test's receiver counts spans by walking the wire format (bench/otlp_span_count.h);
// here its count is checked against requests built and serialized by libprotobuf.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp_span_count.h"

namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

std::optional<size_t> count_in(google::protobuf::io::CodedInputStream& in) {
  size_t n = 0;
  if (!tracekit::bench::count_spans(in, 0, n)) return std::nullopt;
  return n;
}

// Counts from a flat array, and from a stream of 3-byte blocks as the sink reads gRPC's slices
// (a stream has no overall limit); both must agree.
std::optional<size_t> count(const std::string& bytes) {
  google::protobuf::io::CodedInputStream flat(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              static_cast<int>(bytes.size()));
  const auto from_array = count_in(flat);
  google::protobuf::io::ArrayInputStream blocks(bytes.data(), static_cast<int>(bytes.size()), 3);
  google::protobuf::io::CodedInputStream streamed(&blocks);
  EXPECT_EQ(from_array, count_in(streamed)) << "array and stream disagree";
  return from_array;
}

// Two resources with 1 and 2 scopes holding 3, 0 and 4 spans; every level also carries the
// fields the count must skip (resource attributes, scope name, schema URLs, span contents).
ExportTraceServiceRequest sample_request() {
  ExportTraceServiceRequest req;
  const int spans_per_scope[2][2] = {{3, -1}, {0, 4}};
  for (const auto& scopes : spans_per_scope) {
    auto* rs = req.add_resource_spans();
    auto* attr = rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value("web");
    rs->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
    for (int n : scopes) {
      if (n < 0) continue;
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name("tracekit.http");
      ss->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
      for (int i = 0; i < n; ++i) {
        auto* span = ss->add_spans();
        span->set_trace_id(std::string(16, '\x01'));
        span->set_span_id(std::string(8, '\x02'));
        span->set_name("GET /tools/{id}");
        span->set_start_time_unix_nano(1'700'000'000'000'000'000ULL);
        span->set_end_time_unix_nano(1'700'000'000'000'001'000ULL);
        span->add_events()->set_name("process_started");
        auto* a = span->add_attributes();
        a->set_key("http.status_code");
        a->mutable_value()->set_int_value(200);
      }
    }
  }
  return req;
}

TEST(OtlpSpanCount, CountsEverySpanAcrossResourcesAndScopes) {
  EXPECT_EQ(count(sample_request().SerializeAsString()), 7u);
}

TEST(OtlpSpanCount, AnEmptyRequestHasNoSpans) {
  EXPECT_EQ(count(std::string()), 0u);
}

TEST(OtlpSpanCount, TruncatedOrMalformedBytesAreRefused) {
  const std::string bytes = sample_request().SerializeAsString();
  for (size_t cut : {size_t{1}, size_t{5}, bytes.size() / 2}) {
    EXPECT_EQ(count(bytes.substr(0, bytes.size() - cut)), std::nullopt) << "cut " << cut;
  }
  EXPECT_EQ(count(std::string("\x0a\xff\xff\xff\xff\x0f", 6)), std::nullopt);  // length too big
  // resource_spans declares 10 bytes; the 4 present hold one whole empty scope_spans and a span.
  EXPECT_EQ(count(std::string("\x0a\x0a\x12\x02\x12\x00", 6)), std::nullopt);
  EXPECT_EQ(count(std::string("\x0b", 1)), std::nullopt);      // a group (wire type 3)
  EXPECT_EQ(count(std::string("\x00\x01", 2)), std::nullopt);  // field number 0
}

}  // namespace
