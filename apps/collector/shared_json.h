// SPDX-License-Identifier: Apache-2.0
// The OTLP/JSON text of a resource or an instrumentation scope, shared by every span and log
// record that came with it. An export names its resource and scope once for any number of
// records; a copy per record let a ~1 MiB resource followed by thousands of 2-byte log records
// take gigabytes while decoding. The text is immutable once made, so records on different
// threads (receiver, writer) may hold it together.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace tracekit::collector {

class SharedJson {
 public:
  SharedJson() = default;  // "{}": no resource or scope
  // Implicit, like the std::string fields it replaced: stored rows and tests assign text.
  SharedJson(std::string text)  // NOLINT(google-explicit-constructor)
      : text_(std::make_shared<const std::string>(std::move(text))) {}
  SharedJson(const char* text)  // NOLINT(google-explicit-constructor)
      : SharedJson(std::string(text)) {}

  const std::string& str() const { return text_ ? *text_ : empty_object(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  size_t size() const { return str().size(); }
  size_t find(std::string_view s, size_t pos = 0) const { return str().find(s, pos); }

  // Whether both hold the very same text (not just equal text): records of one resource or
  // scope of one request do, and the writer needs no comparison of their bytes then.
  bool same_as(const SharedJson& other) const { return text_ == other.text_; }
  // What the text holds in memory, counted once however many records share it.
  uint64_t memory_bytes() const { return text_ ? sizeof(std::string) + text_->capacity() : 0; }

  friend bool operator==(const SharedJson& a, const SharedJson& b) {
    return a.same_as(b) || a.str() == b.str();
  }
  friend bool operator==(const SharedJson& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SharedJson& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SharedJson& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& os, const SharedJson& j) { return os << j.str(); }

 private:
  static const std::string& empty_object() {
    static const std::string kEmpty = "{}";
    return kEmpty;
  }
  std::shared_ptr<const std::string> text_;
};

// Adds up the memory of records' shared texts, each text once: the records of one resource and
// scope follow one another in a request, so remembering the last one of each is enough.
class SharedJsonBytes {
 public:
  uint64_t add(const SharedJson& resource, const SharedJson& scope) {
    uint64_t n = 0;
    if (!last_resource_.same_as(resource)) n += resource.memory_bytes();
    if (!last_scope_.same_as(scope)) n += scope.memory_bytes();
    last_resource_ = resource;
    last_scope_ = scope;
    return n;
  }

 private:
  SharedJson last_resource_, last_scope_;
};

}  // namespace tracekit::collector
