// SPDX-License-Identifier: Apache-2.0
// The composite propagator, OTEL_PROPAGATORS names, carriers and the global propagator; and
// propagation end to end through the SDK (extract -> child span -> inject).
#include "tracekit/propagation/propagator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tracekit/tracekit.h"

namespace tracekit::propagation {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Map = std::map<std::string, std::string>;
using UnorderedMap = std::unordered_map<std::string, std::string>;

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::unique_ptr<TextMapPropagator> make(std::vector<std::string> names) {
  auto p = from_names(names);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? std::move(*p) : nullptr;
}

// ---- OTEL_PROPAGATORS names ---------------------------------------------------------------------

TEST(FromNames, Fields) {
  EXPECT_EQ(make({"tracecontext"})->fields(),
            (std::vector<std::string>{"traceparent", "tracestate"}));
  EXPECT_EQ(make({"baggage"})->fields(), (std::vector<std::string>{"baggage"}));
  EXPECT_EQ(make({"tracecontext", "baggage"})->fields(),
            (std::vector<std::string>{"traceparent", "tracestate", "baggage"}));
  EXPECT_EQ(make({"baggage", "tracecontext"})->fields(),
            (std::vector<std::string>{"baggage", "traceparent", "tracestate"}));
  // Repeated names count once.
  EXPECT_EQ(make({"tracecontext", "baggage", "tracecontext"})->fields(),
            (std::vector<std::string>{"traceparent", "tracestate", "baggage"}));
  EXPECT_TRUE(make({"none"})->fields().empty());
  EXPECT_TRUE(make({})->fields().empty());
}

TEST(FromNames, UnknownNameIsAClearError) {
  for (std::string name : {"b3", "jaeger", "xray", "TraceContext", "", "trace context"}) {
    std::vector<std::string> names = {"tracecontext", name};
    auto p = from_names(names);
    ASSERT_FALSE(p.ok()) << name;
    const std::string& msg = p.error().message;
    EXPECT_NE(msg.find("OTEL_PROPAGATORS"), std::string::npos) << msg;
    EXPECT_NE(msg.find('"' + name + '"'), std::string::npos) << msg;
    EXPECT_NE(msg.find("tracecontext, baggage or none"), std::string::npos) << msg;
  }
}

TEST(FromNames, ConfigReadsOtelPropagators) {
  auto config_with = [](std::string value) {
    return Config::from_env([value](std::string_view name) -> std::optional<std::string> {
      if (name == "OTEL_PROPAGATORS") return value;
      return std::nullopt;
    });
  };
  auto c = config_with(" Baggage , tracecontext ");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->propagators, (std::vector<Kind>{Kind::kBaggage, Kind::kTraceContext}));
  EXPECT_EQ(make(c->propagators)->fields(),
            (std::vector<std::string>{"baggage", "traceparent", "tracestate"}));
  auto bad = config_with("tracecontext,b3");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("OTEL_PROPAGATORS"), std::string::npos);
  EXPECT_NE(bad.error().message.find("b3"), std::string::npos);
  auto defaults = Config::from_env([](std::string_view) { return std::optional<std::string>(); });
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->propagators, (std::vector<Kind>{Kind::kTraceContext, Kind::kBaggage}));
}

TEST(FromNames, NoneExtractsAndInjectsNothing) {
  auto p = make({"none"});
  Headers in = {{"traceparent", std::string(kTraceparent)}, {"baggage", "a=1"}};
  Context ctx = p->extract(RangeGetter<Headers>(in), Context());
  EXPECT_FALSE(ctx.span_context().is_valid());
  EXPECT_TRUE(ctx.baggage().empty());
  Context full = make({"tracecontext", "baggage"})->extract(RangeGetter<Headers>(in), Context());
  Headers out;
  PairVectorSetter setter(out);
  p->inject(setter, full);
  EXPECT_TRUE(out.empty());
}

TEST(FromNames, OnlyTheNamedPartsRun) {
  Headers in = {{"traceparent", std::string(kTraceparent)}, {"baggage", "a=1"}};
  Context tc = make({"tracecontext"})->extract(RangeGetter<Headers>(in), Context());
  EXPECT_TRUE(tc.span_context().is_valid());
  EXPECT_TRUE(tc.baggage().empty());
  Context bg = make({"baggage"})->extract(RangeGetter<Headers>(in), Context());
  EXPECT_FALSE(bg.span_context().is_valid());
  EXPECT_EQ(bg.baggage().get("a"), "1");
}

// ---- carriers -----------------------------------------------------------------------------------

template <class Carrier>
void extract_inject_through(Carrier in) {
  auto p = make({"tracecontext", "baggage"});
  Context ctx = p->extract(RangeGetter<Carrier>(in), Context());
  ASSERT_TRUE(ctx.span_context().is_valid());
  EXPECT_EQ(format_traceparent(ctx.span_context()), kTraceparent);
  EXPECT_EQ(ctx.span_context().trace_state().header(), "rojo=1,congo=2");
  EXPECT_EQ(ctx.baggage().get("userId"), "alice");
  EXPECT_EQ(ctx.baggage().get("serverNode"), "DF 28");
}

TEST(Carriers, StdMapWithMixedCaseNames) {
  extract_inject_through(Map{{"TraceParent", std::string(kTraceparent)},
                             {"TRACESTATE", "rojo=1,congo=2"},
                             {"Baggage", "userId=alice,serverNode=DF%2028"},
                             {"Content-Type", "text/plain"}});
}

TEST(Carriers, UnorderedMapWithMixedCaseNames) {
  extract_inject_through(UnorderedMap{{"traceParent", std::string(kTraceparent)},
                                      {"tracestate", "rojo=1,congo=2"},
                                      {"BAGGAGE", "userId=alice,serverNode=DF%2028"}});
}

TEST(Carriers, PairVectorWithRepeatedHeaders) {
  extract_inject_through(Headers{{"TRACEPARENT", std::string(kTraceparent)},
                                 {"Tracestate", "rojo=1"},
                                 {"baggage", "userId=alice"},
                                 {"tracestate", "congo=2"},
                                 {"BaGgAgE", "serverNode=DF%2028"}});
}

TEST(Carriers, SameHeaderInTwoCasesIsTwoHeaders) {
  auto p = make({"tracecontext"});
  Map in = {{"traceparent", std::string(kTraceparent)}, {"Traceparent", std::string(kTraceparent)}};
  EXPECT_FALSE(p->extract(RangeGetter<Map>(in), Context()).span_context().is_valid());
}

TEST(Carriers, GetterReportsAllValues) {
  Headers h = {{"a", "1"}, {"A", "2"}, {"b", "x"}, {"a", "3"}};
  RangeGetter<Headers> g(h);
  std::string_view out[2];
  EXPECT_EQ(g.get_all("a", out), 3u);
  EXPECT_EQ(out[0], "1");
  EXPECT_EQ(out[1], "2");
  EXPECT_EQ(g.get("b"), "x");
  EXPECT_FALSE(g.get("c"));
  EXPECT_EQ(g.get_all("c", out), 0u);
}

template <class M>
void inject_replaces_any_case() {
  M headers = {{"TraceParent", "old"}, {"TRACESTATE", "old=1"}, {"Baggage", "old=1"}, {"x", "y"}};
  auto p = make({"tracecontext", "baggage"});
  Headers in = {
      {"traceparent", std::string(kTraceparent)}, {"tracestate", "rojo=1"}, {"baggage", "k=v"}};
  Context ctx = p->extract(RangeGetter<Headers>(in), Context());
  MapSetter<M> setter(headers);
  p->inject(setter, ctx);
  EXPECT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers["traceparent"], kTraceparent);
  EXPECT_EQ(headers["tracestate"], "rojo=1");
  EXPECT_EQ(headers["baggage"], "k=v");
  EXPECT_EQ(headers["x"], "y");
}

TEST(Carriers, MapInjectReplacesAnyCase) {
  inject_replaces_any_case<Map>();
}

TEST(Carriers, UnorderedMapInjectReplacesAnyCase) {
  inject_replaces_any_case<UnorderedMap>();
}

TEST(Carriers, PairVectorInjectReplacesAnyCase) {
  Headers headers = {{"TraceParent", "old"}, {"x", "y"}, {"traceparent", "older"}};
  PairVectorSetter setter(headers);
  setter.set("traceparent", kTraceparent);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>("x", "y")));
  EXPECT_EQ(headers[1].second, kTraceparent);
}

TEST(Carriers, InvalidContextInjectsNothing) {
  auto p = make({"tracecontext", "baggage"});
  Map m;
  UnorderedMap u;
  Headers v;
  MapSetter<Map> ms(m);
  MapSetter<UnorderedMap> us(u);
  PairVectorSetter vs(v);
  p->inject(ms, Context());
  p->inject(us, Context());
  p->inject(vs, Context());
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(u.empty());
  EXPECT_TRUE(v.empty());
}

TEST(Carriers, BaggageWithoutSpanInjectsOnlyBaggage) {
  auto p = make({"tracecontext", "baggage"});
  Map m;
  MapSetter<Map> ms(m);
  p->inject(ms, Context().with_baggage(Baggage().set("k", "v")));
  EXPECT_EQ(m, (Map{{"baggage", "k=v"}}));
}

TEST(Carriers, IequalsIsAsciiOnly) {
  EXPECT_TRUE(iequals("TraceParent", "traceparent"));
  EXPECT_FALSE(iequals("traceparent", "traceparen"));
  EXPECT_FALSE(iequals("trace-parent", "trace_parent"));
  EXPECT_FALSE(iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit but are not letters
  EXPECT_FALSE(iequals("[", "{"));
}

// ---- the global propagator ----------------------------------------------------------------------

TEST(GlobalPropagator, DefaultIsTracecontextAndBaggage) {
  EXPECT_EQ(global_propagator().fields(),
            (std::vector<std::string>{"traceparent", "tracestate", "baggage"}));
}

TEST(GlobalPropagator, ConvenienceExtractAndInject) {
  Map in = {{"TraceParent", std::string(kTraceparent)}, {"Baggage", "k=v"}};
  Context ctx = extract(in, Context());
  ASSERT_TRUE(ctx.span_context().is_valid());
  EXPECT_EQ(ctx.baggage().get("k"), "v");
  UnorderedMap u;
  inject(u, ctx);
  EXPECT_EQ(u["traceparent"], kTraceparent);
  EXPECT_EQ(u["baggage"], "k=v");
  Headers v;
  inject(v, ctx);
  EXPECT_EQ(v.size(), 2u);
  // With no context given, the current one is used.
  {
    Scope scope(ctx);
    Map m;
    inject(m);
    EXPECT_EQ(m["traceparent"], kTraceparent);
    Context back = extract(m);
    EXPECT_EQ(back.span_context(), ctx.span_context());
  }
}

TEST(GlobalPropagator, ReplacementKeepsOldReferencesValid) {
  const TextMapPropagator& before = global_propagator();
  set_global_propagator(make({"none"}));
  EXPECT_TRUE(global_propagator().fields().empty());
  Map in = {{"traceparent", std::string(kTraceparent)}};
  EXPECT_FALSE(extract(in, Context()).span_context().is_valid());
  // The old one still works.
  EXPECT_TRUE(before.extract(RangeGetter<Map>(in), Context()).span_context().is_valid());
  set_global_propagator(nullptr);  // ignored
  EXPECT_TRUE(global_propagator().fields().empty());
  set_global_propagator(make({"tracecontext", "baggage"}));
  EXPECT_TRUE(extract(in, Context()).span_context().is_valid());
}

TEST(GlobalPropagator, ReplacedWhileInUse) {
  // Readers on other threads keep using whichever propagator they loaded; none is freed.
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      Map in = {{"traceparent", std::string(kTraceparent)}};
      while (!stop.load()) {
        Context ctx = extract(in, Context());
        if (ctx.span_context().is_valid()) {
          EXPECT_EQ(format_traceparent(ctx.span_context()), kTraceparent);
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i)
    set_global_propagator(make({i % 2 ? "tracecontext" : "none"}));
  stop = true;
  for (auto& r : readers)
    r.join();
  set_global_propagator(make({"tracecontext", "baggage"}));
}

// A propagator of the application's own, which reads a header it does not list in fields().
class PrefixPropagator final : public TextMapPropagator {
 public:
  Context extract(const TextMapGetter& carrier, const Context& context) const noexcept override {
    std::string_view v[1];
    return carrier.get_all("x-app-parent", v) ? context.with_baggage(Baggage().set("app", v[0]))
                                              : context;
  }
  void inject(TextMapSetter&, const Context&) const noexcept override {}
  std::vector<std::string> fields() const override { return {}; }
};

TEST(GlobalPropagator, ExtractionFieldsOnlyForTracekitsOwn) {
  set_global_propagator(make({"tracecontext", "baggage"}));
  const auto* fields = global_extraction_fields();
  ASSERT_NE(fields, nullptr);
  EXPECT_EQ(*fields, (std::vector<std::string>{"traceparent", "tracestate", "baggage"}));

  // An application's propagator may read anything: extraction cannot be skipped for it, alone
  // or inside a composite.
  set_global_propagator(std::make_unique<PrefixPropagator>());
  EXPECT_EQ(global_extraction_fields(), nullptr);
  std::vector<std::unique_ptr<TextMapPropagator>> parts;
  parts.push_back(std::make_unique<TraceContextPropagator>());
  parts.push_back(std::make_unique<PrefixPropagator>());
  set_global_propagator(std::make_unique<CompositePropagator>(std::move(parts)));
  EXPECT_EQ(global_extraction_fields(), nullptr);

  // "none" reads nothing.
  set_global_propagator(make({"none"}));
  ASSERT_NE(global_extraction_fields(), nullptr);
  EXPECT_TRUE(global_extraction_fields()->empty());

  set_global_propagator(make({"baggage"}));
  ASSERT_NE(global_extraction_fields(), nullptr);
  EXPECT_EQ(*global_extraction_fields(), std::vector<std::string>{"baggage"});
  // The vector handed out before stays valid after a replacement.
  EXPECT_EQ(fields->size(), 3u);
  set_global_propagator(make({"tracecontext", "baggage"}));
}

TEST(GlobalPropagator, ConfigureTracingSetsIt) {
  Config config;  // tracing disabled: only the propagators are set
  config.propagators = {Kind::kBaggage};
  ASSERT_TRUE(configure_tracing(config).ok());
  EXPECT_EQ(global_propagator().fields(), std::vector<std::string>{"baggage"});
  config.propagators = {};
  ASSERT_TRUE(configure_tracing(config).ok());
  EXPECT_TRUE(global_propagator().fields().empty()) << "none: no propagation";
  config.propagators = {Kind::kTraceContext, Kind::kBaggage};
  ASSERT_TRUE(configure_tracing(config).ok());
}

// ---- through the SDK ----------------------------------------------------------------------------

struct Sdk {
  std::shared_ptr<InMemorySpanStore> store = std::make_shared<InMemorySpanStore>();
  std::unique_ptr<TracerProvider> provider;
  Sdk() {
    TracerProviderOptions o;
    o.processors.push_back(
        std::make_unique<SimpleSpanProcessor>(std::make_unique<InMemorySpanExporter>(store)));
    provider = std::make_unique<TracerProvider>(std::move(o));
  }
  Tracer& tracer() { return provider->get_tracer("propagation-test"); }
};

TEST(Sdk, ChildOfExtractedContext) {
  Sdk sdk;
  auto p = make({"tracecontext", "baggage"});
  Headers in = {{"traceparent", std::string(kTraceparent)},
                {"tracestate", "congo=t61rcWkgMzE"},
                {"baggage", "userId=alice"}};
  Context incoming = p->extract(RangeGetter<Headers>(in), Context());
  Headers out;
  SpanId child_id;
  {
    Span server =
        sdk.tracer().start_span("server", {.kind = SpanKind::kServer, .parent = incoming});
    ASSERT_TRUE(server.is_recording());
    child_id = server.context().span_id();
    EXPECT_FALSE(server.context().is_remote());
    Context outgoing = incoming.with_span(server);
    PairVectorSetter setter(out);
    p->inject(setter, outgoing);
  }
  ASSERT_EQ(sdk.store->size(), 1u);
  auto span = sdk.store->find("server");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->context().trace_id().to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span->parent_span_id().to_hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(span->has_remote_parent());
  EXPECT_TRUE(span->context().is_sampled());
  EXPECT_EQ(span->context().trace_state().header(), "congo=t61rcWkgMzE");

  Map outm(out.begin(), out.end());
  EXPECT_EQ(outm["traceparent"],
            "00-4bf92f3577b34da6a3ce929d0e0e4736-" + child_id.to_hex() + "-01");
  EXPECT_EQ(outm["tracestate"], "congo=t61rcWkgMzE");
  EXPECT_EQ(outm["baggage"], "userId=alice");
}

TEST(Sdk, UnsampledParentGivesUnsampledChild) {
  Sdk sdk;
  auto p = make({"tracecontext"});
  Headers in = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"},
                {"tracestate", "rojo=1"}};
  Context incoming = p->extract(RangeGetter<Headers>(in), Context());
  Map out;
  {
    Span s = sdk.tracer().start_span("server", {.parent = incoming});
    EXPECT_FALSE(s.is_recording());
    MapSetter<Map> setter(out);
    p->inject(setter, incoming.with_span(s));
    EXPECT_NE(s.context().span_id().to_hex(), "00f067aa0ba902b7");
  }
  EXPECT_EQ(sdk.store->size(), 0u);
  ASSERT_EQ(out["traceparent"].size(), kTraceparentSize);
  EXPECT_EQ(out["traceparent"].substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  EXPECT_EQ(out["traceparent"].substr(53), "00");
  EXPECT_EQ(out["tracestate"], "rojo=1");
}

TEST(Sdk, TracestatePassesToGrandchildren) {
  Sdk sdk;
  Headers in = {{"traceparent", std::string(kTraceparent)}, {"tracestate", "a=1,b=2"}};
  Context incoming = TraceContextPropagator().extract(RangeGetter<Headers>(in), Context());
  {
    Span parent = sdk.tracer().start_span("parent", {.parent = incoming});
    Span child = sdk.tracer().start_span("child", {.parent = parent});
    EXPECT_EQ(child.context().trace_state().header(), "a=1,b=2");
    EXPECT_EQ(child.context().trace_id(), incoming.span_context().trace_id());
  }
  auto child = sdk.store->find("child");
  ASSERT_TRUE(child);
  EXPECT_FALSE(child->has_remote_parent());
  EXPECT_EQ(child->parent_span_id(), sdk.store->find("parent")->context().span_id());
}

TEST(Sdk, InvalidIncomingHeaderStartsANewTrace) {
  Sdk sdk;
  Headers in = {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
                {"tracestate", "a=1"}};
  Context incoming = make({"tracecontext"})->extract(RangeGetter<Headers>(in), Context());
  { Span s = sdk.tracer().start_span("root", {.parent = incoming}); }
  auto span = sdk.store->find("root");
  ASSERT_TRUE(span);
  EXPECT_TRUE(span->context().is_valid());
  EXPECT_FALSE(span->parent_span_id().is_valid());
  EXPECT_FALSE(span->has_remote_parent());
  EXPECT_TRUE(span->context().trace_state().empty());
}

TEST(Sdk, RandomFlagFollowsTheTrace) {
  // Level 2: a continued trace keeps what its parent said about trace-id randomness; a trace
  // started here has random ids and says so.
  Sdk sdk;
  TraceContextPropagator p;
  for (auto [incoming_flags, outgoing_flags] : {std::pair{"01", "01"}, std::pair{"03", "03"}}) {
    Headers in = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" +
                                      std::string(incoming_flags)}};
    Context incoming = p.extract(RangeGetter<Headers>(in), Context());
    Span s = sdk.tracer().start_span("child", {.parent = incoming});
    Map out;
    MapSetter<Map> setter(out);
    p.inject(setter, incoming.with_span(s));
    EXPECT_EQ(out["traceparent"].substr(53), outgoing_flags) << incoming_flags;
  }
  Span root = sdk.tracer().start_span("root", {.parent = Parent::root()});
  Map out;
  MapSetter<Map> setter(out);
  p.inject(setter, Context().with_span(root));
  EXPECT_EQ(out["traceparent"].substr(53), "03");
}

TEST(Sdk, NoOpTracerStillPropagates) {
  // Without an SDK the span carries the incoming context through, so a pass-through service
  // forwards traceparent unchanged (the spec: no mutation without a new parent-id).
  ASSERT_EQ(global_tracer_provider(), nullptr) << "no SDK is configured in this test binary";
  Tracer& noop = get_tracer("noop");
  Headers in = {{"traceparent", std::string(kTraceparent)}, {"tracestate", "a=1"}};
  Context incoming = TraceContextPropagator().extract(RangeGetter<Headers>(in), Context());
  Span s = noop.start_span("x", {.parent = incoming});
  Map out;
  MapSetter<Map> setter(out);
  TraceContextPropagator().inject(setter, incoming.with_span(s));
  EXPECT_EQ(out["traceparent"], kTraceparent);
  EXPECT_EQ(out["tracestate"], "a=1");
}

}  // namespace
}  // namespace tracekit::propagation
