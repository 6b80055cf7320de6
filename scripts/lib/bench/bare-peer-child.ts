// The far end of the bare-socket baseline, in its own process: listens on the Unix socket given as argv[2],
// answers each request frame with a reply of the length it asks for (replies of one read go out in one write),
// and tells the parent "listening" over the IPC channel.
import { createServer } from 'node:net';
import { BareScanner, LEN_BYTES } from './bare-frames.ts';

/** Ours: reply frames kept by size (a run uses a handful of sizes). */
const MAX_REPLY_SIZES = 64;

const socketPath = process.argv[2];
if (socketPath === undefined) throw new Error('usage: bare-peer-child.ts <socket>');

const replies = new Map<number, Buffer>();
function replyOf(payloadBytes: number): Buffer {
  let r = replies.get(payloadBytes);
  if (r === undefined) {
    if (replies.size >= MAX_REPLY_SIZES) replies.clear();
    r = Buffer.alloc(LEN_BYTES + payloadBytes);
    r.writeUInt32LE(payloadBytes, 0);
    replies.set(payloadBytes, r);
  }
  return r;
}

const server = createServer((socket) => {
  const scanner = new BareScanner();
  socket.on('data', (chunk: Buffer) => {
    socket.cork();
    scanner.push(chunk, (_len, replyBytes) => {
      if (replyBytes > 0) socket.write(replyOf(replyBytes));
    });
    socket.uncork();
  });
  socket.on('error', () => socket.destroy());
});
server.listen(socketPath, () => process.send?.('listening'));
process.on('disconnect', () => process.exit(0));
