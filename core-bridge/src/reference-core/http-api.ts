// The reference core's HTTP API on loopback (node:http): submit txs, read the ledger, accounts, stats and metrics.
// Every input is validated (zod) and every body capped; errors are JSON {error, message} with a 4xx/5xx status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { OverlayClientError } from '../client/errors.ts';
import { CoreError } from './errors.ts';
import type { Logger } from './log.ts';
import type { ReferenceCore } from './reference-core.ts';

/** Ours: one tx body (raw XDR, or its base64); stellar-core's largest classic tx is 100 KiB of XDR. */
export const MAX_TX_BODY = 256 * 1024;
/** Ours: a batch body, and the txs in it. */
export const MAX_BATCH_BODY = 8 * 1024 * 1024;
export const MAX_BATCH_TXS = 1000;
/** Ours: accounts per POST /accounts (the load generator's resync batch). */
export const MAX_ACCOUNTS_QUERY = 1000;
const MAX_ACCOUNTS_BODY = 128 * 1024;
/**
 * Ours: idle keep-alive connections live this long (node's default is 5 s). A client on a loaded machine can be
 * descheduled past 5 s and then reuse a connection the server just closed ("other side closed" on a POST, which
 * fetch does not retry); the load generator's requests come every ~50 ms, so a longer timeout costs nothing.
 */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const base64Tx = z.string().min(4).max(Math.ceil((MAX_TX_BODY * 4) / 3)).regex(BASE64, 'not base64');
const batchSchema = z.array(base64Tx).min(1).max(MAX_BATCH_TXS);
const ledgerSeqSchema = z.coerce.number().int().min(1).max(0xffff_ffff);
const txHashSchema = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a tx hash is 64 hex digits');
const sinceSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const accountsSchema = z.array(z.string().min(1).max(64)).min(1).max(MAX_ACCOUNTS_QUERY);

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface HttpApiOptions {
  core: ReferenceCore;
  registry: Registry;
  log: Logger;
  port: number;
  host?: string;
}

export interface HttpApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startHttpApi(opts: HttpApiOptions): Promise<HttpApi> {
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, (req, res) => void handle(opts, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(opts: HttpApiOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let route = 'unknown';
  try {
    const { core } = opts;
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/tx') {
      route = 'tx';
      allow(method, 'POST');
      const body = await readBody(req, MAX_TX_BODY);
      return reply(res, 200, await core.submit(txBytes(body)));
    }
    if (path === '/txs') {
      route = 'txs';
      allow(method, 'POST');
      const list = parseJson(await readBody(req, MAX_BATCH_BODY), batchSchema);
      return reply(res, 200, await core.submitBatch(list.map((b) => Buffer.from(b, 'base64'))));
    }
    if (path === '/ledger') {
      route = 'ledger';
      allow(method, 'GET');
      return reply(res, 200, core.ledgerInfo());
    }
    if (path.startsWith('/ledger/')) {
      route = 'ledger_seq';
      allow(method, 'GET');
      const seq = parseWith(path.slice('/ledger/'.length), ledgerSeqSchema);
      const l = core.closedLedger(seq);
      if (l === null) throw new HttpError(404, 'NOT_FOUND', `ledger ${seq} is not among the recent ones`);
      return reply(res, 200, l);
    }
    if (path.startsWith('/tx/')) {
      route = 'tx_result';
      allow(method, 'GET');
      const r = core.txResult(parseWith(path.slice('/tx/'.length), txHashSchema));
      if (r === null) throw new HttpError(404, 'NOT_FOUND', 'tx not in a recent ledger');
      return reply(res, 200, r);
    }
    if (path === '/accounts') {
      route = 'accounts';
      allow(method, 'POST');
      const keys = parseJson(await readBody(req, MAX_ACCOUNTS_BODY), accountsSchema);
      return reply(res, 200, Object.fromEntries(keys.map((k) => [k, core.account(k)])));
    }
    if (path.startsWith('/accounts/')) {
      route = 'account';
      allow(method, 'GET');
      const a = core.account(decodeURIComponent(path.slice('/accounts/'.length)));
      if (a === null) throw new HttpError(404, 'NOT_FOUND', 'no such account');
      return reply(res, 200, a);
    }
    if (path === '/stats') {
      route = 'stats';
      allow(method, 'GET');
      // ?since=<ms since the epoch>: latency percentiles of the txs externalized since then (a benchmark's window).
      const since = url.searchParams.has('since') ? parseWith(url.searchParams.get('since') ?? '', sinceSchema) : undefined;
      const overlay = await core.overlayStats().catch((err: Error) => ({ error: err.message }));
      return reply(res, 200, { ledger: core.ledgerInfo(), submissions: core.latency(since), overlay });
    }
    if (path === '/metrics') {
      route = 'metrics';
      allow(method, 'GET');
      const text = await opts.registry.metrics();
      opts.core.metrics.httpRequests.labels(route, '200').inc();
      res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text);
      return;
    }
    throw new HttpError(404, 'NOT_FOUND', `no route ${path}`);
  } catch (err) {
    const e = toHttpError(err);
    if (e.status >= 500) opts.log.warn('HTTP request failed', { route, status: e.status, err });
    opts.core.metrics.httpRequests.labels(route, String(e.status)).inc();
    if (e.status === 413) res.setHeader('connection', 'close');
    return reply(res, e.status, { error: e.code, message: e.message }, false);
  }

  function reply(r: ServerResponse, status: number, body: unknown, count = true): void {
    if (count) opts.core.metrics.httpRequests.labels(route, String(status)).inc();
    if (r.headersSent) return;
    r.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}

function allow(method: string, expected: string): void {
  if (method !== expected) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${expected}`);
}

/** The body up to `cap` bytes; 413 beyond (the rest is not read). */
function readBody(req: IncomingMessage, cap: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > cap) return Promise.reject(new HttpError(413, 'TOO_LARGE', `body over ${cap} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > cap) {
        req.removeAllListeners('data');
        req.pause();
        reject(new HttpError(413, 'TOO_LARGE', `body over ${cap} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** A tx body: base64 text when it reads as base64 (raw XDR starts with zero bytes, which base64 never has), else raw. */
function txBytes(body: Buffer): Buffer {
  if (body.length === 0) throw new HttpError(400, 'BAD_REQUEST', 'empty body: send the TransactionEnvelope XDR, raw or base64');
  const text = body.toString('latin1').trim();
  return BASE64.test(text) ? Buffer.from(text, 'base64') : body;
}

function parseJson<T>(body: Buffer, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'body is not JSON');
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new HttpError(400, 'BAD_REQUEST', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

function parseWith<T>(text: string, schema: z.ZodType<T>): T {
  const r = schema.safeParse(text);
  if (!r.success) throw new HttpError(400, 'BAD_REQUEST', r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof CoreError) {
    const status = err.code === 'BAD_REQUEST' ? 400 : err.code === 'NOT_FOUND' ? 404 : err.code === 'TOO_LARGE' ? 413 : 500;
    return new HttpError(status, err.code, err.message);
  }
  if (err instanceof OverlayClientError) {
    // The overlay is away, congested or slow: the client may retry.
    const status = err.code === 'TIMEOUT' ? 504 : err.code === 'INVALID_REQUEST' || err.code === 'MALFORMED_PAYLOAD' ? 400 : 503;
    return new HttpError(status, err.code, err.message);
  }
  return new HttpError(500, 'INTERNAL', (err as Error)?.message ?? String(err));
}
