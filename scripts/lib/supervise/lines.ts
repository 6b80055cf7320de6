// A child's output, line by line, into its log file: whole lines only (stdout and stderr never interleave mid-line),
// with the file's backpressure passed on to the child (a pipe it fills blocks it) rather than buffered here.
import type { Readable, Writable } from 'node:stream';

/** Ours: output without a newline past this is cut into a line of its own, so memory per stream is bounded. */
export const MAX_LINE_CHARS = 64 * 1024;

export function pipeLines(from: Readable, to: Writable, onLine: (line: string) => void): void {
  let carry = '';
  const emit = (line: string): boolean => {
    onLine(line);
    return to.write(line + '\n');
  };
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    carry += chunk;
    let writable = true;
    let i;
    while ((i = carry.indexOf('\n')) >= 0) {
      writable = emit(carry.slice(0, i)) && writable;
      carry = carry.slice(i + 1);
    }
    while (carry.length > MAX_LINE_CHARS) {
      writable = emit(carry.slice(0, MAX_LINE_CHARS)) && writable;
      carry = carry.slice(MAX_LINE_CHARS);
    }
    if (!writable) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => {
    if (carry !== '') emit(carry);
    carry = '';
  });
}
