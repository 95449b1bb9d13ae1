// SPDX-License-Identifier: Apache-2.0
// An executor adapter that re-enters a request's trace context and correlation id around every
// piece of work it runs. The server gives each connection's coroutine such an executor (over the
// connection's strand), so each time that coroutine resumes -- at the start of a handler, after
// each co_await -- Context::current() and log::current_correlation_id() are the request's, and
// they are popped again before the thread runs anything else. Nothing stays current on an I/O
// thread between two pieces of work, so one request's span cannot leak into another.
#pragma once

#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "tracekit/context.h"
#include "tracekit/log/logger.h"

namespace tracekit::http::detail {

// What is current for one connection: set by the session when a request starts, cleared when
// its response is written. Read and written only on the connection's strand.
struct RequestSlot {
  // The request's context, read live like the correlation id below: the executor's Scope follows
  // `live`, so the request's context is current as soon as the session sets it, and the server
  // span as soon as the tracing middleware sets it (in the Request's context object).
  void set(std::shared_ptr<Context> request_context) noexcept {
    context = std::move(request_context);
    live = context.get();
  }
  void clear() noexcept {
    live = nullptr;
    context.reset();
  }
  std::shared_ptr<Context> context;  // the Request's shared context, kept alive while set
  const Context* live = nullptr;     // context.get()
  // The connection's current correlation id, read live: the session sets it as soon as a
  // request's header is parsed, and code already running sees it at once.
  std::string correlation_id;
};

template <class Inner>
class ContextExecutor {
 public:
  ContextExecutor(Inner inner, std::shared_ptr<RequestSlot> slot) noexcept
      : inner_(std::move(inner)), slot_(std::move(slot)) {}

  template <class Property>
  auto query(const Property& p) const
      noexcept(noexcept(boost::asio::query(std::declval<const Inner&>(), p)))
          -> decltype(boost::asio::query(std::declval<const Inner&>(), p)) {
    return boost::asio::query(inner_, p);
  }
  template <class Property>
  auto require(const Property& p) const -> ContextExecutor<
      std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), p))>> {
    return {boost::asio::require(inner_, p), slot_};
  }
  template <class Property>
  auto prefer(const Property& p) const -> ContextExecutor<
      std::decay_t<decltype(boost::asio::prefer(std::declval<const Inner&>(), p))>> {
    return {boost::asio::prefer(inner_, p), slot_};
  }

  template <class F>
  void execute(F&& f) const {
    inner_.execute(Reentering<std::decay_t<F>>{slot_, std::forward<F>(f)});
  }

  friend bool operator==(const ContextExecutor& a, const ContextExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.slot_ == b.slot_;
  }
  friend bool operator!=(const ContextExecutor& a, const ContextExecutor& b) noexcept {
    return !(a == b);
  }

  const Inner& inner() const noexcept { return inner_; }

 private:
  template <class F>
  struct Reentering {
    std::shared_ptr<RequestSlot> slot;
    F f;
    void operator()() {
      const RequestSlot& s = *slot;
      // The slot's context followed rather than copied: a request that starts, or a server span
      // the tracing middleware sets, is current for the rest of this piece of work too (the
      // handler starts in it) with no second trip through the executor. No request active: the
      // empty Context, so whatever was current on this thread does not bleed into connection
      // code either.
      Scope scope(&s.live, tracekit::detail::FollowTag{});
      log::CorrelationScope correlation(&s.correlation_id);
      std::move(f)();
    }
  };

  Inner inner_;
  std::shared_ptr<RequestSlot> slot_;
};

}  // namespace tracekit::http::detail
