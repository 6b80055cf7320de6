// The bare-socket baseline's wire: [payload length u32 LE][payload]. A request's first payload word is the length
// of the reply payload wanted (0: no reply); replies are zeros. Nothing is decoded beyond that word, so the
// baseline costs only the socket, the event loop and the framing itself.

export const LEN_BYTES = 4;
/** Requests carry at least their reply-length word. */
export const MIN_PAYLOAD = 4;

/** One whole frame: the header, the reply-length word, zeros. */
export function bareFrame(payloadBytes: number, replyBytes = 0): Buffer {
  if (payloadBytes < MIN_PAYLOAD) throw new RangeError(`a bare payload is at least ${MIN_PAYLOAD} bytes`);
  const f = Buffer.alloc(LEN_BYTES + payloadBytes);
  f.writeUInt32LE(payloadBytes, 0);
  f.writeUInt32LE(replyBytes, LEN_BYTES);
  return f;
}

/**
 * Incremental frame boundaries: calls `onFrame(payloadBytes, firstWord)` once per frame whatever the chunking,
 * copying only a header that spans two reads.
 */
export class BareScanner {
  private readonly head = Buffer.alloc(LEN_BYTES + MIN_PAYLOAD);
  private headFill = 0;
  /** Payload bytes of the current frame still to skip after its head. */
  private skip = 0;
  private len = 0;
  private word = 0;

  push(chunk: Buffer, onFrame: (payloadBytes: number, firstWord: number) => void): void {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - at);
        this.skip -= n;
        at += n;
        if (this.skip === 0) onFrame(this.len, this.word);
        continue;
      }
      if (this.headFill === 0 && end - at >= this.head.length) {
        this.len = chunk.readUInt32LE(at);
        this.word = chunk.readUInt32LE(at + LEN_BYTES);
        at += this.head.length;
      } else {
        const n = Math.min(this.head.length - this.headFill, end - at);
        chunk.copy(this.head, this.headFill, at, at + n);
        this.headFill += n;
        at += n;
        if (this.headFill < this.head.length) return;
        this.headFill = 0;
        this.len = this.head.readUInt32LE(0);
        this.word = this.head.readUInt32LE(LEN_BYTES);
      }
      if (this.len < MIN_PAYLOAD) throw new RangeError(`bare frame of ${this.len} bytes`);
      this.skip = this.len - MIN_PAYLOAD;
      if (this.skip === 0) onFrame(this.len, this.word);
    }
  }
}
