// SPDX-License-Identifier: Apache-2.0
// The OTLP exporter's readers of what a receiver answers (src/otlp/response_decoder.cc): the
// ExportTraceServiceResponse (protobuf and JSON) and google.rpc.Status with RetryInfo. The first
// input byte picks the reader, the rest is the answer. Where libprotobuf (the generated
// messages, an independent reader) accepts an answer that uses no groups, the hand-written
// reader must accept it too and read the same values; Boost.JSON checks the JSON reader the
// same way.
#include <google/protobuf/unknown_field_set.h>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "fuzz_check.h"
#include "google/rpc/retry_info.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tracekit/otlp/encoder.h"

namespace {

namespace otlp = tracekit::otlp;
namespace otlpv1 = opentelemetry::proto::collector::trace::v1;

// Groups (wire types 3 and 4) are not part of OTLP: the hand-written reader refuses them, while
// libprotobuf keeps them as unknown fields. Such inputs are not compared.
bool has_group(const google::protobuf::Message& m) {
  const google::protobuf::UnknownFieldSet& unknown = m.GetReflection()->GetUnknownFields(m);
  for (int i = 0; i < unknown.field_count(); ++i) {
    if (unknown.field(i).type() == google::protobuf::UnknownField::TYPE_GROUP) return true;
  }
  return false;
}

// libprotobuf is lenient where the hand-written reader is strict (a tag longer than 32 bits is
// truncated, not refused), so the comparison is twofold: where both accept the original bytes
// they read the same values, and the canonical bytes libprotobuf writes for what it read must
// be accepted and read the same.
void compare_status(std::string_view bytes, const google::rpc::Status& status,
                    int64_t expected_delay, bool must_accept) {
  otlp::RpcStatus ours;
  const bool ok = otlp::decode_rpc_status(bytes, ours);
  if (must_accept) FUZZ_CHECK(ok);
  if (!ok) return;
  FUZZ_CHECK(ours.code == status.code());
  FUZZ_CHECK(ours.message == status.message());
  FUZZ_CHECK(ours.retry_delay_ns == expected_delay);
}

void check_status(std::string_view bytes) {
  google::rpc::Status status;
  if (!status.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || has_group(status)) {
    otlp::RpcStatus ours;
    (void)otlp::decode_rpc_status(bytes, ours);  // must not crash
    return;
  }
  int64_t expected_delay = -1;
  for (auto& any : *status.mutable_details()) {
    if (has_group(any)) return;
    if (!any.type_url().ends_with("/google.rpc.RetryInfo")) continue;
    google::rpc::RetryInfo retry;
    if (!retry.ParseFromString(any.value()) || has_group(retry) || has_group(retry.retry_delay()))
      return;  // the reader may refuse a RetryInfo that libprotobuf refuses
    const int64_t s = retry.retry_delay().seconds();
    const int64_t n = retry.retry_delay().nanos();
    expected_delay = s < 0 || n < 0 ? 0 : s > 1'000'000'000 ? INT64_MAX : s * 1'000'000'000 + n;
    any.set_value(retry.SerializeAsString());  // canonical, for the second comparison
  }
  compare_status(bytes, status, expected_delay, false);
  compare_status(status.SerializeAsString(), status, expected_delay, true);
}

void compare_response(std::string_view bytes, const otlpv1::ExportTraceServiceResponse& response,
                      bool must_accept) {
  otlp::PartialSuccess ours;
  const bool ok = otlp::decode_response(bytes, ours);
  if (must_accept) FUZZ_CHECK(ok);
  if (!ok) return;
  FUZZ_CHECK(ours.rejected_spans == response.partial_success().rejected_spans());
  FUZZ_CHECK(ours.error_message == response.partial_success().error_message());
}

void check_response(std::string_view bytes) {
  otlpv1::ExportTraceServiceResponse response;
  if (!response.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      has_group(response) || has_group(response.partial_success())) {
    otlp::PartialSuccess ours;
    (void)otlp::decode_response(bytes, ours);  // must not crash
    return;
  }
  compare_response(bytes, response, false);
  compare_response(response.SerializeAsString(), response, true);
}

// Boost.JSON's parsed value keeps one member per key, so a document with a repeated key cannot be
// judged from it: this handler for Boost's SAX parser tells whether any object repeats a key
// (compared after escapes are decoded).
class RepeatedKeyFinder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bool repeated = false;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    keys_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
  bool on_key_part(std::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s);
    if (!keys_.back().insert(key_).second) repeated = true;
    key_.clear();
    return true;
  }
  bool on_string_part(std::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(std::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_number_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t, std::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(uint64_t, std::string_view, boost::system::error_code&) { return true; }
  bool on_double(double, std::string_view, boost::system::error_code&) { return true; }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  std::vector<std::set<std::string>> keys_;
  std::string key_;
};

bool repeats_a_key(std::string_view text, const boost::json::parse_options& options) {
  boost::json::basic_parser<RepeatedKeyFinder> parser(options);
  boost::system::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  return !ec && parser.handler().repeated;
}

// Boost.JSON's reading of a response whose fields have the types OTLP/JSON gives them (objects
// whose keys appear once): what the reader must find.
std::optional<otlp::PartialSuccess> expected_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 60;  // the reader's own nesting bound is 64
  const boost::json::value v = boost::json::parse(text, ec, {}, options);
  if (ec || !v.is_object() || repeats_a_key(text, options)) return std::nullopt;
  otlp::PartialSuccess out;
  const boost::json::value* ps = nullptr;
  for (const auto& [key, value] : v.get_object()) {
    if (key != "partialSuccess" && key != "partial_success") continue;
    if (ps || !value.is_object()) return std::nullopt;  // repeated, or not an object
    ps = &value;
  }
  if (!ps) return out;
  bool have_rejected = false, have_message = false;
  for (const auto& [key, value] : ps->get_object()) {
    // The reader serves both exporters: ExportLogsServiceResponse's rejected_log_records has the
    // same field number as rejected_spans (a document with both is skipped: the last one wins).
    if (key == "rejectedSpans" || key == "rejected_spans" || key == "rejectedLogRecords" ||
        key == "rejected_log_records") {
      if (have_rejected) return std::nullopt;
      have_rejected = true;
      if (value.is_int64()) {
        out.rejected_spans = value.get_int64();
      } else if (value.is_string()) {
        const auto& s = value.get_string();
        auto r = std::from_chars(s.data(), s.data() + s.size(), out.rejected_spans);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
      } else {
        return std::nullopt;
      }
    } else if (key == "errorMessage" || key == "error_message") {
      if (have_message || !value.is_string()) return std::nullopt;
      have_message = true;
      out.error_message.assign(value.get_string().data(), value.get_string().size());
    }
  }
  return out;
}

void check_json_response(std::string_view text) {
  otlp::PartialSuccess ours;
  const bool ok = otlp::decode_json_response(text, ours);
  const auto expected = expected_json(text);
  if (!expected) return;
  // A number such as 1e2 is valid JSON but the reader keeps integers only; strings with \u
  // escapes outside the BMP are decoded differently (see below). Compare the rest.
  FUZZ_CHECK(ok);
  FUZZ_CHECK(ours.rejected_spans == expected->rejected_spans);
  if (text.find("\\u") == std::string_view::npos) {
    FUZZ_CHECK(ours.error_message == expected->error_message);
  }
}

}  // namespace

// libprotobuf logs every message it refuses (invalid UTF-8 ...): quiet, at this rate.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body = tracekit::fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      check_status(body);
      break;
    case 1:
      check_response(body);
      break;
    default:
      check_json_response(body);
      break;
  }
  return 0;
}
