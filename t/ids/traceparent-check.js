// traceparent-check.js - read a traceparent with OpenTelemetry's own W3C
// Trace Context propagator (@opentelemetry/core, installed by
// tools/install-deps into build/otel) and print what it makes of it:
//   valid <trace id> <span id> <flags>   or   invalid
// Usage: NODE_PATH=build/otel/node_modules node traceparent-check.js TP
const api = require('@opentelemetry/api');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');

const ctx = new W3CTraceContextPropagator().extract(
    api.ROOT_CONTEXT, { traceparent: process.argv[2] },
    api.defaultTextMapGetter);
const sc = api.trace.getSpanContext(ctx);
console.log(sc && api.isSpanContextValid(sc)
    ? `valid ${sc.traceId} ${sc.spanId} ${sc.traceFlags}` : 'invalid');
