// The supervisor with real processes: a real overlay and a stand-in core (tests/helpers/reconnecting-core.ts) that
// talks to it over its Unix socket; crash restarts, giving up on bad-config exits, ordered shutdown, and the CLI.
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Keypair } from '@stellar/stellar-base';
import { freePeerPort } from '../../scripts/lib/ports.ts';
import {
  OVERLAY_READY_PATTERN,
  Supervisor,
  SupervisorError,
  overlayProcess,
  type ExitEvent,
  type GaveUpEvent,
  type ReadyEvent,
  type RestartEvent,
  type ValidatorSpec,
} from '../../scripts/supervisor.ts';
import { createLogger } from '../../overlay/src/util/log.ts';
import { waitFor } from '../helpers/wait.ts';

const CORE_BIN = new URL('../helpers/reconnecting-core.ts', import.meta.url).pathname;
const SUPERVISOR_BIN = new URL('../../scripts/supervisor.ts', import.meta.url).pathname;
/** The supervisor's own log is kept quiet in tests; the children's go to their files. */
const quiet = createLogger('supervisor', 'error', () => {});

/** A validator: a real overlay (fresh seed, free ports) in `dir`, and the reconnecting stand-in core. By default
 * the overlay is ready on its "ready" log line; `readyOverHttp` uses its admin /healthz instead. */
async function validator(name: string, dir: string, opts: { readyOverHttp?: boolean } = {}): Promise<ValidatorSpec> {
  const peerPort = await freePeerPort();
  const socket = join(dir, name, 'ipc', 'overlay.sock');
  const config = join(dir, `${name}.toml`);
  writeFileSync(
    config,
    [`data_dir = ${JSON.stringify(join(dir, name, 'data'))}`, `node_seed = "${Keypair.random().secret()}"`,
      `[ipc]`, `socket = ${JSON.stringify(socket)}`, `[p2p]`, `peer_port = ${peerPort}`, `dht = false`].join('\n') + '\n',
  );
  return {
    name,
    overlay: overlayProcess(
      ['--config', config],
      // /healthz, not /readyz: the overlay is "ready" for traffic only once its core is connected.
      opts.readyOverHttp ? { readiness: { kind: 'http', url: `http://127.0.0.1:${peerPort + 2}/healthz` } } : {},
    ),
    core: { command: [process.execPath, CORE_BIN, socket], readiness: { kind: 'log-line', pattern: '"msg":"core connected"' } },
  };
}

function lines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('supervisor', function () {
  describe('one validator (real overlay, reconnecting core)', function () {
    let dir: string;
    let sup: Supervisor;
    const ready: ReadyEvent[] = [];
    const exits: ExitEvent[] = [];
    const restarts: RestartEvent[] = [];

    before(async function () {
      dir = mkdtempSync(join(tmpdir(), 'supervise-'));
      sup = new Supervisor({ logDir: join(dir, 'logs'), validators: [await validator('v0', dir)], log: quiet });
      sup.on('ready', (e) => ready.push(e));
      sup.on('exit', (e) => exits.push(e));
      sup.on('restart', (e) => restarts.push(e));
      await sup.start();
    });
    after(async () => {
      await sup?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('starts the overlay, then the core once the overlay is ready; both logged to their files', async function () {
      expect(ready.map((e) => e.name)).to.deep.equal(['v0-overlay', 'v0-core']);
      expect(JSON.parse(ready[0]!.line!)).to.include.keys('peerId', 'admin', 'socket');
      const status = sup.status();
      expect(status.map((s) => [s.name, s.validator, s.role, s.state, s.restarts])).to.deep.equal([
        ['v0-overlay', 'v0', 'overlay', 'ready', 0],
        ['v0-core', 'v0', 'core', 'ready', 0],
      ]);
      for (const s of status) expect(s.pid).to.be.a('number').and.satisfy(isAlive);
      // Log files are written asynchronously: the lines may land just after the ready event.
      const overlayLog = await waitFor('overlay ready line in its log file', () => {
        const l = lines(join(dir, 'logs', 'v0-overlay.log'));
        return l.some((x) => x.includes(OVERLAY_READY_PATTERN)) ? l : undefined;
      });
      expect(JSON.parse(overlayLog[0]!)).to.include({ msg: 'started', child: 'v0-overlay', start: 1 });
      const coreLog = await waitFor('core connected line in its log file', () => {
        const l = lines(join(dir, 'logs', 'v0-core.log'));
        return l.some((x) => x.includes('"msg":"core connected"')) ? l : undefined;
      });
      expect(JSON.parse(coreLog[0]!)).to.include({ msg: 'started', child: 'v0-core', start: 1 });
    });

    it('restarts a SIGKILLed overlay (new pid, restart counted, ready again) and the core reconnects', async function () {
      const overlay = sup.child('v0-overlay');
      const oldPid = overlay.pid!;
      const corePid = sup.child('v0-core').pid;
      expect(overlay.kill('SIGKILL')).to.equal(true);
      const status = await waitFor('the overlay restarted and ready', () => {
        const s = sup.status().find((c) => c.name === 'v0-overlay')!;
        return s.state === 'ready' && s.restarts === 1 && s.pid !== oldPid && s;
      });
      expect(isAlive(oldPid)).to.equal(false);
      expect(status.pid).to.satisfy(isAlive);
      expect(exits).to.have.lengthOf(1);
      expect(exits[0]).to.include({ name: 'v0-overlay', pid: oldPid, signal: 'SIGKILL', requested: false });
      expect(restarts.map((r) => [r.name, r.restarts])).to.deep.equal([['v0-overlay', 1]]);
      expect(ready.map((e) => e.name)).to.deep.equal(['v0-overlay', 'v0-core', 'v0-overlay']);
      const starts = lines(join(dir, 'logs', 'v0-overlay.log')).filter((l) => l.includes('"msg":"started"'));
      expect(starts).to.have.lengthOf(2);
      // The core process stayed up and connected again to the new overlay.
      await waitFor('the core reconnected', () =>
        lines(join(dir, 'logs', 'v0-core.log')).filter((l) => l.includes('"msg":"core connected"')).length === 2,
      );
      expect(sup.child('v0-core').pid).to.equal(corePid);
    });

    it('stop() stops the core before the overlay, both exit 0, no process left', async function () {
      const pids = sup.status().map((s) => s.pid!);
      exits.length = 0;
      await sup.stop();
      expect(exits.map((e) => [e.name, e.code, e.requested, e.killed])).to.deep.equal([
        ['v0-core', 0, true, false],
        ['v0-overlay', 0, true, false],
      ]);
      for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).to.equal(false);
      expect(sup.status().map((s) => [s.state, s.pid])).to.deep.equal([['stopped', null], ['stopped', null]]);
      const overlayLog = lines(join(dir, 'logs', 'v0-overlay.log'));
      expect(JSON.parse(overlayLog.at(-1)!)).to.include({ msg: 'exited', child: 'v0-overlay', code: 0, requested: true });
    });
  });

  describe('its own processes per test', function () {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'supervise-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('gives up on a child that keeps exiting with code 2 (bad config), and never starts its core', async function () {
      const sup = new Supervisor({
        logDir: join(dir, 'logs'),
        validators: [{
          name: 'bad',
          overlay: { command: [process.execPath, '-e', 'process.exit(2)'], readiness: { kind: 'log-line', pattern: 'never' } },
          core: { command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], readiness: { kind: 'none' } },
        }],
        log: quiet,
      });
      const gaveUp: GaveUpEvent[] = [];
      const exits: ExitEvent[] = [];
      sup.on('gave-up', (e) => gaveUp.push(e));
      sup.on('exit', (e) => exits.push(e));
      try {
        const err = await sup.start().then(() => null, (e: unknown) => e);
        expect(err).to.be.instanceOf(SupervisorError).with.property('code', 'GAVE_UP');
        expect(gaveUp[0]).to.deep.include({ name: 'bad-overlay', exit: { code: 2, signal: null } });
        expect(exits.map((e) => [e.name, e.code])).to.deep.equal([['bad-overlay', 2], ['bad-overlay', 2], ['bad-overlay', 2]]);
        const [overlay, core] = sup.status();
        expect(overlay).to.include({ state: 'gave-up', restarts: 2, pid: null });
        expect(core).to.include({ pid: null });
        expect(lines(join(dir, 'logs', 'bad-overlay.log')).filter((l) => l.includes('"msg":"started"'))).to.have.lengthOf(3);
        expect(await sup.registry.getSingleMetricAsString('supervisor_child_gave_up')).to.include('child="bad-overlay"} 1');
      } finally {
        await sup.stop();
      }
    });

    it('waits for HTTP and Unix-socket readiness', async function () {
      const port = await freePeerPort();
      const socket = join(dir, 'core.sock');
      // Each listens a little after it starts, so the supervisor must poll.
      const later = (code: string) => [process.execPath, '-e', `setTimeout(() => { ${code} }, 300)`];
      const sup = new Supervisor({
        logDir: join(dir, 'logs'),
        validators: [{
          name: 'v0',
          overlay: {
            command: later(`require('node:http').createServer((q, s) => s.end()).listen(${port}, '127.0.0.1')`),
            readiness: { kind: 'http', url: `http://127.0.0.1:${port}/` },
          },
          core: {
            command: later(`require('node:net').createServer().listen(${JSON.stringify(socket)})`),
            readiness: { kind: 'unix-socket', path: socket },
          },
        }],
        log: quiet,
      });
      try {
        await sup.start();
        expect(sup.status().map((s) => s.state)).to.deep.equal(['ready', 'ready']);
      } finally {
        await sup.stop();
      }
    });

    it('kills and restarts a child not ready in time; restarts crashing children with doubling delays', async function () {
      const sup = new Supervisor({
        logDir: join(dir, 'logs'),
        validators: [{
          name: 'v0',
          overlay: {
            command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
            readiness: { kind: 'log-line', pattern: 'never printed' },
            readyTimeoutMs: 200,
            restart: { initialDelayMs: 20 },
          },
          core: { command: [process.execPath, '-e', ''], readiness: { kind: 'none' } },
        }, {
          name: 'v1',
          overlay: { command: [process.execPath, '-e', ''], readiness: { kind: 'none' }, restart: { initialDelayMs: 20 } },
          core: { command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], readiness: { kind: 'none' } },
        }],
        log: quiet,
      });
      const restarts: RestartEvent[] = [];
      sup.on('restart', (e) => restarts.push(e));
      try {
        void sup.start().catch(() => {});
        await waitFor('two restarts of the unready child, three of the crashing one', () =>
          restarts.filter((r) => r.name === 'v0-overlay').length >= 2 && restarts.filter((r) => r.name === 'v1-overlay').length >= 3,
        );
        const of = (name: string) => restarts.filter((r) => r.name === name);
        expect(of('v0-overlay')[0]).to.deep.include({ exit: { code: null, signal: 'SIGKILL' }, delayMs: 20 });
        expect(of('v1-overlay').slice(0, 3).map((r) => [r.exit.code, r.delayMs])).to.deep.equal([[0, 20], [0, 40], [0, 80]]);
        const status = sup.status().find((c) => c.name === 'v1-overlay')!;
        expect(status.restarts).to.be.at.least(3);
        expect(status.state).to.not.equal('gave-up');
      } finally {
        await sup.stop();
      }
    });

    it('CLI: runs a config file; SIGTERM shuts down in order and exits 0', async function () {
      const config = join(dir, 'supervise.json');
      writeFileSync(config, JSON.stringify({ logDir: 'logs', validators: [await validator('v0', dir, { readyOverHttp: true })] }));
      const proc = spawn(process.execPath, [SUPERVISOR_BIN, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      const log: Record<string, unknown>[] = [];
      let buf = '';
      proc.stderr.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        const parts = buf.split('\n');
        buf = parts.pop()!;
        for (const l of parts) log.push(JSON.parse(l) as Record<string, unknown>);
      });
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      try {
        await waitFor('all ready', () => log.some((r) => r.msg === 'all ready'), 30_000);
        const pids = log.filter((r) => r.msg === 'child ready').map((r) => r.pid as number);
        expect(pids).to.have.lengthOf(2);
        proc.kill('SIGTERM');
        expect(await exited).to.equal(0);
        expect(log.filter((r) => r.msg === 'child exited').map((r) => [r.child, r.code])).to.deep.equal([
          ['v0-core', 0],
          ['v0-overlay', 0],
        ]);
        for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).to.equal(false);
        expect(lines(join(dir, 'logs', 'v0-core.log')).some((l) => l.includes('"msg":"core connected"'))).to.equal(true);
      } finally {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          await exited;
        }
      }
    });

    it('CLI: exits 2 on an invalid config', async function () {
      const config = join(dir, 'supervise.json');
      writeFileSync(config, JSON.stringify({ logDir: 'logs', validators: [{ name: 'v 0', overlay: {}, core: {} }] }));
      const proc = spawn(process.execPath, [SUPERVISOR_BIN, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
      expect(code).to.equal(2);
      expect(stderr).to.include('validators.0.name').and.include('validators.0.overlay.command');
    });
  });
});
