// The attacker process of the DoS benchmark: runs the attack given as JSON in argv[2] (dos-attacks.ts) until the
// parent sends "stop", then sends the parent its AttackStats and exits.
import { runAttack, type AttackParams, type AttackStats } from './dos-attacks.ts';

const arg = process.argv[2];
if (arg === undefined || process.send === undefined) throw new Error('usage: forked with dos-attacks.ts AttackParams as JSON in argv[2]');
const params = JSON.parse(arg) as AttackParams;
const abort = new AbortController();
process.on('message', (m) => {
  if (m === 'stop') abort.abort();
});
const stats: AttackStats = await runAttack(params, abort.signal);
process.send!({ stats }, () => process.exit(0));
