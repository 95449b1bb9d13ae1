// SPDX-License-Identifier: Apache-2.0
// Carry the current trace context (and the log correlation id) into a callback that runs later
// or on another thread: event loops, thread pools, grpc++'s callback and async APIs.
//
//   pool.submit(tracekit::wrap([&] { handle(job); }));      // runs inside the caller's context
//   reactor->on_done = tracekit::bind(&Service::finish, this, id);
//
// wrap(fn) captures Context::current() and log::current_correlation_id() when it is called and
// returns a callable that, each time it is invoked, makes both current (a Scope and a
// CorrelationScope), calls fn with the arguments it was given, and restores what was current
// before — so users never re-open scopes by hand, and one callback's context never leaks into
// the next piece of work on that thread. wrap(context, fn) carries a given context instead.
//
// Header-only; the correlation id is tracekit::log's, so link tracekit::log (it brings core).
#pragma once

#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "tracekit/context.h"
#include "tracekit/log/logger.h"

namespace tracekit {

template <class Fn>
class ContextBound {
 public:
  ContextBound(Context context, std::string correlation_id, Fn fn)
      : context_(std::move(context)),
        correlation_id_(std::move(correlation_id)),
        fn_(std::move(fn)) {}

  template <class... Args>
  decltype(auto) operator()(Args&&... args) {
    Scope scope(context_);
    log::CorrelationScope correlation(correlation_id_);
    return std::invoke(fn_, std::forward<Args>(args)...);
  }
  template <class... Args>
  decltype(auto) operator()(Args&&... args) const {
    Scope scope(context_);
    log::CorrelationScope correlation(correlation_id_);
    return std::invoke(fn_, std::forward<Args>(args)...);
  }

  const Context& context() const noexcept { return context_; }
  const std::string& correlation_id() const noexcept { return correlation_id_; }

 private:
  Context context_;
  std::string correlation_id_;
  Fn fn_;
};

// `fn` run inside the context (and correlation id) current now.
template <class Fn>
ContextBound<std::decay_t<Fn>> wrap(Fn&& fn) {
  return ContextBound<std::decay_t<Fn>>(
      Context::current(), std::string(log::current_correlation_id()), std::forward<Fn>(fn));
}

// `fn` run inside `context`, with the correlation id current now.
template <class Fn>
ContextBound<std::decay_t<Fn>> wrap(Context context, Fn&& fn) {
  return ContextBound<std::decay_t<Fn>>(
      std::move(context), std::string(log::current_correlation_id()), std::forward<Fn>(fn));
}

// std::bind_front with the current context carried: bind(f, a, b)(c) runs f(a, b, c) inside the
// context current at bind().
template <class Fn, class... Args>
auto bind(Fn&& fn, Args&&... args) {
  return wrap(std::bind_front(std::forward<Fn>(fn), std::forward<Args>(args)...));
}

}  // namespace tracekit
