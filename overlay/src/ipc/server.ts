// The IPC server: a Unix socket (mode 0600 in a private directory) accepting one core connection at a time. A
// second connection gets an ERROR and is closed; when core goes away the overlay keeps running and accepts the next.
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, encodeFrame } from '#ipc-protocol';
import type { Registry } from 'prom-client';
import type { Logger } from '../util/log.ts';
import { createIpcMetrics, type IpcMetrics } from './metrics.ts';
import { CoreSession, type SessionOptions } from './session.ts';
import { prepareSocketPath } from './socket-path.ts';

export interface IpcServerOptions
  extends Pick<SessionOptions, 'maxPayload' | 'droppableBacklogBytes' | 'localHello' | 'ackExtras' | 'onMessage' | 'network'> {
  socketPath: string;
  log: Logger;
  registry: Registry;
  /** Core's dialect is decided (HELLO negotiated, or V2): it can be told the current state. */
  onCoreReady?: (session: CoreSession) => void;
  onCoreDisconnected?: (session: CoreSession) => void;
}

export class IpcServer {
  private server: Server | null = null;
  private current: CoreSession | null = null;
  private readonly opts: IpcServerOptions;
  readonly metrics: IpcMetrics;

  constructor(opts: IpcServerOptions) {
    this.opts = opts;
    this.metrics = createIpcMetrics(opts.registry);
  }

  get session(): CoreSession | null {
    return this.current;
  }

  async start(): Promise<void> {
    const { socketPath, log } = this.opts;
    await prepareSocketPath(socketPath, log);
    const server = createServer((socket) => this.onConnection(socket));
    // umask around listen so the socket is born 0600 (no window in which another user could connect).
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    chmodSync(socketPath, 0o600);
    server.on('error', (err) => log.error('IPC server error', { err }));
    this.server = server;
    log.info('IPC listening', { socket: socketPath });
  }

  async stop(): Promise<void> {
    this.current?.close();
    const server = this.server;
    this.server = null;
    if (server === null) return; // never listened: the socket file (if any) belongs to someone else
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.opts.socketPath);
    } catch {
      /* already gone */
    }
  }

  private onConnection(socket: Socket): void {
    const { log } = this.opts;
    if (this.current?.isOpen) {
      this.metrics.connections.labels('refused_busy').inc();
      log.warn('refusing a second core connection');
      socket.end(
        encodeFrame({
          type: 'ERROR',
          requestId: 0n,
          error: { code: ErrorCode.ALREADY_CONNECTED, refType: 0, message: 'another core is connected to this overlay' },
        }),
      );
      socket.on('error', () => {});
      return;
    }
    this.metrics.connections.labels('accepted').inc();
    this.metrics.connected.set(1);
    log.info('core connected');
    const session = new CoreSession({
      socket,
      maxPayload: this.opts.maxPayload,
      droppableBacklogBytes: this.opts.droppableBacklogBytes,
      log: log.child('session'),
      metrics: this.metrics,
      localHello: this.opts.localHello,
      network: this.opts.network,
      ackExtras: this.opts.ackExtras,
      onMessage: this.opts.onMessage,
      onReady: (s) => this.opts.onCoreReady?.(s),
      onClose: (s) => {
        if (this.current === s) {
          this.current = null;
          this.metrics.connected.set(0);
          log.info('core disconnected; overlay keeps running');
          this.opts.onCoreDisconnected?.(s);
        }
      },
    });
    this.current = session;
  }
}
