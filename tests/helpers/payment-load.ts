// A modest, steady load for fault tests: one payment every `intervalMs`, each from a fresh genesis account (seq 1,
// so every tx stands alone and must apply), to the reference cores in turn. Every tx a core accepted is kept with
// the phase of the test it was accepted in, so the test can check that each one ends up applied.
import { networkIdOf } from '#ipc-protocol';
import { signedPayment } from '../../core-bridge/src/loadgen/payment.ts';
import { genesisAccount } from '../../core-bridge/src/reference-core/genesis.ts';
import { postTx } from './core-http.ts';

/** stellar-core: the network base fee per operation. */
const FEE = 100;

export interface AcceptedTx {
  hash: string;
  /** Index of the core (in `urls()`) that accepted it. */
  core: number;
  phase: string;
}

export interface PaymentLoadOptions {
  /** The cores' HTTP base URLs, read at each submission (a restarted core moves to a new port). */
  urls: () => string[];
  passphrase: string;
  /** Source accounts are genesis accounts first..last-1; `last` is also the payee (never a source). */
  firstAccount: number;
  lastAccount: number;
  intervalMs: number;
}

export class PaymentLoad {
  readonly accepted: AcceptedTx[] = [];
  /** Submissions a core answered with anything but ACCEPTED, or did not answer. */
  readonly refused: { core: number; status: string }[] = [];
  /** Tagged onto every tx accepted from now on. */
  phase = 'start';
  private readonly opts: PaymentLoadOptions;
  private readonly networkId: Uint8Array;
  private readonly payee: Uint8Array;
  private next: number;
  private turn = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(opts: PaymentLoadOptions) {
    this.opts = opts;
    this.networkId = networkIdOf(opts.passphrase);
    this.payee = genesisAccount(opts.lastAccount).publicKey;
    this.next = opts.firstAccount;
  }

  start(): void {
    this.timer ??= setInterval(() => this.submitOne(), this.opts.intervalMs);
  }

  /** Stops submitting and waits for the submissions under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.inFlight);
  }

  /** Accepted txs, by phase and by the core that accepted them. */
  acceptedWhere(pred: (t: AcceptedTx) => boolean): AcceptedTx[] {
    return this.accepted.filter(pred);
  }

  private submitOne(): void {
    if (this.next >= this.opts.lastAccount) {
      void this.stop();
      return;
    }
    const urls = this.opts.urls();
    const core = this.turn++ % urls.length;
    const phase = this.phase;
    const tx = signedPayment({ from: genesisAccount(this.next++), to: this.payee, amount: 1n, seq: 1n, fee: FEE, networkId: this.networkId });
    const p = postTx(urls[core]!, tx).then(
      (v) => {
        if (v.status === 'ACCEPTED') this.accepted.push({ hash: v.hash, core, phase });
        else this.refused.push({ core, status: v.status });
      },
      (err: Error) => {
        this.refused.push({ core, status: `no answer: ${err.message}` });
      },
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
