// Reading what a receiver answers: ExportTraceServiceResponse or ExportLogsServiceResponse (the
// same field numbers; protobuf or JSON) and
// google.rpc.Status with its RetryInfo. Small hand-written readers: the exporter needs three
// fields, and a malformed answer must never crash it.
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "tracekit/otlp/encoder.h"

namespace tracekit::otlp {

namespace {

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      auto b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool tag(uint32_t& field, uint32_t& wire_type) {
    uint64_t t;
    if (!varint(t) || (t >> 3) == 0 || (t >> 3) > 0x1FFFFFFF) return false;
    field = static_cast<uint32_t>(t >> 3);
    wire_type = static_cast<uint32_t>(t & 7);
    return true;
  }
  bool length_delimited(std::string_view& out) {
    uint64_t n;
    if (!varint(n) || n > data_.size() - pos_) return false;
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(uint32_t wire_type) {
    uint64_t v;
    std::string_view s;
    switch (wire_type) {
      case 0:
        return varint(v);
      case 1:
        if (data_.size() - pos_ < 8) return false;
        pos_ += 8;
        return true;
      case 2:
        return length_delimited(s);
      case 5:
        if (data_.size() - pos_ < 4) return false;
        pos_ += 4;
        return true;
      default:
        return false;  // groups are not used by OTLP
    }
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

bool decode_partial_success(std::string_view bytes, PartialSuccess& out) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.tag(field, wt)) return false;
    if (field == 1 && wt == 0) {
      uint64_t v;
      if (!r.varint(v)) return false;
      out.rejected_spans = static_cast<int64_t>(v);
    } else if (field == 2 && wt == 2) {
      std::string_view s;
      if (!r.length_delimited(s)) return false;
      out.error_message.assign(s);
    } else if (!r.skip(wt)) {
      return false;
    }
  }
  return true;
}

// Reads the fields of a google.protobuf.Duration into seconds and nanos (fields absent from
// `bytes` keep their value: a repeated message field merges, as protobuf's parsers do).
bool decode_duration(std::string_view bytes, int64_t& seconds, int64_t& nanos) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.tag(field, wt)) return false;
    uint64_t v;
    if ((field == 1 || field == 2) && wt == 0) {
      if (!r.varint(v)) return false;
      if (field == 1) seconds = static_cast<int64_t>(v);
      if (field == 2) nanos = static_cast<int32_t>(v);
    } else if (!r.skip(wt)) {
      return false;
    }
  }
  return true;
}

int64_t duration_ns(int64_t seconds, int64_t nanos) {
  if (seconds < 0 || nanos < 0) return 0;
  if (seconds > 1'000'000'000) return INT64_MAX;  // absurdly long: "not before the deadline"
  return seconds * 1'000'000'000 + nanos;
}

// A minimal JSON reader: enough to find partialSuccess in a response and skip everything else.
class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}

  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool at_end() {
    ws();
    return i_ >= s_.size();
  }

  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        if (out) *out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      switch (e) {
        case 'n':
          c = '\n';
          break;
        case 't':
          c = '\t';
          break;
        case 'r':
          c = '\r';
          break;
        case 'b':
          c = '\b';
          break;
        case 'f':
          c = '\f';
          break;
        case 'u': {
          if (s_.size() - i_ < 4) return false;
          unsigned cp = 0;
          auto r = std::from_chars(s_.data() + i_, s_.data() + i_ + 4, cp, 16);
          if (r.ptr != s_.data() + i_ + 4) return false;
          i_ += 4;
          if (out) append_utf8(*out, cp);
          continue;
        }
        default:
          c = e;  // \" \\ \/
      }
      if (out) *out += c;
    }
    return false;
  }

  bool number(std::string* out) {
    ws();
    size_t start = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                              s_[i_] == '+' || s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E'))
      ++i_;
    if (i_ == start) return false;
    if (out) out->assign(s_.substr(start, i_ - start));
    return true;
  }

  bool literal(std::string_view word) {
    ws();
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  bool skip_value(int depth = 0) {
    if (depth > 64) return false;
    ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '"') return string(nullptr);
    if (c == '{') {
      ++i_;
      if (eat('}')) return true;
      do {
        if (!string(nullptr) || !eat(':') || !skip_value(depth + 1)) return false;
      } while (eat(','));
      return eat('}');
    }
    if (c == '[') {
      ++i_;
      if (eat(']')) return true;
      do {
        if (!skip_value(depth + 1)) return false;
      } while (eat(','));
      return eat(']');
    }
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    return number(nullptr);
  }

 private:
  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool decode_response(std::string_view bytes, PartialSuccess& out) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.tag(field, wt)) return false;
    if (field == 1 && wt == 2) {
      std::string_view ps;
      if (!r.length_delimited(ps) || !decode_partial_success(ps, out)) return false;
    } else if (!r.skip(wt)) {
      return false;
    }
  }
  return true;
}

bool decode_json_response(std::string_view json, PartialSuccess& out) {
  JsonReader r(json);
  if (r.at_end()) return true;  // an empty body is a full success
  if (!r.eat('{')) return false;
  if (r.eat('}')) return r.at_end();
  do {
    std::string key;
    if (!r.string(&key) || !r.eat(':')) return false;
    if ((key == "partialSuccess" || key == "partial_success") && r.peek('{')) {
      r.eat('{');
      if (!r.eat('}')) {
        do {
          std::string k;
          if (!r.string(&k) || !r.eat(':')) return false;
          if (k == "rejectedSpans" || k == "rejected_spans" || k == "rejectedLogRecords" ||
              k == "rejected_log_records") {
            std::string v;
            if (r.peek('"') ? !r.string(&v) : !r.number(&v)) return false;
            int64_t n = 0;
            auto res = std::from_chars(v.data(), v.data() + v.size(), n);
            if (res.ec != std::errc() || res.ptr != v.data() + v.size()) return false;
            out.rejected_spans = n;
          } else if ((k == "errorMessage" || k == "error_message") && r.peek('"')) {
            out.error_message.clear();  // a repeated key replaces, as in protobuf's JSON
            if (!r.string(&out.error_message)) return false;
          } else if (!r.skip_value()) {
            return false;
          }
        } while (r.eat(','));
        if (!r.eat('}')) return false;
      }
    } else if (!r.skip_value()) {
      return false;
    }
  } while (r.eat(','));
  return r.eat('}') && r.at_end();
}

bool decode_rpc_status(std::string_view bytes, RpcStatus& out) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.tag(field, wt)) return false;
    if (field == 1 && wt == 0) {
      uint64_t v;
      if (!r.varint(v)) return false;
      out.code = static_cast<int32_t>(v);
    } else if (field == 2 && wt == 2) {
      std::string_view s;
      if (!r.length_delimited(s)) return false;
      out.message.assign(s);
    } else if (field == 3 && wt == 2) {
      // google.protobuf.Any { string type_url = 1; bytes value = 2; }
      std::string_view any;
      if (!r.length_delimited(any)) return false;
      WireReader a(any);
      std::string_view type_url, value;
      while (!a.done()) {
        uint32_t f, w;
        if (!a.tag(f, w)) return false;
        if (f == 1 && w == 2) {
          if (!a.length_delimited(type_url)) return false;
        } else if (f == 2 && w == 2) {
          if (!a.length_delimited(value)) return false;
        } else if (!a.skip(w)) {
          return false;
        }
      }
      if (type_url.ends_with("/google.rpc.RetryInfo")) {
        // RetryInfo { google.protobuf.Duration retry_delay = 1; }. The last RetryInfo decides,
        // and one without a delay means 0 even after another had one (found by
        // fuzz_otlp_response: the earlier delay was kept).
        WireReader ri(value);
        int64_t seconds = 0, nanos = 0;
        while (!ri.done()) {
          uint32_t f, w;
          if (!ri.tag(f, w)) return false;
          if (f == 1 && w == 2) {
            std::string_view d;
            if (!ri.length_delimited(d) || !decode_duration(d, seconds, nanos)) return false;
          } else if (!ri.skip(w)) {
            return false;
          }
        }
        out.retry_delay_ns = duration_ns(seconds, nanos);
      }
    } else if (!r.skip(wt)) {
      return false;
    }
  }
  return true;
}

}  // namespace tracekit::otlp
