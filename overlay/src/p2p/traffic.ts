// Bytes on the wire per connection, for /peers. libp2p reports traffic only through a `metrics` component, so this
// is a minimal one: it counts what each multiaddr connection reads and writes (after the transport, before the
// muxer: real wire bytes, encryption included) and ignores libp2p's own metric registrations (ours live in
// prom-client). Counters are keyed by the connection's remote address and dropped when it closes.
import type { Connection, Metrics, MultiaddrConnection, Stream } from '@libp2p/interface';

interface Counts {
  bytesIn: number;
  bytesOut: number;
}

const noop = () => {};
const noopMetric = { update: noop, increment: noop, decrement: noop, reset: noop, timer: () => noop, observe: noop };

export class ConnectionTraffic {
  private readonly byAddr = new Map<string, Counts>();
  private connections: () => Connection[] = () => [];

  /**
   * QUIC multiplexes natively, so its multiaddr connection carries no data: its streams are counted instead
   * (payload bytes, without QUIC's own framing), attributed through the node's connections.
   */
  attach(connections: () => Connection[]): void {
    this.connections = connections;
  }

  get size(): number {
    return this.byAddr.size;
  }

  /** Bytes of the connections to these remote addresses. */
  of(remoteAddrs: Iterable<{ toString(): string }>): Counts {
    const sum = { bytesIn: 0, bytesOut: 0 };
    for (const a of remoteAddrs) {
      const c = this.byAddr.get(a.toString());
      if (c) {
        sum.bytesIn += c.bytesIn;
        sum.bytesOut += c.bytesOut;
      }
    }
    return sum;
  }

  /** The libp2p `metrics` component. */
  component(): Metrics {
    const register = (_name: string, opts?: { calculate?: unknown }) => (opts?.calculate ? undefined : noopMetric);
    return {
      trackMultiaddrConnection: (maConn: MultiaddrConnection) => this.track(maConn),
      trackProtocolStream: (stream: Stream) => this.trackStream(stream),
      registerMetric: register,
      registerMetricGroup: register,
      registerCounter: register,
      registerCounterGroup: register,
      registerHistogram: register,
      registerHistogramGroup: register,
      registerSummary: register,
      registerSummaryGroup: register,
      traceFunction: (_name: string, fn: unknown) => fn,
      createTrace: () => undefined,
    } as unknown as Metrics;
  }

  private trackStream(stream: Stream): void {
    const conn = this.connections().find((c) => c.streams.includes(stream));
    if (conn === undefined || !conn.remoteAddr.toString().includes('/quic')) return; // TCP: counted below
    const counts = this.byAddr.get(conn.remoteAddr.toString());
    if (counts) this.count(stream, counts);
  }

  private track(maConn: MultiaddrConnection): void {
    const key = maConn.remoteAddr.toString();
    const counts = { bytesIn: 0, bytesOut: 0 };
    this.byAddr.set(key, counts);
    this.count(maConn, counts);
    maConn.addEventListener('close', () => {
      if (this.byAddr.get(key) === counts) this.byAddr.delete(key);
    });
  }

  private count(maConn: MultiaddrConnection | Stream, counts: Counts): void {
    // Incoming data enters through onData; a 'message' listener would not do: a stream with no listener buffers,
    // and one attached before the upgrader's would take the handshake bytes from it.
    const stream = maConn as unknown as { onData?: (d: Uint8Array | { byteLength: number }) => void };
    if (typeof stream.onData === 'function') {
      const onData = stream.onData.bind(maConn);
      stream.onData = (data) => {
        counts.bytesIn += data.byteLength;
        onData(data);
      };
    }
    const send = maConn.send.bind(maConn);
    maConn.send = (data) => {
      counts.bytesOut += data.byteLength;
      return send(data);
    };
  }
}
