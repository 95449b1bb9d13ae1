// SPDX-License-Identifier: Apache-2.0
// Skriptoteket's API JSON reader (apps/skriptoteket/api_json.cc): a request body read as the
// web service's three body-taking handlers read it (POST /tools, POST /tools/{id}/versions,
// POST .../run; the first input byte picks one, the rest is the body). A malformed body is a
// 400 and an invalid one a 422, each with a JSON error body naming the problem; an accepted body
// gives fields within their bounds, and writing them back out (to_json) gives JSON that reads
// back to the same values.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api_json.h"
#include "domain.h"
#include "fuzz_check.h"

namespace api = skriptoteket::api;
namespace json = boost::json;

namespace {

json::value parse_body(const tracekit::http::Response& response) {
  boost::system::error_code ec;
  json::value v = json::parse(response.body(), ec);
  FUZZ_CHECK(!ec);
  return v;
}

void check_error(const tracekit::http::Response& r, int status, std::string_view code) {
  FUZZ_CHECK(r.status() == status);
  const json::value v = parse_body(r);
  FUZZ_CHECK(v.is_object());
  FUZZ_CHECK(v.at("error").as_string() == code);
  FUZZ_CHECK(!v.at("detail").as_string().empty());
}

// The request's fields: not ok gives a 422 naming every problem.
bool fields_ok(const api::FieldReader& fields) {
  if (fields.ok()) return true;
  check_error(fields.response(), 422, "validation_failed");
  return false;
}

void create_tool(const json::object& body) {
  api::FieldReader fields(body);
  auto slug = fields.string("slug", true, 64);
  auto title = fields.string("title", true, 200);
  auto description = fields.string("description", false, 4000);
  if (!fields_ok(fields)) return;
  FUZZ_CHECK(slug && title && slug->size() <= 64 && title->size() <= 200);
  FUZZ_CHECK(!description || description->size() <= 4000);
  skriptoteket::Tool tool{"00000000-0000-4000-8000-000000000000", *slug, *title,
                          description.value_or(""), 1700000000000};
  const json::value out = parse_body(api::json(201, api::to_json(tool)));
  FUZZ_CHECK(out.at("slug").as_string() == *slug);
  FUZZ_CHECK(out.at("title").as_string() == *title);
  FUZZ_CHECK(out.at("description").as_string() == tool.description);
}

void create_version(const json::object& body) {
  api::FieldReader fields(body);
  auto source = fields.string("source", true, 256 * 1024);
  auto language_text = fields.string("language", true, 32);
  std::optional<skriptoteket::Language> language;
  if (language_text) {
    language = skriptoteket::parse_language(*language_text);
    if (!language) fields.problem("language must be \"python3\" or \"bash\"");
  }
  if (!fields_ok(fields)) return;
  FUZZ_CHECK(source && language);
  FUZZ_CHECK(skriptoteket::to_string(*language) == *language_text);
  skriptoteket::ToolVersion version;
  version.source = *source;
  version.language = *language;
  const json::value out = parse_body(api::json(201, api::to_json(version)));
  FUZZ_CHECK(out.at("source").as_string() == *source);
}

void run_version(const json::object& body) {
  api::FieldReader fields(body);
  const auto limit_ms = fields.integer("time_limit_ms", false, 1, 60000);
  if (!fields_ok(fields)) return;
  FUZZ_CHECK(!limit_ms || (*limit_ms >= 1 && *limit_ms <= 60000));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int handler = data[0] % 3;
  namespace bh = boost::beast::http;
  bh::request<bh::string_body> message{bh::verb::post, "/tools", 11};
  message.set(bh::field::content_type, "application/json");
  message.body().assign(reinterpret_cast<const char*>(data + 1), size - 1);
  message.prepare_payload();
  const tracekit::http::Request request(std::move(message));

  tracekit::http::Response problem;
  const auto body = api::parse_object(request, problem, /*empty_ok=*/handler == 2);
  if (!body) {
    check_error(problem, 400, "invalid_json");
    return 0;
  }
  switch (handler) {
    case 0:
      create_tool(*body);
      break;
    case 1:
      create_version(*body);
      break;
    default:
      run_version(*body);
      break;
  }
  return 0;
}
