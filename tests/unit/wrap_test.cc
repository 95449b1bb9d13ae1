// SPDX-License-Identifier: Apache-2.0
// wrap()/bind(): the context and correlation id current at wrap() are current inside the
// callback on another thread, and nothing leaks into that thread afterwards.
#include "tracekit/wrap.h"

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>

#include "tracekit/tracekit.h"

namespace tracekit {
namespace {

struct Seen {
  std::string span_id;
  std::string correlation_id;
};

Seen now() {
  return Seen{Context::current().span_context().span_id().to_hex(),
              std::string(log::current_correlation_id())};
}

TEST(Wrap, CarriesContextAndCorrelationIdToAnotherThread) {
  auto span = get_tracer("wrap_test").start_span("parent");
  std::function<Seen()> task;
  {
    Scope scope(span);
    log::CorrelationScope correlation("req-42");
    task = wrap([] { return now(); });
  }
  Seen inside, after;
  std::thread t([&] {
    inside = task();
    after = now();
  });
  t.join();
  EXPECT_EQ(inside.span_id, span.context().span_id().to_hex());
  EXPECT_EQ(inside.correlation_id, "req-42");
  EXPECT_EQ(after.span_id, SpanId().to_hex());  // restored: nothing current on that thread
  EXPECT_EQ(after.correlation_id, "");
  span.end();
}

TEST(Wrap, RestoresTheCallersContextAndPassesArguments) {
  auto outer = get_tracer("wrap_test").start_span("outer");
  auto inner = get_tracer("wrap_test").start_span("inner");
  auto add = wrap(Context().with_span(inner), [](int a, int b) {
    EXPECT_EQ(Context::current().span_context().span_id(), current_span().context().span_id());
    return std::make_pair(a + b, now().span_id);
  });
  Scope scope(outer);
  const auto [sum, seen] = add(2, 3);
  EXPECT_EQ(sum, 5);
  EXPECT_EQ(seen, inner.context().span_id().to_hex());
  EXPECT_EQ(now().span_id, outer.context().span_id().to_hex());
  inner.end();
  outer.end();
}

TEST(Bind, BindsLeadingArgumentsAndTheContext) {
  auto span = get_tracer("wrap_test").start_span("bound");
  std::function<std::string(std::string)> f;
  {
    Scope scope(span);
    f = tracekit::bind([](const std::string& prefix,
                          const std::string& rest) { return prefix + rest + ":" + now().span_id; },
                       std::string("a-"));
  }
  auto result = std::async(std::launch::async, [&] { return f("b"); }).get();
  EXPECT_EQ(result, "a-b:" + span.context().span_id().to_hex());
  span.end();
}

}  // namespace
}  // namespace tracekit
