// The admin HTTP endpoint: status (info, peers, metrics, health, readiness) and peer bans, for operators and
// probes. Plain node:http, no framework: eight routes, one JSON body, nothing a framework would save us, and the
// overlay does not take a dependency (and its attack surface) for that.
//
// Security model:
// - GET routes are open (read-only, nothing secret in them).
// - POST/DELETE need `Authorization: Bearer <token>` whenever a token is configured; bound to a non-loopback
//   address the server refuses to start without one.
// - Bound to loopback, POST/DELETE must also carry a loopback Host header: a web page cannot reach them through
//   DNS rebinding. Browsers cannot forge them cross-origin either: POST needs Content-Type application/json and
//   DELETE is not a "simple" method, so both need a CORS preflight (OPTIONS), which is answered 405.
// - Bounded: 16 KiB bodies, header/request/keep-alive timeouts, a connection cap.
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { StrKey } from '@stellar/stellar-base';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { METRIC_PREFIX } from '../metrics/registry.ts';
import { OverlayError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { MIN_TOKEN_LENGTH, bearerToken, hostOfHostHeader, isLoopbackHost, tokenChecker } from './auth.ts';
import { computeReadiness, type AdminSources } from './sources.ts';

export interface AdminServerOptions {
  /** Address to bind; loopback unless a token is set. */
  host: string;
  /** 0 picks a free port (see AdminServer.port). */
  port: number;
  /** Bearer token for POST/DELETE (at least 16 characters). Required when `host` is not loopback. */
  token?: string;
  log: Logger;
  sources: AdminSources;
  /** The overlay's registry; overlay_admin_requests_total is registered on it. */
  registry: Registry;
  /** Request body limit in bytes. Default ADMIN_BODY_LIMIT. */
  bodyLimit?: number;
  /** Concurrent connections; more are refused. Default ADMIN_MAX_CONNECTIONS. */
  maxConnections?: number;
}

export interface AdminServer {
  /** e.g. http://127.0.0.1:11627 (the bound address and real port). */
  url: string;
  port: number;
  /** Stops listening, ends idle keep-alive connections, and in-flight ones after a short grace. Idempotent. */
  close(): Promise<void>;
}

export const ADMIN_BODY_LIMIT = 16 * 1024;
export const ADMIN_MAX_CONNECTIONS = 64;
export const ADMIN_HEADERS_TIMEOUT_MS = 10_000;
export const ADMIN_REQUEST_TIMEOUT_MS = 30_000;
export const ADMIN_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Longest ban accepted through the endpoint; omit duration_sec for a ban until unbanned. */
export const MAX_BAN_DURATION_SEC = 10 * 365 * 24 * 3600;
const CLOSE_GRACE_MS = 2_000;
const DEFAULT_BAN_REASON = 'banned by an operator (admin endpoint)';

const stellarPublicKey = z
  .string({ error: (i) => (i.input === undefined ? 'is required (a Stellar public key, G...)' : 'expected a string') })
  .refine((k) => StrKey.isValidEd25519PublicKey(k), 'expected a Stellar public key (G..., 56 characters, valid checksum)');

/** Body of POST /bans. Unknown fields are errors (a typo must not be ignored). */
export const banRequestSchema = z.strictObject(
  {
    key: stellarPublicKey,
    duration_sec: z
      .number({ error: 'expected a number of seconds' })
      .int('expected a whole number of seconds')
      .min(1, 'must be at least 1 (omit it to ban until unbanned)')
      .max(MAX_BAN_DURATION_SEC, `must be at most ${MAX_BAN_DURATION_SEC} (omit it to ban until unbanned)`)
      .optional(),
    reason: z.string({ error: 'expected a string' }).min(1, 'must not be empty').max(256, 'must be at most 256 characters').optional(),
  },
  { error: (i) => (i.code === 'invalid_type' ? 'the body must be a JSON object' : undefined) },
);

export type BanRequest = z.output<typeof banRequestSchema>;

function formatBodyIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message;
    })
    .join('; ');
}

/** An answer other than 2xx, thrown by handlers and helpers and turned into the JSON error body. */
class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

type Reply =
  | { status: number; json: unknown }
  | { status: number; contentType: string; text: string };

interface Ctx {
  req: IncomingMessage;
  params: Record<string, string>;
}

type Method = 'GET' | 'POST' | 'DELETE';
type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

interface Route {
  /** The route template; also the `route` label of the request counter. */
  name: string;
  match(path: string): Record<string, string> | null;
  methods: Partial<Record<Method, Handler>>;
}

const MUTATING = new Set<string>(['POST', 'DELETE']);

function exact(path: string): Route['match'] {
  return (p) => (p === path ? {} : null);
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function requestsCounter(registry: Registry): Counter<'route' | 'status'> {
  const name = `${METRIC_PREFIX}admin_requests_total`;
  // A second server on the same registry (restart in one process, tests) reuses the counter.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'route' | 'status'>;
  return new Counter({
    name,
    help: 'Admin endpoint requests by route template and HTTP status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
}

function parseKeyParam(raw: string): string {
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'INVALID_KEY', 'key: malformed percent-encoding');
  }
  if (!StrKey.isValidEd25519PublicKey(key)) {
    throw new HttpError(400, 'INVALID_KEY', 'key: expected a Stellar public key (G..., 56 characters, valid checksum)');
  }
  return key;
}

/** Checks the media type, then reads at most `limit` bytes and parses them as JSON. */
async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON: send Content-Type: application/json');
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `charset "${charset}" is not supported: send UTF-8`);
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content encoding "${encoding}" is not supported`);
  }
  const tooLarge = () => new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body is over ${limit} bytes`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge();

  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause(); // the reply says Connection: close; the rest is never read
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new HttpError(400, 'BAD_REQUEST', `reading the body failed: ${err.message}`));
    };
    const onClose = () => {
      cleanup();
      reject(new HttpError(400, 'BAD_REQUEST', 'the client went away before sending the whole body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'the body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'INVALID_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

function buildRoutes(sources: AdminSources, bodyLimit: number, log: Logger): Route[] {
  /** Awaits a ban list change being saved; a failure is a 500 that says the change is nonetheless in force. */
  const persisted = async <T>(result: T | Promise<T>, what: string): Promise<T> => {
    try {
      return await result;
    } catch (err) {
      log.error(what, { err });
      throw new HttpError(500, 'PERSIST_FAILED', `${what} (see the overlay log)`);
    }
  };

  return [
    { name: '/info', match: exact('/info'), methods: { GET: () => ({ status: 200, json: sources.info() }) } },
    { name: '/peers', match: exact('/peers'), methods: { GET: () => ({ status: 200, json: sources.peers() }) } },
    {
      name: '/metrics',
      match: exact('/metrics'),
      methods: {
        GET: async () => {
          const m = await sources.metrics();
          return { status: 200, contentType: m.contentType, text: m.body };
        },
      },
    },
    {
      name: '/healthz',
      match: exact('/healthz'),
      methods: {
        GET: () => {
          const h = sources.health();
          if (h.ok) return { status: 200, json: { ok: true } };
          return { status: 503, json: { ok: false, ...errorBody('UNHEALTHY', 'the overlay reports itself unhealthy') } };
        },
      },
    },
    {
      name: '/readyz',
      match: exact('/readyz'),
      methods: {
        GET: () => {
          const r = sources.readiness();
          if (r.ready) return { status: 200, json: r };
          const reason = r.reason ?? computeReadiness(r).reason ?? 'not ready';
          // The readiness fields for humans, and the usual error object for clients that only look at that.
          return { status: 503, json: { ...r, reason, ...errorBody('NOT_READY', reason) } };
        },
      },
    },
    {
      name: '/bans',
      match: exact('/bans'),
      methods: {
        GET: () => ({ status: 200, json: sources.bans.list() }),
        POST: async ({ req }) => {
          const parsed = banRequestSchema.safeParse(await readJsonBody(req, bodyLimit));
          if (!parsed.success) throw new HttpError(400, 'INVALID_BODY', formatBodyIssues(parsed.error.issues));
          const { key, duration_sec: durationSec, reason = DEFAULT_BAN_REASON } = parsed.data;
          const existed = sources.bans.list().some((b) => b.key === key);
          // A synchronous throw is a refused ban (mapped by knownError); a rejection is a failed save.
          const pending = sources.bans.ban(key, durationSec === undefined ? { reason } : { durationMs: durationSec * 1000, reason });
          const saved = await persisted(pending, 'the ban is in force but could not be saved');
          const entry = saved ??
            sources.bans.list().find((b) => b.key === key) ??
            { key, until: durationSec === undefined ? 0 : Date.now() + durationSec * 1000, reason };
          return { status: existed ? 200 : 201, json: entry };
        },
      },
    },
    {
      name: '/bans/:key',
      match: (p) => {
        const m = /^\/bans\/([^/]+)$/.exec(p);
        return m ? { key: m[1]! } : null;
      },
      methods: {
        DELETE: async ({ params }) => {
          const key = parseKeyParam(params['key']!);
          const had = await persisted(sources.bans.unban(key), 'the ban is lifted but the change could not be saved');
          if (!had) throw new HttpError(404, 'NOT_BANNED', `${key} is not banned`);
          return { status: 200, json: { key, unbanned: true } };
        },
      },
    },
  ];
}

/** Maps what a handler threw to an HttpError; undefined for unexpected errors (answered 500). */
function knownError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof OverlayError) {
    if (err.code === 'BAN_INVALID') return new HttpError(400, err.code, err.message);
    if (err.code === 'NOT_FOUND') return new HttpError(404, err.code, err.message);
    if (err.code === 'BUSY') return new HttpError(503, err.code, err.message);
  }
  return undefined;
}

function checkOptions(opts: AdminServerOptions): void {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new OverlayError('CONFIG_INVALID', `invalid configuration:\n  admin.port: ${opts.port} is not a port (0-65535)`);
  }
  if (opts.host.trim() === '') throw new OverlayError('CONFIG_INVALID', 'invalid configuration:\n  admin.host: empty');
  if (opts.token !== undefined && opts.token.length < MIN_TOKEN_LENGTH) {
    throw new OverlayError(
      'CONFIG_INVALID',
      `invalid configuration:\n  admin.token: a token must be at least ${MIN_TOKEN_LENGTH} characters`,
    );
  }
  if (opts.token === undefined && !isLoopbackHost(opts.host)) {
    throw new OverlayError(
      'CONFIG_INVALID',
      `invalid configuration:\n  admin.token: required when admin.host (${opts.host}) is not a loopback address; ` +
        'set a token of at least 16 characters or bind the admin endpoint to 127.0.0.1',
    );
  }
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  checkOptions(opts);
  const { sources, log } = opts;
  const bodyLimit = opts.bodyLimit ?? ADMIN_BODY_LIMIT;
  const loopbackBound = isLoopbackHost(opts.host);
  const tokenOk = opts.token === undefined ? undefined : tokenChecker(opts.token);
  const requests = requestsCounter(opts.registry);
  const routes = buildRoutes(sources, bodyLimit, log);
  /** Response in flight per connection, so a client error on it does not write into a started response. */
  const inFlight = new WeakMap<Socket, ServerResponse>();

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    status: number,
    contentType: string,
    body: string,
    headers: Record<string, string> = {},
  ) => {
    requests.inc({ route, status: String(status) });
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    res.statusCode = status;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // A body we did not read (rejected early or too large) is not drained: the connection ends after the reply.
    if (!req.complete) res.setHeader('Connection', 'close');
    res.end(body);
  };
  const sendError = (req: IncomingMessage, res: ServerResponse, route: string, e: HttpError) =>
    send(req, res, route, e.status, 'application/json; charset=utf-8', jsonText(errorBody(e.code, e.message)), e.headers);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    let routeName = 'unmatched';
    try {
      const rawUrl = req.url ?? '';
      if (!rawUrl.startsWith('/')) throw new HttpError(400, 'BAD_REQUEST', 'the request target must be a path');
      const q = rawUrl.indexOf('?');
      const path = q === -1 ? rawUrl : rawUrl.slice(0, q);

      let route: Route | undefined;
      let params: Record<string, string> = {};
      for (const r of routes) {
        const m = r.match(path);
        if (m) {
          route = r;
          params = m;
          break;
        }
      }
      if (!route) throw new HttpError(404, 'NOT_FOUND', `no route ${path}`);
      routeName = route.name;

      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
      const handler = Object.hasOwn(route.methods, method) ? route.methods[method as Method] : undefined;
      if (!handler) {
        const allowed = Object.keys(route.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${route.name}; allowed: ${allowed.join(', ')}`, {
          Allow: allowed.join(', '),
        });
      }

      if (MUTATING.has(method)) {
        if (loopbackBound) {
          const host = hostOfHostHeader(req.headers.host);
          if (host === undefined || !isLoopbackHost(host)) {
            throw new HttpError(403, 'FORBIDDEN_HOST', 'changes are accepted only with a loopback Host header (127.0.0.1, ::1, localhost)');
          }
        }
        if (tokenOk && !tokenOk(bearerToken(req.headers.authorization))) {
          log.warn('admin request with a missing or wrong token', { method, route: route.name, remote: req.socket.remoteAddress });
          throw new HttpError(401, 'UNAUTHORIZED', 'this request needs Authorization: Bearer <admin.token>', {
            'WWW-Authenticate': 'Bearer realm="overlay-admin"',
          });
        }
      }

      const reply = await handler({ req, params });
      if ('json' in reply) send(req, res, routeName, reply.status, 'application/json; charset=utf-8', jsonText(reply.json));
      else send(req, res, routeName, reply.status, reply.contentType, reply.text);
    } catch (err) {
      const known = knownError(err);
      if (known) {
        sendError(req, res, routeName, known);
      } else {
        log.error('admin handler failed', { method: req.method, route: routeName, err });
        sendError(req, res, routeName, new HttpError(500, 'INTERNAL', 'internal error (see the overlay log)'));
      }
    } finally {
      log.debug('admin request', {
        method: req.method,
        route: routeName,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    }
  };

  const server = createServer(
    {
      headersTimeout: ADMIN_HEADERS_TIMEOUT_MS,
      requestTimeout: ADMIN_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: ADMIN_KEEP_ALIVE_TIMEOUT_MS,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      inFlight.set(req.socket, res);
      res.on('finish', () => {
        if (inFlight.get(req.socket) === res) inFlight.delete(req.socket);
      });
      handle(req, res).catch((err: unknown) => {
        // Only reachable if sending itself failed; never let it take the process down.
        log.error('admin request failed', { err });
        res.destroy();
      });
    },
  );
  server.headersTimeout = ADMIN_HEADERS_TIMEOUT_MS;
  server.requestTimeout = ADMIN_REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = ADMIN_KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = opts.maxConnections ?? ADMIN_MAX_CONNECTIONS;

  // Malformed HTTP, oversized headers, timeouts: answer in JSON too, when nothing was sent on the connection yet.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const started = inFlight.get(socket)?.headersSent ?? false;
    if (err.code === 'ECONNRESET' || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const [status, code] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'REQUEST_TIMEOUT']
          : [400, 'BAD_REQUEST'];
    requests.inc({ route: 'invalid', status: String(status) });
    const body = jsonText(errorBody(code, status === 400 ? 'malformed HTTP request' : (STATUS_CODES[status] ?? 'error')));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${opts.host}:${opts.port}`;
      if (err.code === 'EADDRINUSE') {
        reject(new OverlayError('SOCKET_IN_USE', `admin endpoint: ${where} is already in use`, { cause: err }));
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
        reject(new OverlayError('CONFIG_INVALID', `admin endpoint: cannot bind ${where} (${err.code})`, { cause: err }));
      } else {
        reject(err);
      }
    };
    server.once('error', onError);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', onError);
      server.on('error', (err) => log.error('admin server error', { err }));
      resolve();
    });
  });

  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log.info('admin endpoint listening', { url, auth: tokenOk ? 'token' : 'none (loopback)' });

  let closing: Promise<void> | undefined;
  return {
    url,
    port: addr.port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          log.info('admin endpoint closed', { url });
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
