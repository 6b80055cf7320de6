// An overlay's admin endpoint (overlay/src/admin/http-server.ts) as tests drive it: bans by node key and the node
// keys of connected peers. Works for any overlay whose admin URL is known (startOverlay's handle, or the "admin"
// field of a supervised overlay's ready line).
import type { PeerView } from '../../overlay/src/peers/types.ts';
import { getJson } from './overlay-process.ts';

/** POST /bans: bans `key` until unbanned (which also hangs up on it). Throws unless the overlay took it. */
export async function ban(adminUrl: string, key: string, reason: string): Promise<void> {
  const res = await fetch(`${adminUrl}/bans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, reason }),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${adminUrl}/bans ${key}: HTTP ${res.status} ${await res.text()}`);
}

/** DELETE /bans/:key. Throws unless the ban was there and is lifted. */
export async function unban(adminUrl: string, key: string): Promise<void> {
  const res = await fetch(`${adminUrl}/bans/${key}`, { method: 'DELETE' });
  if (res.status !== 200) throw new Error(`DELETE ${adminUrl}/bans/${key}: HTTP ${res.status} ${await res.text()}`);
}

/** Node keys of the connected peers (GET /peers), sorted. */
export async function peerKeys(adminUrl: string): Promise<string[]> {
  return (await getJson<PeerView[]>(`${adminUrl}/peers`)).map((p) => p.nodeKey).sort();
}
