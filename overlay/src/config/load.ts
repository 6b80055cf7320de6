// Reads the TOML file, applies CLI overrides, validates, and resolves derived paths.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { OverlayError } from '../util/errors.ts';
import { DEFAULTS } from './defaults.ts';
import { configSchema, type OverlayConfig } from './schema.ts';

export interface ResolvedConfig extends OverlayConfig {
  /** Absolute paths, resolved against the working directory. */
  dataDir: string;
  socketPath: string;
  adminPort: number;
}

export function formatIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const key = i.path.length > 0 ? i.path.join('.') : '(top level)';
      if (i.code === 'unrecognized_keys') return `${key}: unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${key}: ${i.message}`;
    })
    .join('\n  ');
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new OverlayError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (cause) {
    throw new OverlayError('CONFIG_INVALID', `config file ${path} is not valid TOML: ${(cause as Error).message}`, { cause });
  }
}

/** Deep-merges `over` into `base` (plain objects only; arrays and scalars replace). */
export function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      isPlainObject(b) && isPlainObject(v) ? mergeConfig(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function resolveConfig(raw: Record<string, unknown>, cwd = process.cwd()): ResolvedConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OverlayError('CONFIG_INVALID', `invalid configuration:\n  ${formatIssues(parsed.error.issues)}`);
  }
  const cfg = parsed.data;
  const dataDirSetting = cfg.data_dir ?? join(DEFAULTS.dataDirRoot, String(cfg.p2p.peer_port));
  const dataDir = isAbsolute(dataDirSetting) ? dataDirSetting : resolve(cwd, dataDirSetting);
  const adminPort = cfg.admin.port ?? (cfg.p2p.peer_port === 0 ? 0 : cfg.p2p.peer_port + DEFAULTS.adminPortOffset);
  if (adminPort > 65535) {
    throw new OverlayError('CONFIG_INVALID', 'invalid configuration:\n  admin.port: peer_port + 2 is over 65535; set admin.port');
  }
  const socketPath = cfg.ipc.socket
    ? isAbsolute(cfg.ipc.socket)
      ? cfg.ipc.socket
      : resolve(cwd, cfg.ipc.socket)
    : join(dataDir, 'ipc', 'overlay.sock');
  if (cfg.node_seed && cfg.node_seed_file) {
    throw new OverlayError('CONFIG_INVALID', 'invalid configuration:\n  node_seed and node_seed_file are exclusive');
  }
  return { ...cfg, dataDir, socketPath, adminPort };
}
