// `npm run test:native`: builds and tests native/ (the C++ client of the IPC protocol).
//   1. Toolchain: cmake, g++ and the msgpack-cxx headers; when one is missing and we are root (CI images, fresh
//      containers) they are installed with apt-get, otherwise we stop and say what to install.
//   2. cmake -S native -B native/build, cmake --build native/build -j2, ctest --test-dir native/build.
//      native/build/live_overlay_test is built here but is no CTest test (it needs live overlays):
//      tests/integration/native-live.test.ts runs it, later in `npm test`.
//   3. The TS column of native/tests/parity-cases.txt is checked against this repository's TS decoder, so the
//      table the C++ parity test relies on cannot drift from the TypeScript it describes.
// Every command is spawned without a shell, its output passed straight through.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, ProtocolError, decodeMessage, encodeFrame, type Message } from '#ipc-protocol';

const root = fileURLToPath(new URL('..', import.meta.url));
const MSGPACK_HEADER = '/usr/include/msgpack.hpp';
const APT_PACKAGES = ['cmake', 'g++', 'libmsgpack-cxx-dev'];

class StepFailed extends Error {}

function log(message: string): void {
  console.log(`native-test: ${message}`);
}

/** Runs a command in the repository root with inherited stdio; throws StepFailed unless it exits 0. */
function run(what: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  log(`${what}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error !== undefined) throw new StepFailed(`${what}: cannot run ${command}: ${result.error.message}`);
  if (result.signal !== null) throw new StepFailed(`${what}: ${command} killed by ${result.signal}`);
  if (result.status !== 0) throw new StepFailed(`${what}: ${command} exited with status ${result.status}`);
}

/** True when `command --version` runs. */
function hasCommand(command: string): boolean {
  const result = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

function missingTools(): string[] {
  const missing: string[] = [];
  if (!hasCommand('cmake')) missing.push('cmake');
  if (!hasCommand('g++')) missing.push('g++');
  if (!existsSync(MSGPACK_HEADER)) missing.push(`msgpack-cxx headers (${MSGPACK_HEADER})`);
  return missing;
}

function ensureToolchain(): void {
  const missing = missingTools();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new StepFailed(
      `missing ${missing.join(', ')}; not root, so not installing. Run: sudo apt-get install -y ${APT_PACKAGES.join(' ')}`,
    );
  }
  log(`missing ${missing.join(', ')}; installing with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get update', 'apt-get', ['update'], env);
  run('install toolchain', 'apt-get', ['install', '-y', ...APT_PACKAGES], env);
  const still = missingTools();
  if (still.length > 0) throw new StepFailed(`still missing after apt-get install: ${still.join(', ')}`);
}

/** The TS decoder's verdict in the table's notation: ok, ok=<canonical frame hex>, or the error code. */
function tsVerdict(frame: Buffer): string {
  try {
    const messages: Message[] = [];
    const decoder = new FrameDecoder();
    decoder.push(frame, (type, payload) => {
      messages.push(decodeMessage(type, payload));
    });
    const [only] = messages;
    if (only === undefined || messages.length !== 1 || decoder.buffered !== 0) return 'not-one-frame';
    const again = encodeFrame(only);
    return again.equals(frame) ? 'ok' : `ok=${again.toString('hex')}`;
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}

function checkParityTable(): void {
  const path = fileURLToPath(new URL('../native/tests/parity-cases.txt', import.meta.url));
  log(`checking the TS column of ${path} against the TS decoder`);
  const mismatches: string[] = [];
  let cases = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, expected, , hex, ...extra] = line.trim().split(/\s+/);
    if (name === undefined || expected === undefined || hex === undefined || extra.length > 0) {
      throw new StepFailed(`parity table: bad line: ${line.slice(0, 120)}`);
    }
    cases++;
    const got = tsVerdict(Buffer.from(hex, 'hex'));
    if (got !== expected) mismatches.push(`${name}: table says ${expected.slice(0, 80)}, TS decoder gives ${got.slice(0, 80)}`);
  }
  for (const m of mismatches) console.log(`  ${m}`);
  console.log(`${cases - mismatches.length} passed, ${mismatches.length} failed`);
  if (mismatches.length > 0) {
    throw new StepFailed('the TS decoder no longer matches native/tests/parity-cases.txt: update the C++ side and the table');
  }
}

try {
  ensureToolchain();
  run('configure', 'cmake', ['-S', 'native', '-B', 'native/build']);
  run('build', 'cmake', ['--build', 'native/build', '-j2']);
  run('test', 'ctest', ['--test-dir', 'native/build', '--output-on-failure']);
  checkParityTable();
  log('all native tests passed');
} catch (err) {
  if (!(err instanceof StepFailed)) throw err;
  console.error(`native-test: FAILED: ${err.message}`);
  process.exitCode = 1;
}
