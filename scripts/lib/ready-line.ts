// The JSON fields of a child's "ready" log line (overlay: peerId, nodeKey, admin, ...; reference core: http, node).
// A supervised child's readyLine may carry a prefix before the JSON object.
export function readyFields<T>(line: string | undefined): T {
  if (line === undefined || !line.includes('{')) throw new Error(`not a ready line: ${String(line)}`);
  return JSON.parse(line.slice(line.indexOf('{'))) as T;
}
