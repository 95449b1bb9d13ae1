// SPDX-License-Identifier: Apache-2.0
// A small expected-style result type: telemetry code reports failures as values, never throws
// into the application.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tracekit {

// What kind of failure, stable across releases, for code that must react differently (an HTTP
// status, a retry); the message is for people.
enum class ErrorCode : uint8_t {
  kInvalid,      // the input or configuration is wrong: the caller must change it
  kNotFound,     // what was asked for does not exist
  kConflict,     // the current state does not allow it (exists already, not running, ...)
  kUnavailable,  // a resource or far end is missing, down or refused; may work later
  kInternal,     // anything else: an unexpected failure inside
};

// "invalid", "not_found", "conflict", "unavailable", "internal".
constexpr std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      break;
  }
  return "internal";
}

// What went wrong, in words a user can act on (the variable, the value, what is allowed), and
// its kind. Without a code an error is kInvalid, what most of tracekit's errors are: a
// configuration or input to fix.
struct Error {
  Error() = default;
  explicit Error(std::string text, ErrorCode kind = ErrorCode::kInvalid)
      : message(std::move(text)), code(kind) {}
  Error(ErrorCode kind, std::string text) : message(std::move(text)), code(kind) {}

  // The same error with `prefix` put before its message (where it happened: "LOG_LEVEL: ").
  Error with_prefix(std::string_view prefix) const& {
    return Error(code, std::string(prefix) + message);
  }
  Error with_prefix(std::string_view prefix) && {
    message.insert(0, prefix);
    return std::move(*this);
  }

  std::string message;
  ErrorCode code = ErrorCode::kInvalid;
};

// A T or an E (tracekit's Error unless a caller needs its own error type).
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const { return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace tracekit
