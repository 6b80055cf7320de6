import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@stellar/stellar-base';
import type { Registry } from 'prom-client';
import {
  ADMIN_BODY_LIMIT,
  startAdminServer,
  type AdminServer,
  type AdminServerOptions,
} from '../../../overlay/src/admin/http-server.ts';
import { bearerToken, hostOfHostHeader, isLoopbackHost, tokenChecker } from '../../../overlay/src/admin/auth.ts';
import {
  computeReadiness,
  metricsFromRegistry,
  type AdminBans,
  type AdminInfo,
  type AdminSources,
} from '../../../overlay/src/admin/sources.ts';
import { createRegistry } from '../../../overlay/src/metrics/registry.ts';
import { BanList } from '../../../overlay/src/peers/ban-list.ts';
import type { PeerView } from '../../../overlay/src/peers/types.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';
import { createLogger } from '../../../overlay/src/util/log.ts';

// The real BanList (in a temporary data dir) behind an in-test AdminBans, as the composition root wraps it: the
// own node key is refused (synchronous BAN_INVALID) and a key of FAILING_SAVE stands for a ban file that cannot be
// written (rejected promise, the ban in force regardless).
function adminBans(list: BanList): AdminBans {
  return {
    list: () => list.list(),
    ban: (key, opts) => {
      if (key === SELF_KEY) throw new OverlayError('BAN_INVALID', 'cannot ban our own node key');
      const saved = list.ban(key, opts);
      return key === FAILING_SAVE ? saved.then(() => Promise.reject(new Error('EIO: disk on fire'))) : saved;
    },
    unban: (key) => list.unban(key),
  };
}

const SELF_KEY = Keypair.random().publicKey();
const FAILING_SAVE = Keypair.random().publicKey();
const TOKEN = 'correct-horse-battery-staple';

const info: AdminInfo = {
  software: 'overlay-sidecar',
  version: '0.1.0',
  peerId: '12D3KooWTest',
  nodeKey: SELF_KEY,
  uptimeSec: 42,
  coreConnected: true,
  lastLedger: { seq: 1234, hash: 'ab'.repeat(32) },
  network: 'Test SDF Network ; September 2015',
  networkId: 'ce'.repeat(32),
  networkSource: 'config',
  addresses: ['/ip4/127.0.0.1/tcp/11625'],
};

const peer: PeerView = {
  peerId: '12D3KooWPeer',
  nodeKey: Keypair.random().publicKey(),
  address: '/ip4/127.0.0.1/tcp/11700',
  direction: 'outbound',
  transport: 'tcp',
  rttMs: 3,
  bytesIn: 100,
  bytesOut: 200,
  preferred: false,
};

interface World {
  coreConnected: boolean;
  peers: PeerView[];
  healthy: boolean;
  throwOnInfo: boolean;
}

function makeSources(world: World, registry: Registry, bans: AdminBans): AdminSources {
  return {
    info: () => {
      if (world.throwOnInfo) throw new Error('boom: info exploded');
      return { ...info, coreConnected: world.coreConnected };
    },
    peers: () => world.peers,
    metrics: metricsFromRegistry(registry),
    health: () => ({ ok: world.healthy }),
    readiness: () => computeReadiness({ coreConnected: world.coreConnected, peers: world.peers.length }),
    bans,
  };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: unknown;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) json = JSON.parse(text);
  return { status: res.status, headers: res.headers, text, json };
}

function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** Every non-2xx answer: JSON `{ error: { code, message } }`. */
function expectError(a: Answer, status: number, code: string, messageIncludes?: string): void {
  expect(a.status, a.text).to.equal(status);
  expect(a.headers.get('content-type')).to.match(/^application\/json/);
  expect(a.json).to.be.an('object');
  expect(a.json.error).to.be.an('object');
  expect(a.json.error.code).to.equal(code);
  expect(a.json.error.message).to.be.a('string').and.not.empty;
  if (messageIncludes) expect(a.json.error.message).to.include(messageIncludes);
}

/** Raw request through node:http (fetch cannot set Host or stream a chunked body of our choosing). */
function rawRequest(
  port: number,
  opts: { method: string; path: string; headers: Record<string, string>; chunks?: Buffer[] },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: opts.method, path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const c of opts.chunks ?? []) req.write(c);
    req.end();
  });
}

const PROM_SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? -?(?:[0-9.e+-]+|[Nn]a[Nn]|\+Inf|-Inf)( -?\d+)?$/;

describe('admin http server', () => {
  let logs: string[];
  let registry: Registry;
  let world: World;
  let dataDir: string;
  let bans: BanList;
  let server: AdminServer;
  let base: string;

  function options(over: Partial<AdminServerOptions> = {}): AdminServerOptions {
    return {
      host: '127.0.0.1',
      port: 0,
      log: createLogger('admin', 'debug', (l) => logs.push(l)),
      sources: makeSources(world, registry, adminBans(bans)),
      registry,
      ...over,
    };
  }

  beforeEach(async () => {
    logs = [];
    registry = createRegistry();
    world = { coreConnected: true, peers: [peer], healthy: true, throwOnInfo: false };
    dataDir = mkdtempSync(join(tmpdir(), 'overlay-admin-test-'));
    bans = new BanList({ dataDir, registry });
    server = await startAdminServer(options());
    base = server.url;
  });

  afterEach(async () => {
    await server.close();
    await bans.flush();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('start and stop', () => {
    it('port 0 binds a free port and returns it', () => {
      expect(server.port).to.be.greaterThan(0);
      expect(server.url).to.equal(`http://127.0.0.1:${server.port}`);
      expect(logs.some((l) => l.includes('admin endpoint listening'))).to.equal(true);
    });

    it('close is idempotent and stops answering', async () => {
      await call(base, '/healthz'); // leaves a keep-alive connection behind
      await Promise.all([server.close(), server.close()]);
      let failed = false;
      try {
        await fetch(base + '/healthz');
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
    });

    it('a port in use is a typed SOCKET_IN_USE error', async () => {
      try {
        await startAdminServer(options({ port: server.port }));
        expect.fail('started twice on one port');
      } catch (err) {
        expect(err).to.be.instanceOf(OverlayError);
        expect((err as OverlayError).code).to.equal('SOCKET_IN_USE');
      }
    });

    it('refuses a non-loopback host without a token (CONFIG_INVALID), and a short token', async () => {
      for (const over of [{ host: '0.0.0.0' }, { host: '192.0.2.1' }, { host: '::' }, { token: 'short' }]) {
        try {
          await startAdminServer(options(over));
          expect.fail(`started with ${JSON.stringify(over)}`);
        } catch (err) {
          expect(err).to.be.instanceOf(OverlayError);
          expect((err as OverlayError).code).to.equal('CONFIG_INVALID');
        }
      }
    });

    it('a second server on the same registry shares the request counter', async () => {
      const other = await startAdminServer(options());
      try {
        expect((await call(other.url, '/healthz')).status).to.equal(200);
      } finally {
        await other.close();
      }
    });
  });

  describe('GET routes', () => {
    it('/info', async () => {
      const a = await call(base, '/info');
      expect(a.status).to.equal(200);
      expect(a.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(a.headers.get('cache-control')).to.equal('no-store');
      expect(a.json).to.deep.equal(info);
    });

    it('/peers is a JSON array of peers', async () => {
      const a = await call(base, '/peers');
      expect(a.status).to.equal(200);
      expect(a.headers.get('content-type')).to.match(/^application\/json/);
      expect(a.json).to.deep.equal([peer]);
      world.peers = [];
      expect((await call(base, '/peers')).json).to.deep.equal([]);
    });

    it('/metrics is Prometheus text with prom-client content type and counts requests', async () => {
      await call(base, '/info');
      await call(base, '/nope');
      await call(base, '/bans', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
      const a = await call(base, '/metrics');
      expect(a.status).to.equal(200);
      expect(a.headers.get('content-type')).to.equal(registry.contentType);
      const lines = a.text.split('\n').filter((l) => l !== '');
      expect(lines.length).to.be.greaterThan(10);
      for (const line of lines) {
        if (line.startsWith('#')) expect(line, line).to.match(/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /);
        else expect(line, line).to.match(PROM_SAMPLE);
      }
      expect(a.text).to.include('# TYPE overlay_admin_requests_total counter');
      expect(a.text).to.include('overlay_admin_requests_total{route="/info",status="200"} 1');
      expect(a.text).to.include('overlay_admin_requests_total{route="unmatched",status="404"} 1');
      expect(a.text).to.include('overlay_admin_requests_total{route="/bans",status="415"} 1');
    });

    it('/healthz: 200 {"ok":true}; 503 JSON error when unhealthy', async () => {
      const a = await call(base, '/healthz');
      expect(a.status).to.equal(200);
      expect(a.headers.get('content-type')).to.match(/^application\/json/);
      expect(a.json).to.deep.equal({ ok: true });
      world.healthy = false;
      expectError(await call(base, '/healthz'), 503, 'UNHEALTHY');
    });

    it('/readyz: 200 with core and a peer, else 503 with the reason', async () => {
      const ok = await call(base, '/readyz');
      expect(ok.status).to.equal(200);
      expect(ok.json).to.deep.equal({ ready: true, coreConnected: true, peers: 1 });

      world.peers = [];
      const noPeers = await call(base, '/readyz');
      expectError(noPeers, 503, 'NOT_READY', 'no peer');
      expect(noPeers.json).to.include({ ready: false, coreConnected: true, peers: 0, reason: 'no peer connected' });

      world.peers = [peer];
      world.coreConnected = false;
      const noCore = await call(base, '/readyz');
      expectError(noCore, 503, 'NOT_READY', 'stellar-core');
      expect(noCore.json).to.include({ ready: false, coreConnected: false, peers: 1 });
    });

    it('HEAD answers like GET without a body', async () => {
      const res = await fetch(base + '/info', { method: 'HEAD' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(await res.text()).to.equal('');
    });

    it('ignores the query string', async () => {
      expect((await call(base, '/healthz?verbose=1')).status).to.equal(200);
    });
  });

  describe('errors', () => {
    it('unknown path → 404 JSON', async () => {
      expectError(await call(base, '/nope'), 404, 'NOT_FOUND', '/nope');
      expectError(await call(base, '/'), 404, 'NOT_FOUND');
      expectError(await call(base, '/info/'), 404, 'NOT_FOUND');
      expectError(await call(base, '/bans/a/b', { method: 'DELETE' }), 404, 'NOT_FOUND');
    });

    it('wrong method → 405 with Allow', async () => {
      const a = await call(base, '/info', { method: 'POST' });
      expectError(a, 405, 'METHOD_NOT_ALLOWED');
      expect(a.headers.get('allow')).to.equal('GET, HEAD');

      const b = await call(base, '/bans', { method: 'PUT' });
      expectError(b, 405, 'METHOD_NOT_ALLOWED');
      expect(b.headers.get('allow')).to.equal('GET, HEAD, POST');

      const c = await call(base, `/bans/${peer.nodeKey}`);
      expectError(c, 405, 'METHOD_NOT_ALLOWED');
      expect(c.headers.get('allow')).to.equal('DELETE');

      // CORS preflights are refused, so browsers never send cross-origin POST/DELETE.
      const d = await call(base, '/bans', { method: 'OPTIONS' });
      expectError(d, 405, 'METHOD_NOT_ALLOWED');
    });

    it('a handler that throws → 500 JSON, logged, and the server keeps serving', async () => {
      world.throwOnInfo = true;
      const a = await call(base, '/info');
      expectError(a, 500, 'INTERNAL');
      expect(a.text).to.not.include('boom'); // internals stay in the log
      const logged = logs.map((l) => JSON.parse(l) as Record<string, any>).find((r) => r['msg'] === 'admin handler failed');
      expect(logged?.['level']).to.equal('error');
      expect(logged?.['err']?.message).to.equal('boom: info exploded');
      world.throwOnInfo = false;
      expect((await call(base, '/info')).status).to.equal(200);
    });

    it('malformed HTTP → 400 JSON on the raw socket', async () => {
      const text = await new Promise<string>((resolve, reject) => {
        const s = connect(server.port, '127.0.0.1', () => s.write('THIS IS NOT HTTP\r\n\r\n'));
        let out = '';
        s.setEncoding('utf8');
        s.on('data', (c: string) => (out += c));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      });
      expect(text).to.match(/^HTTP\/1\.1 400 /);
      const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
      expect(body.error.code).to.equal('BAD_REQUEST');
    });
  });

  describe('bans', () => {
    it('GET /bans, POST /bans, DELETE /bans/:key round trip', async () => {
      expect((await call(base, '/bans')).json).to.deep.equal([]);

      const key = Keypair.random().publicKey();
      const created = await call(base, '/bans', postJson({ key, reason: 'spam' }));
      expect(created.status).to.equal(201);
      expect(created.headers.get('content-type')).to.match(/^application\/json/);
      expect(created.json).to.deep.equal({ key, until: 0, reason: 'spam' });

      const listed = await call(base, '/bans');
      expect(listed.status).to.equal(200);
      expect(listed.json).to.deep.equal([{ key, until: 0, reason: 'spam' }]);

      const before = Date.now();
      const updated = await call(base, '/bans', postJson({ key, duration_sec: 60 }));
      expect(updated.status).to.equal(200);
      expect(updated.json.key).to.equal(key);
      expect(updated.json.reason).to.be.a('string').and.not.empty;
      expect(updated.json.until).to.be.within(before + 60_000, Date.now() + 60_000);

      const removed = await call(base, `/bans/${key}`, { method: 'DELETE' });
      expect(removed.status).to.equal(200);
      expect(removed.json).to.deep.equal({ key, unbanned: true });
      expect((await call(base, '/bans')).json).to.deep.equal([]);

      expectError(await call(base, `/bans/${key}`, { method: 'DELETE' }), 404, 'NOT_BANNED', key);
    });

    it('POST /bans body validation names the field', async () => {
      const key = Keypair.random().publicKey();
      const cases: Array<[unknown, string]> = [
        [{}, 'key: is required'],
        [{ key: 'GABC' }, 'key: expected a Stellar public key'],
        [{ key: key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A') }, 'key: expected a Stellar public key'], // bad checksum
        [{ key: Keypair.random().secret() }, 'key:'],
        [{ key: 7 }, 'key: expected a string'],
        [{ key, duration_sec: -5 }, 'duration_sec: must be at least 1'],
        [{ key, duration_sec: 0 }, 'duration_sec:'],
        [{ key, duration_sec: 1.5 }, 'duration_sec: expected a whole number'],
        [{ key, duration_sec: '60' }, 'duration_sec: expected a number'],
        [{ key, duration_sec: 1e12 }, 'duration_sec: must be at most'],
        [{ key, reason: 42 }, 'reason: expected a string'],
        [{ key, reason: 'x'.repeat(257) }, 'reason: must be at most 256'],
        [{ key, durationSec: 5 }, 'unknown field(s) "durationSec"'],
        [[key], 'the body must be a JSON object'],
        [null, 'the body must be a JSON object'],
      ];
      for (const [body, message] of cases) {
        expectError(await call(base, '/bans', postJson(body)), 400, 'INVALID_BODY', message);
      }
      expect(bans.list()).to.deep.equal([]);
    });

    it('POST /bans: invalid JSON → 400, wrong content type → 415, too large → 413', async () => {
      expectError(await call(base, '/bans', postJson('{"key":')), 400, 'INVALID_JSON');
      expectError(await call(base, '/bans', postJson('')), 400, 'INVALID_JSON');
      expectError(
        await call(base, '/bans', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'application/json',
      );
      expectError(
        await call(base, '/bans', { method: 'POST', body: new Uint8Array([123, 125]) }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        await call(base, '/bans', postJson('{}', { 'content-type': 'application/json; charset=latin1' })),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'charset',
      );
      // charset=utf-8 is fine
      const ok = await call(
        base,
        '/bans',
        postJson({ key: Keypair.random().publicKey() }, { 'content-type': 'application/json; charset=UTF-8' }),
      );
      expect(ok.status).to.equal(201);

      const big = JSON.stringify({ key: Keypair.random().publicKey(), reason: 'x'.repeat(ADMIN_BODY_LIMIT) });
      const tooLarge = await call(base, '/bans', postJson(big));
      expectError(tooLarge, 413, 'PAYLOAD_TOO_LARGE');
      expect(tooLarge.headers.get('connection')).to.equal('close');
    });

    it('POST /bans: a chunked body over the limit (no Content-Length) → 413', async () => {
      const chunk = Buffer.alloc(4096, 0x20);
      const a = await rawRequest(server.port, {
        method: 'POST',
        path: '/bans',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        chunks: [Buffer.from('{"key":"'), ...Array.from({ length: 5 }, () => chunk)],
      });
      expect(a.status).to.equal(413);
      expect((JSON.parse(a.body) as { error: { code: string } }).error.code).to.equal('PAYLOAD_TOO_LARGE');
      expect((await call(base, '/healthz')).status).to.equal(200);
    });

    it('a ban the ban list refuses (BAN_INVALID) → 400', async () => {
      expectError(await call(base, '/bans', postJson({ key: SELF_KEY })), 400, 'BAN_INVALID', 'own node key');
      expect(bans.list()).to.deep.equal([]);
    });

    it('a ban that cannot be saved → 500 PERSIST_FAILED saying it is in force, logged', async () => {
      expectError(await call(base, '/bans', postJson({ key: FAILING_SAVE })), 500, 'PERSIST_FAILED', 'in force');
      expect(bans.isBanned(FAILING_SAVE)).to.equal(true);
      expect(logs.some((l) => l.includes('disk on fire'))).to.equal(true);
    });

    it('bans are persisted by the ban list', async () => {
      const key = Keypair.random().publicKey();
      expect((await call(base, '/bans', postJson({ key, reason: 'flooding' }))).status).to.equal(201);
      const reloaded = new BanList({ dataDir });
      expect(reloaded.list()).to.deep.equal([{ key, until: 0, reason: 'flooding' }]);
    });

    it('DELETE /bans/:key validates the key', async () => {
      expectError(await call(base, '/bans/not-a-key', { method: 'DELETE' }), 400, 'INVALID_KEY', 'key:');
      expectError(await call(base, '/bans/%E0%A4%A', { method: 'DELETE' }), 400, 'INVALID_KEY', 'percent');
    });

    it('loopback binding: POST/DELETE with a non-loopback Host header → 403', async () => {
      const key = Keypair.random().publicKey();
      const body = Buffer.from(JSON.stringify({ key }));
      const evil = await rawRequest(server.port, {
        method: 'POST',
        path: '/bans',
        headers: { host: `rebound.example:${server.port}`, 'content-type': 'application/json' },
        chunks: [body],
      });
      expect(evil.status).to.equal(403);
      expect((JSON.parse(evil.body) as { error: { code: string } }).error.code).to.equal('FORBIDDEN_HOST');
      expect(bans.list()).to.deep.equal([]);
      for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) {
        const ok = await rawRequest(server.port, {
          method: 'POST',
          path: '/bans',
          headers: { host, 'content-type': 'application/json' },
          chunks: [body],
        });
        expect(ok.status, host).to.be.oneOf([200, 201]);
      }
      // GET stays open whatever the Host
      const get = await rawRequest(server.port, { method: 'GET', path: '/bans', headers: { host: 'rebound.example' } });
      expect(get.status).to.equal(200);
    });
  });

  describe('token', () => {
    let secured: AdminServer;
    beforeEach(async () => {
      secured = await startAdminServer(options({ token: TOKEN }));
    });
    afterEach(async () => {
      await secured.close();
    });

    it('POST/DELETE need the bearer token when one is configured (also on loopback)', async () => {
      const key = Keypair.random().publicKey();
      const none = await call(secured.url, '/bans', postJson({ key }));
      expectError(none, 401, 'UNAUTHORIZED');
      expect(none.headers.get('www-authenticate')).to.match(/^Bearer /);
      expectError(await call(secured.url, '/bans', postJson({ key }, { authorization: 'Bearer wrong-token-but-long-enough' })), 401, 'UNAUTHORIZED');
      expectError(await call(secured.url, '/bans', postJson({ key }, { authorization: `Bearer ${TOKEN}x` })), 401, 'UNAUTHORIZED');
      expectError(await call(secured.url, '/bans', postJson({ key }, { authorization: `Basic ${TOKEN}` })), 401, 'UNAUTHORIZED');
      expectError(await call(secured.url, `/bans/${key}`, { method: 'DELETE' }), 401, 'UNAUTHORIZED');
      expect(bans.list()).to.deep.equal([]);

      const ok = await call(secured.url, '/bans', postJson({ key }, { authorization: `bearer ${TOKEN}` }));
      expect(ok.status).to.equal(201);
      const del = await call(secured.url, `/bans/${key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(del.status).to.equal(200);
    });

    it('authentication comes before body checks, and GET routes stay open', async () => {
      expectError(await call(secured.url, '/bans', { method: 'POST', body: 'junk' }), 401, 'UNAUTHORIZED');
      for (const path of ['/info', '/peers', '/metrics', '/healthz', '/readyz', '/bans']) {
        expect((await call(secured.url, path)).status, path).to.equal(200);
      }
    });

    it('never logs the token', async () => {
      await call(secured.url, '/bans', postJson({ key: peer.nodeKey }, { authorization: 'Bearer wrong-token-but-long-enough' }));
      await call(secured.url, '/bans', postJson({ key: peer.nodeKey }, { authorization: `Bearer ${TOKEN}` }));
      expect(logs.some((l) => l.includes('unauthor') || l.includes('wrong token'))).to.equal(true);
      expect(logs.join('\n')).to.not.include(TOKEN);
      expect(logs.join('\n')).to.not.include('wrong-token-but-long-enough');
    });
  });
});

describe('admin auth helpers', () => {
  it('isLoopbackHost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) {
      expect(isLoopbackHost(h), h).to.equal(true);
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', 'localhost.example.com', '', '::ffff:10.0.0.1']) {
      expect(isLoopbackHost(h), h).to.equal(false);
    }
  });

  it('hostOfHostHeader', () => {
    expect(hostOfHostHeader('localhost:80')).to.equal('localhost');
    expect(hostOfHostHeader('[::1]:8080')).to.equal('[::1]');
    expect(hostOfHostHeader('127.0.0.1')).to.equal('127.0.0.1');
    expect(hostOfHostHeader(undefined)).to.equal(undefined);
  });

  it('bearerToken and tokenChecker', () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).to.equal(TOKEN);
    expect(bearerToken(`BEARER  ${TOKEN}`)).to.equal(TOKEN);
    expect(bearerToken(`Basic ${TOKEN}`)).to.equal(undefined);
    expect(bearerToken('Bearer')).to.equal(undefined);
    expect(bearerToken('Bearer a b')).to.equal(undefined);
    const check = tokenChecker(TOKEN);
    expect(check(TOKEN)).to.equal(true);
    expect(check(TOKEN + 'x')).to.equal(false);
    expect(check('')).to.equal(false);
    expect(check(undefined)).to.equal(false);
  });

  it('computeReadiness', () => {
    expect(computeReadiness({ coreConnected: true, peers: 2 })).to.deep.equal({ ready: true, coreConnected: true, peers: 2 });
    expect(computeReadiness({ coreConnected: false, peers: 2 }).ready).to.equal(false);
    expect(computeReadiness({ coreConnected: true, peers: 0 }).reason).to.equal('no peer connected');
  });
});
