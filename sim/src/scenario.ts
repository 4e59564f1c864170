export interface ScenarioOptions {
  seed: number;
  /** Cluster size to simulate (scenarios may use fewer, e.g. a join storm of 100). */
  nodes: number;
  /** `--full`: run the variants too big for the 60 s `pnpm sim` budget (placement: 1M files). */
  full?: boolean;
}

export interface ScenarioResult {
  name: string;
  /** Named figures, printed in insertion order: rounds, probe periods, messages per node, … */
  figures: Record<string, number | string | boolean>;
  /** Whether the scenario met its targets. */
  passed: boolean;
  wallSeconds?: number;
  /** User + system CPU seconds of the scenario's process while it ran (`process.cpuUsage`). */
  cpuSeconds?: number;
  /** Peak resident set of the scenario's process (its own: each scenario runs in a fresh one). */
  peakRssMiB?: number;
}

/** A scenario lives in src/scenarios/<file>.ts and exports `scenario`. */
export interface Scenario {
  name: string;
  description: string;
  run(options: ScenarioOptions): Promise<ScenarioResult>;
}
