/**
 * Who to probe next, and one probe of one member. Pure decisions with their I/O passed in, so the
 * SWIM wiring in swim.ts stays about wiring and this stays testable alone.
 */
import { randomInt, shuffle, type Clock, type Random, type Timer } from '@dfs/transport';

/**
 * Randomised round-robin (SWIM §4.3): every member is probed once per pass, in a fresh random order
 * each pass. Compared with picking at random every time, this bounds the time to first probe a
 * failed member to one pass instead of leaving it to chance.
 */
export class ProbeOrder {
  readonly #random: Random;
  #order: string[] = [];
  #index = 0;

  constructor(random: Random) {
    this.#random = random;
  }

  /**
   * The next member to probe: the next id in this pass that `accept` still takes (members that died
   * or were reaped since the pass began are skipped). Starts a new pass from `candidates()` when the
   * current one is used up. Undefined when there is nobody to probe.
   */
  next<T>(
    candidates: () => readonly string[],
    accept: (id: string) => T | undefined,
  ): T | undefined {
    for (let pass = 0; pass < 2; pass++) {
      while (this.#index < this.#order.length) {
        const id = this.#order[this.#index++] as string;
        const member = accept(id);
        if (member !== undefined) return member;
      }
      this.#order = shuffle(this.#random, candidates());
      this.#index = 0;
    }
    return undefined;
  }

  /**
   * A member joined mid-pass: slot it in at a random place among those not yet probed, so it is
   * probed this pass (a rejoined member must not wait a whole pass to be checked).
   */
  add(id: string): void {
    if (this.#index >= this.#order.length) return; // next pass picks it up
    const at = this.#index + randomInt(this.#random, this.#order.length - this.#index + 1);
    this.#order.splice(at, 0, id);
  }
}

export type ProbeOutcome = 'direct' | 'indirect' | 'failed';

export interface ProbeSteps<M> {
  /**
   * Ping the target; resolves true on an ack before the probe period ends, false otherwise. Never
   * rejects. Its deadline is the whole period, not the probe timeout: see `probeMember`.
   */
  direct(target: M): Promise<boolean>;
  /** Ask `helper` to ping the target; resolves true when it reports an ack, never rejects. */
  indirect(helper: M, target: M): Promise<boolean>;
  /** Up to k members other than the target and this node to ask for indirect probes. */
  helpers(target: M): readonly M[];
}

/**
 * One SWIM probe: a direct ping; when no ack came within `probeTimeoutMs`, indirect pings through
 * k helpers at once, while still accepting the direct ack until the period ends (a slow node whose
 * round trip exceeds the timeout is slow, not dead). The target counts as reachable if any path
 * answers; only when all fail is it suspected, so one lossy link cannot condemn a healthy member.
 */
export async function probeMember<M>(
  target: M,
  steps: ProbeSteps<M>,
  timing: { clock: Clock; probeTimeoutMs: number },
): Promise<ProbeOutcome> {
  const direct = steps.direct(target);
  let timer: Timer | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = timing.clock.setTimeout(() => resolve('timeout'), timing.probeTimeoutMs);
  });
  const early = await Promise.race([direct, timedOut]);
  timer?.cancel();
  if (early === true) return 'direct';
  const helpers = steps.helpers(target);
  const paths: Promise<ProbeOutcome | false>[] = helpers.map((helper) =>
    steps.indirect(helper, target).then(
      (ok) => (ok ? 'indirect' : false),
      () => false,
    ),
  );
  // A direct ping that already failed outright (e.g. refused) has nothing more to say.
  if (early === 'timeout') paths.push(direct.then((ok) => (ok ? 'direct' : false)));
  if (paths.length === 0) return 'failed';
  return new Promise<ProbeOutcome>((resolve) => {
    let pending = paths.length;
    for (const path of paths) {
      void path.then((outcome) => {
        if (outcome !== false) resolve(outcome);
        else if (--pending === 0) resolve('failed');
      });
    }
  });
}
