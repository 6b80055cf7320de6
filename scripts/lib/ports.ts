// Ports chosen at run time: a TCP port p such that UDP p+1000 (QUIC) and TCP p+2 (admin) are free too.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

function tcpFree(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const taken = new Set<number>();

/** A peer port whose QUIC (+1000) and admin (+2) neighbours are free, never handed out twice per process. */
export async function freePeerPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const candidate = 20000 + Math.floor(Math.random() * 30000);
    if ([candidate, candidate + 2, candidate + 1000].some((p) => taken.has(p) || taken.has(p - 2) || taken.has(p - 1000))) continue;
    if ((await tcpFree(candidate)) === null || (await tcpFree(candidate + 2)) === null) continue;
    if (!(await udpFree(candidate + 1000))) continue;
    taken.add(candidate);
    return candidate;
  }
  throw new Error('no free port found');
}
