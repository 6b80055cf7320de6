import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FrameDecoder, FrameWriter, decodeMessage, type FrameSink, type Message } from '#ipc-protocol';
import { waitFor } from '../../helpers/wait.ts';

class MemorySink implements FrameSink {
  chunks: Buffer[] = [];
  ready = true;
  write(chunk: Uint8Array): boolean {
    this.chunks.push(Buffer.from(chunk));
    return this.ready;
  }
}

/** A sink that, like net.Socket, takes a callback and says when it is done with a chunk. */
class CallbackSink implements FrameSink {
  chunks: Buffer[] = [];
  copies: Buffer[] = [];
  pending: ((err?: Error | null) => void)[] = [];
  write(chunk: Uint8Array, done?: (err?: Error | null) => void): boolean {
    this.chunks.push(chunk as Buffer);
    this.copies.push(Buffer.from(chunk));
    if (done !== undefined) this.pending.push(done);
    return true;
  }
  finish(err?: Error): void {
    for (const done of this.pending.splice(0)) done(err);
  }
}

function sendMany(writer: FrameWriter, from: number, n: number): void {
  for (let i = from; i < from + n; i++) writer.send({ type: 'GET_TOP_TXS', count: i });
}

function counts(chunk: Uint8Array): number[] {
  const got: number[] = [];
  new FrameDecoder().push(chunk, (t, p) => {
    const m = decodeMessage(t, p);
    got.push(m.type === 'GET_TOP_TXS' ? m.count : -1);
  });
  return got;
}

function untilFlushed(writer: FrameWriter): Promise<void> {
  return new Promise((resolve) => setImmediate(() => (writer.pendingBytes === 0 ? resolve() : resolve(untilFlushed(writer)))));
}

describe('FrameWriter', () => {
  it('coalesces the frames of one tick into one sink write', async () => {
    const sink = new MemorySink();
    const writer = new FrameWriter(sink);
    for (let i = 0; i < 1000; i++) writer.send({ type: 'GET_TOP_TXS', count: i });
    expect(sink.chunks).to.have.length(0);
    await untilFlushed(writer);
    expect(sink.chunks).to.have.length(1);
    expect(writer.framesWritten).to.equal(1000);
    const got: Message[] = [];
    new FrameDecoder().push(sink.chunks[0]!, (t, p) => got.push(decodeMessage(t, p)));
    expect(got.map((m) => (m.type === 'GET_TOP_TXS' ? m.count : -1))).to.deep.equal([...Array(1000).keys()]);
  });

  it('grows past its slab for a large frame', () => {
    const sink = new MemorySink();
    const writer = new FrameWriter(sink, { slabSize: 1024, schedule: () => {} });
    writer.send({ type: 'BROADCAST_SCP', envelope: Buffer.alloc(100_000, 1) });
    writer.flush();
    expect(sink.chunks[0]!.length).to.equal(100_008);
  });

  it('writes nothing for a message it cannot encode, and keeps the frames before it', () => {
    const sink = new MemorySink();
    const writer = new FrameWriter(sink, { schedule: () => {} });
    writer.send({ type: 'GET_TOP_TXS', count: 1 });
    expect(() => writer.send({ type: 'REQUEST_TX_SET', hash: new Uint8Array(3) })).to.throw();
    writer.flush();
    expect(sink.chunks[0]!.length).to.equal(12);
  });

  it('reports a sink that wants to drain', () => {
    const sink = new MemorySink();
    sink.ready = false;
    const writer = new FrameWriter(sink, { schedule: () => {} });
    writer.send({ type: 'SHUTDOWN' });
    writer.flush();
    expect(writer.sinkReady).to.equal(false);
  });

  it('drops everything after close', () => {
    const sink = new MemorySink();
    const writer = new FrameWriter(sink, { schedule: () => {} });
    writer.send({ type: 'SHUTDOWN' });
    writer.close();
    writer.send({ type: 'SHUTDOWN' });
    writer.flush();
    expect(sink.chunks).to.have.length(0);
  });

  describe('slab reuse', () => {
    it('writes into a slab again once the sink has called back', () => {
      const sink = new CallbackSink();
      const writer = new FrameWriter(sink, { slabSize: 4096, schedule: () => {} });
      sendMany(writer, 0, 100);
      writer.flush(); // chunk 0 from slab A; the writer moves on to a new slab B
      sink.finish(); // A comes back
      sendMany(writer, 100, 100);
      writer.flush(); // chunk 1 from B; the writer moves on to A
      expect(writer.slabsReused).to.equal(1);
      sendMany(writer, 200, 100);
      writer.flush(); // chunk 2 from A
      expect(sink.chunks[2]!.buffer).to.equal(sink.chunks[0]!.buffer);
      expect(sink.chunks[2]!.byteOffset).to.equal(sink.chunks[0]!.byteOffset);
      expect(counts(sink.chunks[2]!)).to.deep.equal([...Array(100).keys()].map((i) => i + 200));
      expect(counts(sink.copies[0]!)).to.deep.equal([...Array(100).keys()]);
    });

    it('never touches a chunk the sink still holds', () => {
      const sink = new CallbackSink();
      const writer = new FrameWriter(sink, { slabSize: 4096, schedule: () => {} });
      for (let round = 0; round < 10; round++) {
        sendMany(writer, round * 50, 50);
        writer.flush();
      }
      expect(writer.slabsReused).to.equal(0);
      sink.chunks.forEach((chunk, i) => expect(chunk.equals(sink.copies[i]!), `chunk ${i}`).to.equal(true));
      // Released now: later flushes reuse them, and the earlier chunks' bytes are no longer ours to check.
      sink.finish();
      sendMany(writer, 1000, 50);
      writer.flush();
      expect(writer.slabsReused).to.equal(1);
      expect(counts(sink.chunks[10]!)).to.deep.equal([...Array(50).keys()].map((i) => i + 1000));
    });

    it('does not reuse a slab whose write failed, nor any after close, nor grown buffers', () => {
      const sink = new CallbackSink();
      const writer = new FrameWriter(sink, { slabSize: 4096, schedule: () => {} });
      sendMany(writer, 0, 10);
      writer.flush();
      sink.finish(new Error('EPIPE'));
      sendMany(writer, 0, 10);
      writer.flush();
      expect(writer.slabsReused).to.equal(0);
      writer.send({ type: 'BROADCAST_SCP', envelope: Buffer.alloc(10_000) }); // grows past the slab
      writer.flush();
      expect(sink.pending).to.have.length(1); // only the full-size slab of the second flush asked to come back
      sink.finish();
      writer.close();
      sink.finish();
      expect(writer.slabsReused).to.equal(0);
    });

    it('keeps at most four spare slabs', () => {
      const sink = new CallbackSink();
      const writer = new FrameWriter(sink, { slabSize: 4096, schedule: () => {} });
      for (let i = 0; i < 8; i++) {
        sendMany(writer, 0, 10);
        writer.flush();
      }
      sink.finish();
      for (let i = 0; i < 8; i++) {
        sendMany(writer, 0, 10);
        writer.flush();
      }
      expect(writer.slabsReused).to.equal(4);
    });

    it('over a real Unix socket, every frame arrives intact while slabs are reused', async function () {
      this.timeout(30_000);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'frame-writer-'));
      const socketPath = path.join(dir, 'ipc.sock');
      const TOTAL = 100_000;
      let received = 0;
      let bad = 0;
      const decoder = new FrameDecoder();
      let serverSide: net.Socket | undefined;
      const server = net.createServer((conn) =>
        (serverSide = conn.pause()).on('data', (chunk: Buffer) =>
          decoder.push(chunk, (t, p) => {
            const m = decodeMessage(t, p);
            // Frame i carries request id i and a tx of (i mod 200) + 1 bytes, each equal to i mod 251.
            const i = received++;
            const ok =
              m.type === 'SUBMIT_TX_CHECKED' && m.requestId === BigInt(i) && m.tx.length === (i % 200) + 1 && m.tx.every((b) => b === i % 251);
            if (!ok) bad++;
          }),
        ),
      );
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
      const client = net.createConnection(socketPath);
      try {
        await new Promise<void>((resolve) => client.once('connect', resolve));
        const writer = new FrameWriter(client);
        let sent = 0;
        const burst = (): void => {
          // Varying bursts, so slabs are reused at different fill levels.
          const n = Math.min(TOTAL - sent, 200 + (sent % 700));
          for (let k = 0; k < n; k++, sent++) {
            writer.send({ type: 'SUBMIT_TX_CHECKED', requestId: BigInt(sent), tx: new Uint8Array((sent % 200) + 1).fill(sent % 251) });
          }
          // Ignoring backpressure while the receiver is paused: Node queues the chunks, holding on to their slabs.
          if (sent < TOTAL) setImmediate(burst);
        };
        burst();
        await waitFor('every frame queued', () => sent === TOTAL && serverSide !== undefined, 25_000);
        expect(client.writableLength).to.be.greaterThan(1024 * 1024);
        serverSide!.resume();
        await waitFor('every frame received', () => received === TOTAL, 25_000);
        expect(bad).to.equal(0);
        expect(writer.slabsReused).to.be.greaterThan(0);
      } finally {
        client.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
