// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <thread>

#include "support/core_test_support.h"
#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

struct Fixture {
  std::shared_ptr<InMemorySpanStore> store = std::make_shared<InMemorySpanStore>();
  std::unique_ptr<TracerProvider> provider;
  Fixture() {
    TracerProviderOptions o;
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
    provider = std::make_unique<TracerProvider>(std::move(o));
  }
  Tracer& tracer() { return provider->get_tracer("context-test"); }
};

const SpanId& current_id() {
  return Context::current().span_context().span_id();
}

TEST(Context, EmptyByDefault) {
  EXPECT_FALSE(Context::current().span_context().is_valid());
  EXPECT_FALSE(current_span().is_recording());
  EXPECT_FALSE(current_span().context().is_valid());
  EXPECT_TRUE(Context::current().baggage().empty());
  // Calls on the empty current span do nothing and do not crash.
  current_span().set_attribute("x", 1).add_event("e").end();
}

TEST(Scope, NestsAndRestores) {
  Fixture f;
  Span a = f.tracer().start_span("a");
  Span b = f.tracer().start_span("b");
  {
    Scope outer(a);
    EXPECT_EQ(current_id(), a.context().span_id());
    {
      Scope inner(b);
      EXPECT_EQ(current_id(), b.context().span_id());
      EXPECT_EQ(current_span().context(), b.context());
    }
    EXPECT_EQ(current_id(), a.context().span_id());
  }
  EXPECT_FALSE(Context::current().span_context().is_valid());
}

TEST(Scope, OutOfOrderDestructionOfAMiddleScope) {
  Fixture f;
  Span a = f.tracer().start_span("a"), b = f.tracer().start_span("b"),
       c = f.tracer().start_span("c");
  std::optional<Scope> sa, sb, sc;
  sa.emplace(a);
  sb.emplace(b);
  sc.emplace(c);
  sb.reset();  // not the innermost
  EXPECT_EQ(current_id(), c.context().span_id());
  sc.reset();
  EXPECT_EQ(current_id(), a.context().span_id()) << "b's scope is gone and must be skipped";
  sa.reset();
  EXPECT_FALSE(Context::current().span_context().is_valid());
}

TEST(Scope, OutOfOrderDestructionOfTheOutermostScope) {
  Fixture f;
  Span a = f.tracer().start_span("a"), b = f.tracer().start_span("b");
  {
    std::optional<Scope> sa(std::in_place, a);
    std::optional<Scope> sb(std::in_place, b);
    sa.reset();
    EXPECT_EQ(current_id(), b.context().span_id());
    sb.reset();
    EXPECT_FALSE(Context::current().span_context().is_valid())
        << "a's scope is gone: nothing may be current";
  }
  // The chain still works afterwards.
  {
    Scope again(a);
    EXPECT_EQ(current_id(), a.context().span_id());
  }
  EXPECT_FALSE(Context::current().span_context().is_valid());
}

TEST(Scope, InterleavedOutOfOrderDestruction) {
  Fixture f;
  Span spans[4] = {f.tracer().start_span("0"), f.tracer().start_span("1"),
                   f.tracer().start_span("2"), f.tracer().start_span("3")};
  std::optional<Scope> scopes[4];
  for (int i = 0; i < 4; ++i)
    scopes[i].emplace(spans[i]);
  scopes[1].reset();
  scopes[2].reset();
  EXPECT_EQ(current_id(), spans[3].context().span_id());
  scopes[3].reset();
  EXPECT_EQ(current_id(), spans[0].context().span_id());
  {
    Scope fresh(spans[2]);
    EXPECT_EQ(current_id(), spans[2].context().span_id());
  }
  EXPECT_EQ(current_id(), spans[0].context().span_id());
  scopes[0].reset();
  EXPECT_FALSE(Context::current().span_context().is_valid());
}

TEST(Scope, AFollowingScopeSeesItsSlotChangeAtOnce) {
  Fixture f;
  auto first = f.tracer().start_span("first");
  auto second = f.tracer().start_span("second");
  const Context first_context = Context().with_span(first);
  const Context second_context = Context().with_span(second);
  const Context* slot = nullptr;
  {
    Scope outer(Context().with_span(second));
    {
      Scope following(&slot, detail::FollowTag{});
      // An empty slot is the empty context, not whatever was current before.
      EXPECT_FALSE(Context::current().span_context().is_valid());
      slot = &first_context;
      EXPECT_EQ(current_id(), first.context().span_id());
      slot = &second_context;
      EXPECT_EQ(current_id(), second.context().span_id());
      {
        // A scope made on top of it is current until it ends, then the slot again.
        Scope inner(Context().with_span(first));
        EXPECT_EQ(current_id(), first.context().span_id());
      }
      EXPECT_EQ(current_id(), second.context().span_id());
      slot = nullptr;
      EXPECT_FALSE(Context::current().span_context().is_valid());
      slot = &first_context;
    }
    // Gone with its Scope: the outer one is current again.
    EXPECT_EQ(current_id(), second.context().span_id());
  }
  EXPECT_FALSE(Context::current().span_context().is_valid());
  first.end();
  second.end();
}

TEST(Context, CurrentContextIsPerThread) {
  Fixture f;
  Span mine = f.tracer().start_span("main");
  Scope scope(mine);
  SpanContext seen_in_thread;
  SpanContext seen_in_thread_scope;
  std::thread other([&] {
    seen_in_thread = Context::current().span_context();
    Span theirs = f.tracer().start_span("thread");
    Scope their_scope(theirs);
    seen_in_thread_scope = Context::current().span_context();
  });
  other.join();
  EXPECT_FALSE(seen_in_thread.is_valid());
  EXPECT_TRUE(seen_in_thread_scope.is_valid());
  EXPECT_NE(seen_in_thread_scope.trace_id(), mine.context().trace_id())
      << "the thread's span must not pick up main's current span as parent";
  EXPECT_EQ(current_id(), mine.context().span_id());
}

TEST(Context, CurrentSpanGivesAccessToTheSpan) {
  Fixture f;
  {
    Span s = f.tracer().start_span("via-current");
    Scope scope(s);
    current_span().set_attribute("set.through", "current_span");
    EXPECT_TRUE(current_span().is_recording());
  }
  auto span = f.store->find("via-current");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->attribute("set.through")->as_string(), "current_span");
}

TEST(Context, ExplicitContextValueCarriesSpanAndBaggage) {
  Fixture f;
  Span s = f.tracer().start_span("s");
  Baggage bag = Baggage().set("user.id", "42");
  Context ctx = Context().with_span(s).with_baggage(bag);
  EXPECT_EQ(ctx.span_context(), s.context());
  EXPECT_EQ(ctx.baggage().get("user.id"), "42");
  Context remote = ctx.with_span_context(testing::remote_context(true));
  EXPECT_TRUE(remote.span_context().is_remote());
  EXPECT_FALSE(remote.span().is_recording());
  EXPECT_EQ(remote.baggage().get("user.id"), "42");
}

TEST(ScopedSpan, IsCurrentWhileAliveAndEndsOnScopeExit) {
  Fixture f;
  SpanContext outer_ctx, inner_ctx;
  {
    auto outer = f.tracer().start_as_current_span("outer");
    outer_ctx = outer.context();
    EXPECT_EQ(current_id(), outer_ctx.span_id());
    {
      auto inner = f.tracer().start_as_current_span("inner");
      inner_ctx = inner.context();
      EXPECT_EQ(current_id(), inner_ctx.span_id());
      EXPECT_EQ(f.store->size(), 0u);
    }
    EXPECT_EQ(f.store->size(), 1u);  // inner ended as it left its scope
    EXPECT_EQ(current_id(), outer_ctx.span_id());
  }
  EXPECT_EQ(f.store->size(), 2u);
  EXPECT_FALSE(Context::current().span_context().is_valid());
  auto inner = f.store->find("inner");
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->parent_span_id(), outer_ctx.span_id());
  EXPECT_EQ(inner->context().trace_id(), outer_ctx.trace_id());
  EXPECT_EQ(inner->status_code(), StatusCode::kUnset);
}

TEST(ScopedSpan, ExplicitEndInsideTheScopeKeepsItCurrentButEnded) {
  Fixture f;
  {
    auto s = f.tracer().start_as_current_span("early-end");
    s.end();
    EXPECT_EQ(f.store->size(), 1u);
    EXPECT_FALSE(current_span().is_recording());
    EXPECT_EQ(current_id(), s.context().span_id());
  }
  EXPECT_EQ(f.store->size(), 1u);
}

TEST(ScopedSpan, ExceptionUnwindingSetsStatusError) {
  Fixture f;
  try {
    auto s = f.tracer().start_as_current_span("throws");
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  auto span = f.store->find("throws");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->status_code(), StatusCode::kError);
  EXPECT_FALSE(span->status_description().empty());
  EXPECT_FALSE(Context::current().span_context().is_valid());
}

TEST(ScopedSpan, OkStatusSurvivesUnwinding) {
  Fixture f;
  try {
    auto s = f.tracer().start_as_current_span("ok-then-throw");
    s.set_status(StatusCode::kOk);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  auto span = f.store->find("ok-then-throw");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->status_code(), StatusCode::kOk);
}

// A span made and finished inside a destructor that runs during unwinding did not fail itself.
struct TracesInDestructor {
  Tracer* tracer;
  ~TracesInDestructor() { auto cleanup = tracer->start_as_current_span("cleanup"); }
};

TEST(ScopedSpan, SpanStartedDuringUnwindingIsNotAnError) {
  Fixture f;
  try {
    TracesInDestructor guard{&f.tracer()};
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  auto span = f.store->find("cleanup");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->status_code(), StatusCode::kUnset);
}

TEST(Scope, BaggageIsCarriedThroughScopes) {
  Fixture f;
  Baggage bag = Baggage().set("tenant", "acme");
  {
    Scope with_baggage(Context().with_baggage(bag));
    EXPECT_EQ(Context::current().baggage().get("tenant"), "acme");
    {
      auto s = f.tracer().start_as_current_span("in-baggage");
      // A span scope keeps the current baggage.
      EXPECT_EQ(Context::current().baggage().get("tenant"), "acme");
      EXPECT_EQ(current_id(), s.context().span_id());
      {
        Scope more(
            Context::current().with_baggage(Context::current().baggage().set("request", "r1")));
        EXPECT_EQ(Context::current().baggage().size(), 2u);
        EXPECT_EQ(current_id(), s.context().span_id());
      }
      EXPECT_EQ(Context::current().baggage().size(), 1u);
    }
    EXPECT_EQ(Context::current().baggage().get("tenant"), "acme");
  }
  EXPECT_TRUE(Context::current().baggage().empty());
}

}  // namespace
}  // namespace tracekit
