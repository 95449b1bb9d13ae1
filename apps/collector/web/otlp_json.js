// SPDX-License-Identifier: Apache-2.0
// A trace as OTLP/JSON (an ExportTraceServiceRequest, as /v1/traces takes it) and back: for the
// download button and for opening a dropped file. Spans are grouped by resource and scope.

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];

function kindName(kind) {
  if (typeof kind === 'number') return KINDS[kind] || 'UNSPECIFIED';
  const k = String(kind || '').replace(/^SPAN_KIND_/, '');
  return KINDS.includes(k) ? k : 'UNSPECIFIED';
}

function statusName(code) {
  if (typeof code === 'number') return STATUS[code] || 'UNSET';
  const c = String(code || '').replace(/^STATUS_CODE_/, '');
  return STATUS.includes(c) ? c : 'UNSET';
}

// The viewer's spans (as /api/traces/{id} gives them) as an OTLP/JSON request body.
export function toOtlpJson(spans) {
  const groups = new Map();
  for (const s of spans) {
    const key = JSON.stringify([s.resource, s.scope]);
    if (!groups.has(key)) groups.set(key, { resource: s.resource, scope: s.scope, spans: [] });
    groups.get(key).spans.push({
      traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, traceState: s.traceState,
      flags: s.flags, name: s.name, kind: KINDS.indexOf(kindName(s.kind)),
      startTimeUnixNano: s.startTimeUnixNano, endTimeUnixNano: s.endTimeUnixNano,
      attributes: s.attributes, droppedAttributesCount: s.droppedAttributesCount,
      events: s.events, droppedEventsCount: s.droppedEventsCount,
      links: s.links, droppedLinksCount: s.droppedLinksCount,
      status: { code: STATUS.indexOf(statusName(s.status.code)), message: s.status.message },
    });
  }
  return {
    resourceSpans: [...groups.values()].map((g) => ({
      resource: g.resource, scopeSpans: [{ scope: g.scope, spans: g.spans }],
    })),
  };
}

// An OTLP/JSON request body as the viewer's spans; throws an Error that says what is wrong.
// Ids may be hex (OTLP/JSON) — base64 ids (protobuf's JSON mapping) are not accepted.
export function fromOtlpJson(body) {
  if (!body || !Array.isArray(body.resourceSpans)) {
    throw new Error('not OTLP/JSON traces: there is no resourceSpans array');
  }
  const spans = [];
  for (const rs of body.resourceSpans) {
    const resource = rs.resource || { attributes: [] };
    resource.attributes = resource.attributes || [];
    const nameAttr = resource.attributes.find((kv) => kv.key === 'service.name');
    const service = (nameAttr && nameAttr.value && nameAttr.value.stringValue) || 'unknown_service';
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        if (!/^[0-9a-fA-F]{32}$/.test(s.traceId || '') || !/^[0-9a-fA-F]{16}$/.test(s.spanId || '')) {
          throw new Error(`span "${s.name}" has no hex traceId (32 digits) and spanId (16 digits)`);
        }
        if (!/^\d+$/.test(String(s.startTimeUnixNano)) || !/^\d+$/.test(String(s.endTimeUnixNano))) {
          throw new Error(`span "${s.name}" has no startTimeUnixNano and endTimeUnixNano`);
        }
        const start = BigInt(s.startTimeUnixNano);
        const end = BigInt(s.endTimeUnixNano);
        spans.push({
          traceId: s.traceId.toLowerCase(), spanId: s.spanId.toLowerCase(),
          parentSpanId: (s.parentSpanId || '').toLowerCase(), name: String(s.name || ''),
          kind: kindName(s.kind), service,
          startTimeUnixNano: String(start), endTimeUnixNano: String(end),
          durationNs: String(end > start ? end - start : 0n),
          status: { code: statusName(s.status && s.status.code), message: (s.status && s.status.message) || '' },
          traceState: s.traceState || '', flags: s.flags || 0, scope: ss.scope || {},
          attributes: s.attributes || [], events: s.events || [], links: s.links || [], resource,
          droppedAttributesCount: s.droppedAttributesCount || 0,
          droppedEventsCount: s.droppedEventsCount || 0, droppedLinksCount: s.droppedLinksCount || 0,
        });
      }
    }
  }
  if (!spans.length) throw new Error('the file holds no spans');
  return spans;
}
