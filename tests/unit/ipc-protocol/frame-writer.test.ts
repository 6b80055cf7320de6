import { expect } from 'chai';
import { FrameDecoder, FrameWriter, decodeMessage, type FrameSink, type Message } from '#ipc-protocol';

class MemorySink implements FrameSink {
  chunks: Buffer[] = [];
  ready = true;
  write(chunk: Uint8Array): boolean {
    this.chunks.push(Buffer.from(chunk));
    return this.ready;
  }
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
});
