import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const SOFTWARE = 'overlay-sidecar';
export const VERSION = pkg.version;
export const SOFTWARE_VERSION = `${SOFTWARE} ${VERSION}`;
