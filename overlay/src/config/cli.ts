// Command line: `--config <file.toml>`, or stellar-core Overlay V2's launch line
// `overlay-sidecar --listen <socket> --peer-port <port>`, plus a few overrides. Flags override the file.
import { parseArgs } from 'node:util';
import { OverlayError } from '../util/errors.ts';
import { mergeConfig, readConfigFile, resolveConfig, type ResolvedConfig } from './load.ts';

export const USAGE = `usage: overlay-sidecar [--config <file.toml>] [--listen <socket>] [--peer-port <port>]
                       [--network <passphrase>] [--data-dir <dir>] [--admin-port <port>]
                       [--log-level debug|info|warn|error]
  --listen and --peer-port are stellar-core Overlay V2's launch line (QUIC on UDP peer-port + 1000).
  See docs/configuration.md for every key.`;

function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new OverlayError('CONFIG_INVALID', `--${name}: expected a whole number, got "${value}"`);
  return Number(value);
}

export function parseCommandLine(argv: string[], cwd = process.cwd()): ResolvedConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        listen: { type: 'string' },
        'peer-port': { type: 'string' },
        network: { type: 'string' },
        'data-dir': { type: 'string' },
        'admin-port': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (cause) {
    throw new OverlayError('CONFIG_INVALID', `${(cause as Error).message}\n${USAGE}`, { cause });
  }
  if (values.help) return 'help';

  const file = values.config ? readConfigFile(values.config) : {};
  const overrides: Record<string, unknown> = {};
  const p2p: Record<string, unknown> = {};
  const ipc: Record<string, unknown> = {};
  const admin: Record<string, unknown> = {};
  if (values.network !== undefined) overrides.network_passphrase = values.network;
  if (values['data-dir'] !== undefined) overrides.data_dir = values['data-dir'];
  if (values['log-level'] !== undefined) overrides.log_level = values['log-level'];
  if (values.listen !== undefined) ipc.socket = values.listen;
  const peerPort = intFlag('peer-port', values['peer-port']);
  if (peerPort !== undefined) p2p.peer_port = peerPort;
  const adminPort = intFlag('admin-port', values['admin-port']);
  if (adminPort !== undefined) admin.port = adminPort;
  if (Object.keys(p2p).length) overrides.p2p = p2p;
  if (Object.keys(ipc).length) overrides.ipc = ipc;
  if (Object.keys(admin).length) overrides.admin = admin;
  return resolveConfig(mergeConfig(file, overrides), cwd);
}
