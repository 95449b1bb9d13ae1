// SPDX-License-Identifier: Apache-2.0
#include "tracekit/context.h"

namespace tracekit {

namespace {
// The innermost live Scope of this thread. A plain pointer: reading the current context is one
// thread-local load, with no guard and no destructor registration.
constinit thread_local Scope* t_top = nullptr;
const Context kEmptyContext{};
}  // namespace

const Context& Context::current() noexcept {
  const Scope* top = t_top;
  if (!top) return kEmptyContext;
  if (top->followed_) [[unlikely]] {
    const Context* followed = *top->followed_;
    return followed ? *followed : kEmptyContext;
  }
  return top->context_;
}

Scope::Scope(Context context) noexcept : context_(std::move(context)) {
  enter();
}

Scope::Scope(const SpanRef& span) noexcept : context_(span, Context::current().baggage()) {
  enter();
}

Scope::Scope(const Context* const* followed, detail::FollowTag) noexcept : followed_(followed) {
  enter();
}

void Scope::enter() noexcept {
  previous_ = t_top;
  t_top = this;
}

Scope::~Scope() {
  if (t_top == this) {
    t_top = previous_;
    return;
  }
  // Destroyed out of order: unlink this scope so the ones made after it skip over it.
  for (Scope* s = t_top; s != nullptr; s = s->previous_) {
    if (s->previous_ == this) {
      s->previous_ = previous_;
      return;
    }
  }
}

}  // namespace tracekit
