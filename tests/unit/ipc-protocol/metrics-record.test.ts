// isPlainMetricsRecord stands in for zod's metricsSchema on METRICS_REPLY and OVERLAY_METRICS_RESPONSE: whatever it
// accepts, zod accepts unchanged (same keys in the same order, same values), so the bytes on the wire are the same;
// whatever it declines, zod decides, with its own error.
import { expect } from 'chai';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  MAX_METRIC_KEY_LENGTH,
  ProtocolError,
  decodeAs,
  encodePayload,
  isPlainMetricsRecord,
  metricsSchema,
} from '#ipc-protocol';

/** The encoding zod's path wrote (fields.ts msgpack: zod's output, packed with the same options). */
const packr = new Packr({ useRecords: false, variableMapSize: true });

const keys = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: MAX_METRIC_KEY_LENGTH - 1, maxLength: MAX_METRIC_KEY_LENGTH + 1 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', '0', '42', '-1', '1.5', ''),
);
const values = fc.oneof(
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 30 },
  fc.double(),
  fc.integer(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, Number.MAX_VALUE),
  fc.string({ maxLength: 3 }),
  fc.bigInt(),
  fc.constant(null),
  fc.boolean(),
);
/** Records as JSON.parse or msgpackr make them (own data properties, `__proto__` included), and other values. */
const candidates = fc.oneof(
  fc.array(fc.tuple(keys, values), { maxLength: 12 }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
  fc.array(fc.double()),
  fc.constantFrom(null, undefined, 3, 'x', new Map([['a', 1]]), Object.assign(Object.create(null), { a: 1 })),
);

describe('ipc-protocol isPlainMetricsRecord', () => {
  it('accepts only what metricsSchema accepts unchanged: same keys, order and values', () => {
    let accepted = 0;
    fc.assert(
      fc.property(candidates, (v) => {
        if (!isPlainMetricsRecord(v)) return;
        if (Object.keys(v).length > 0) accepted++;
        const parsed = metricsSchema.safeParse(v);
        expect(parsed.success).to.equal(true);
        expect(Object.keys(parsed.data!)).to.deep.equal(Object.keys(v));
        expect(parsed.data).to.deep.equal(v);
        expect(Buffer.from(packr.pack(v)).equals(Buffer.from(packr.pack(parsed.data)))).to.equal(true);
      }),
      { numRuns: 2000 },
    );
    expect(accepted, 'non-empty records accepted').to.be.greaterThan(100);
  });

  it('accepts the records the overlay builds, and declines each kind of fault', () => {
    expect(isPlainMetricsRecord({ 'overlay_ipc_frames_total{direction=in,type=SUBMIT_TX}': 3, b: -0.5, c: 0 })).to.equal(true);
    expect(isPlainMetricsRecord({})).to.equal(true);
    const faults: unknown[] = [
      { a: NaN },
      { a: Infinity },
      { a: '1' },
      { a: 1n },
      { ['k'.repeat(MAX_METRIC_KEY_LENGTH + 1)]: 1 },
      JSON.parse('{"__proto__": 1}'),
      { [Symbol('s')]: 1 },
      Object.assign(Object.create(null), { a: 1 }),
      [1, 2],
      null,
      undefined,
    ];
    for (const [i, f] of faults.entries()) expect(isPlainMetricsRecord(f), `fault ${i}`).to.equal(false);
    expect(isPlainMetricsRecord({ ['k'.repeat(MAX_METRIC_KEY_LENGTH)]: 1 })).to.equal(true);
  });

  it('leaves the verdict on declined values to zod: METRICS_REPLY refuses them with its message, on both sides', () => {
    expect(() => encodePayload({ type: 'METRICS_REPLY', requestId: 1n, metrics: { a: NaN } })).to.throw(ProtocolError, /metrics\.a|a:/);
    const bad = Buffer.concat([Buffer.alloc(8), packr.pack({ a: 'x' })]);
    expect(() => decodeAs('METRICS_REPLY', bad)).to.throw(ProtocolError, /does not match its schema/);
    // A null-prototype record is declined by the shortcut but accepted by zod, as before.
    const nullProto = Object.assign(Object.create(null) as Record<string, number>, { a: 1 });
    const round = decodeAs('METRICS_REPLY', encodePayload({ type: 'METRICS_REPLY', requestId: 2n, metrics: nullProto }));
    expect(round.metrics).to.deep.equal({ a: 1 });
  });

  it("writes the bytes zod's path wrote, and V2 JSON likewise", () => {
    const metrics = { overlay_peers: 3, 'overlay_x{a=b}': 1.25, overlay_big: 2 ** 40, neg: -7 };
    const payload = encodePayload({ type: 'METRICS_REPLY', requestId: 9n, metrics });
    expect(Buffer.from(payload.subarray(8)).equals(Buffer.from(packr.pack(metricsSchema.parse(metrics))))).to.equal(true);
    const json = encodePayload({ type: 'OVERLAY_METRICS_RESPONSE', metrics });
    expect(Buffer.from(json).toString('utf8')).to.equal(JSON.stringify(metricsSchema.parse(metrics)));
  });
});
