// Splitting a byte stream the way socket reads might: for decoder tests that must give the same frames however
// the bytes arrive.

/** `bytes` cut at each of `cuts` (taken modulo its length + 1, deduplicated, in order); empty chunks may occur. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  return chunks;
}
