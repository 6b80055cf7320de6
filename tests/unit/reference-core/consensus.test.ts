// The consensus state machine driven by real signed SCP envelopes (ScpSigner → parseEnvelope), one input at a time.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Keypair, Networks } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { Consensus, defaultThreshold, MAX_FUTURE_SLOTS, type Action, type ScpMessage } from '../../../core-bridge/src/reference-core/consensus.ts';
import { parseEnvelope } from '../../../core-bridge/src/reference-core/scp-messages.ts';
import { encodeValue } from '../../../core-bridge/src/reference-core/stellar-value.ts';
import { quorumSetXdr, ScpSigner } from '../../../core-bridge/src/scp/envelopes.ts';

const NETWORK_ID = networkIdOf(Networks.TESTNET);
const PERIOD = 1000;

const seeds = Array.from({ length: 4 }, (_, i) =>
  Keypair.fromRawEd25519Seed(createHash('sha256').update(`consensus test validator ${i}`).digest()).secret(),
);
const signers = seeds.map((s) => new ScpSigner(s, NETWORK_ID));
const keys = signers.map((s) => s.publicKey).sort();
const signerOf = (key: string) => signers.find((s) => s.publicKey === key)!;
const qsetHash = createHash('sha256').update(quorumSetXdr(3, keys)).digest();

const value = (n: number) => encodeValue({ txSetHash: createHash('sha256').update(`set ${n}`).digest(), closeTime: 1000 + n });

function nominate(key: string, slot: number, v: Buffer): ScpMessage {
  return parseEnvelope(signerOf(key).nominate(BigInt(slot), [v], [], qsetHash)) as ScpMessage;
}

function externalize(key: string, slot: number, v: Buffer, round = 0): ScpMessage {
  return parseEnvelope(signerOf(key).externalize(BigInt(slot), v, qsetHash, round + 1)) as ScpMessage;
}

function types(actions: Action[]): string[] {
  return actions.map((a) => a.type);
}

/** A machine for validator `key`, last closed ledger 1 (genesis), clock at 0: slot 2 starts at t = 0. */
function machine(key: string, threshold = 3) {
  return new Consensus({ self: key, validators: [...keys].reverse(), threshold, periodMs: PERIOD, lastClosed: 1, now: 0 });
}

describe('reference-core/scp-messages', () => {
  it('reads nominations, externalizations (round = counter - 1) and vote-less nominations as catch-up requests', () => {
    const v = value(0);
    expect(parseEnvelope(signers[0]!.nominate(5n, [v], [], qsetHash))).to.deep.equal({ kind: 'nominate', node: signers[0]!.publicKey, slot: 5, value: v });
    expect(parseEnvelope(signers[1]!.externalize(6n, v, qsetHash, 3))).to.deep.equal({
      kind: 'externalize',
      node: signers[1]!.publicKey,
      slot: 6,
      round: 2,
      value: v,
    });
    expect(parseEnvelope(signers[2]!.nominate(7n, [], [Buffer.alloc(8)], qsetHash))).to.deep.equal({ kind: 'catchUp', node: signers[2]!.publicKey, slot: 7 });
    expect(parseEnvelope(Buffer.from('not xdr'))).to.equal(null);
  });
});

describe('reference-core/consensus', () => {
  it('picks leader validators[(slot + round) mod n] over the sorted keys; threshold ⌊2n/3⌋+1', () => {
    const c = machine(keys[0]!);
    expect(c.leader(2, 0)).to.equal(keys[2]);
    expect(c.leader(2, 1)).to.equal(keys[3]);
    expect(c.leader(2, 2)).to.equal(keys[0]);
    expect(c.leader(7, 0)).to.equal(keys[3]);
    expect([1, 2, 3, 4, 7, 10].map(defaultThreshold)).to.deep.equal([1, 2, 3, 3, 5, 7]);
  });

  it("the leader builds at the slot's start, nominates and votes; threshold votes decide the slot", () => {
    const leader = keys[2]!; // slot 2, round 0
    const c = machine(leader);
    expect(c.nextWakeAt()).to.equal(0);
    expect(c.tick(0)).to.deep.equal([{ type: 'build', slot: 2, round: 0 }]);
    const v = value(1);
    const acts = c.proposed(2, 0, v);
    expect(types(acts)).to.deep.equal(['nominate', 'externalize']);
    expect(acts[1]).to.deep.include({ slot: 2, round: 0 });
    expect(c.receive(externalize(keys[0]!, 2, v), 10)).to.deep.equal([]);
    const decided = c.receive(externalize(keys[1]!, 2, v), 11);
    expect(decided).to.deep.equal([{ type: 'decide', slot: 2, value: v }]);
    // Further votes change nothing; the slot waits for `closed`.
    expect(c.receive(externalize(keys[3]!, 2, v), 12)).to.deep.equal([]);
  });

  it("a validator votes for its round leader's nomination once it is validated, and ignores other nominators", () => {
    const c = machine(keys[0]!);
    c.tick(0);
    const v = value(2);
    expect(c.receive(nominate(keys[1]!, 2, value(9)), 5)).to.deep.equal([]);
    expect(c.receive(nominate(keys[2]!, 2, v), 5)).to.deep.equal([{ type: 'validate', slot: 2, round: 0, value: v }]);
    // The same nomination again (gossip repair) does not validate twice.
    expect(c.receive(nominate(keys[2]!, 2, v), 6)).to.deep.equal([]);
    expect(c.validated(2, 0, v, true)).to.deep.equal([{ type: 'externalize', slot: 2, round: 0, value: v }]);
  });

  it('does not vote for a value that failed validation; the round then times out undecided', () => {
    const c = machine(keys[0]!);
    c.tick(0);
    const v = value(3);
    c.receive(nominate(keys[2]!, 2, v), 5);
    expect(c.validated(2, 0, v, false)).to.deep.equal([]);
    expect(c.tick(2 * PERIOD)).to.deep.equal([{ type: 'roundChange', slot: 2, round: 1, reason: 'no_decision' }]);
  });

  it('counts distinct validators only: repeats and non-validators add nothing', () => {
    const c = machine(keys[0]!);
    const v = value(4);
    const outsider = new ScpSigner(Keypair.random().secret(), NETWORK_ID);
    const foreign = parseEnvelope(outsider.externalize(2n, v, qsetHash, 1)) as ScpMessage;
    expect(c.receive(externalize(keys[1]!, 2, v), 1)).to.deep.equal([]);
    expect(c.receive(externalize(keys[1]!, 2, v, 3), 1)).to.deep.equal([]);
    expect(c.receive(foreign, 1)).to.deep.equal([]);
    expect(c.receive(externalize(keys[2]!, 2, value(5)), 1)).to.deep.equal([]);
    expect(c.currentVotes().get(v.toString('hex'))).to.equal(1);
    expect(types(c.receive(externalize(keys[2]!, 2, v), 1))).to.deep.equal([]);
    expect(types(c.receive(externalize(keys[3]!, 2, v), 1))).to.deep.equal(['decide']);
  });

  it("moves to the next round and leader after 2 periods without a nomination; that leader carries the most-voted value", () => {
    const c = machine(keys[3]!); // round 1 of slot 2 is ours
    expect(c.tick(0)).to.deep.equal([]);
    expect(c.tick(2 * PERIOD - 1)).to.deep.equal([]);
    expect(c.tick(2 * PERIOD)).to.deep.equal([
      { type: 'roundChange', slot: 2, round: 1, reason: 'no_nomination' },
      { type: 'build', slot: 2, round: 1 },
    ]);
    // Round 2: keys[0] leads; round 3: keys[1]; round 4 (= slot + round ≡ 2): keys[2]; round 5: ours again.
    const v = value(6);
    c.receive(externalize(keys[0]!, 2, v, 0), 2 * PERIOD + 1);
    expect(types(c.tick(4 * PERIOD))).to.deep.equal(['roundChange']);
    expect(types(c.tick(6 * PERIOD))).to.deep.equal(['roundChange']);
    expect(types(c.tick(8 * PERIOD))).to.deep.equal(['roundChange']);
    expect(c.tick(10 * PERIOD)).to.deep.equal([
      { type: 'roundChange', slot: 2, round: 5, reason: 'no_nomination' },
      { type: 'nominate', slot: 2, round: 5, value: v },
      { type: 'validate', slot: 2, round: 5, value: v },
    ]);
  });

  it("follows a nomination from the next round's leader (its clock ran ahead) and votes once per round", () => {
    const c = machine(keys[0]!);
    c.tick(0);
    const a = value(7);
    const b = value(8);
    c.receive(nominate(keys[2]!, 2, a), 1);
    expect(types(c.validated(2, 0, a, true))).to.deep.equal(['externalize']);
    const acts = c.receive(nominate(keys[3]!, 2, b), 2);
    expect(acts).to.deep.equal([
      { type: 'roundChange', slot: 2, round: 1, reason: 'leader_ahead' },
      { type: 'validate', slot: 2, round: 1, value: b },
    ]);
    expect(c.validated(2, 1, b, true)).to.deep.equal([{ type: 'externalize', slot: 2, round: 1, value: b }]);
    // A late validation for an earlier round does not vote again.
    expect(c.validated(2, 0, a, true)).to.deep.equal([]);
  });

  it('buffers envelopes for later slots and processes them in order once the slot before closed', () => {
    const c = machine(keys[0]!);
    c.tick(0);
    const v2 = value(10);
    const v3 = value(11);
    // Slot 3 (leader keys[3]) traffic arrives before slot 2 is decided.
    expect(c.receive(nominate(keys[3]!, 3, v3), 1)).to.deep.equal([]);
    expect(c.receive(externalize(keys[1]!, 3, v3), 1)).to.deep.equal([]);
    for (const k of [keys[1]!, keys[2]!]) c.receive(externalize(k, 2, v2), 2);
    expect(types(c.receive(externalize(keys[3]!, 2, v2), 3))).to.deep.equal(['decide']);
    const next = c.closed(2, 1500);
    expect(c.slot).to.equal(3);
    expect(next).to.deep.equal([{ type: 'validate', slot: 3, round: 0, value: v3 }]);
    expect(types(c.validated(3, 0, v3, true))).to.deep.equal(['externalize']);
    expect(types(c.receive(externalize(keys[2]!, 3, v3), 1600))).to.deep.equal(['decide']);
  });

  it('decides at once a slot whose votes were buffered while behind, and reports being behind', () => {
    const c = machine(keys[0]!);
    const v2 = value(12);
    const v3 = value(13);
    const acts: Action[] = [];
    for (const k of [keys[1]!, keys[2]!]) acts.push(...c.receive(externalize(k, 3, v3), 1));
    acts.push(...c.receive(externalize(keys[3]!, 3, v3), 1));
    expect(acts).to.deep.equal([{ type: 'behind', slot: 2, networkSlot: 3 }]);
    for (const k of [keys[1]!, keys[2]!, keys[3]!]) acts.push(...c.receive(externalize(k, 2, v2), 2));
    expect(acts.at(-1)).to.deep.equal({ type: 'decide', slot: 2, value: v2 });
    expect(c.closed(2, 3)).to.deep.equal([{ type: 'decide', slot: 3, value: v3 }]);
  });

  it('starts the next slot on the period grid, at once after a late close (then back on the grid), and drops envelopes too far ahead', () => {
    const c = machine(keys[0]!);
    for (const k of [keys[1]!, keys[2]!, keys[3]!]) c.receive(externalize(k, 2, value(14)), 1);
    c.closed(2, 300);
    expect(c.slotStartAt).to.equal(1000);
    expect(c.nextWakeAt()).to.equal(1000);
    for (const k of [keys[1]!, keys[2]!, keys[3]!]) c.receive(externalize(k, 3, value(18)), 1100);
    c.closed(3, 2234);
    expect(c.slotStartAt).to.equal(2234);
    expect(c.nextWakeAt()).to.equal(2234);
    for (const k of [keys[1]!, keys[2]!, keys[3]!]) c.receive(externalize(k, 4, value(19)), 2300);
    c.closed(4, 2500);
    expect(c.slotStartAt).to.equal(3000);
    // Slot 5 decided by the others before our start at 3000 (we followed them): the next slot is at 3000, not 4000.
    for (const k of [keys[1]!, keys[2]!, keys[3]!]) c.receive(externalize(k, 5, value(20)), 2600);
    c.closed(5, 2700);
    expect(c.slotStartAt).to.equal(3000);
    c.receive(nominate(keys[0]!, 6 + MAX_FUTURE_SLOTS + 1, value(15)), 2800);
    expect(c.dropped).to.equal(1);
    expect(c.sizes()).to.deep.equal({ talliedSlots: 0, pendingNominations: 0 });
  });

  it('ignores envelopes for slots already closed', () => {
    const c = machine(keys[0]!);
    for (const k of [keys[1]!, keys[2]!, keys[3]!]) c.receive(externalize(k, 2, value(16)), 1);
    c.closed(2, 10);
    expect(c.receive(externalize(keys[1]!, 2, value(17)), 11)).to.deep.equal([]);
    expect(c.receive(nominate(keys[2]!, 2, value(17)), 11)).to.deep.equal([]);
    expect(c.sizes().talliedSlots).to.equal(0);
  });
});
