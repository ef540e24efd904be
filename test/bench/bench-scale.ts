/** How big one bench run is. */
export interface BenchScale {
  quick: boolean;
  organizations: number;
  wabas: number;
  numbersPerWaba: number;
  /** WABAs of the organization whose key drives the list and detail load. */
  benchOrganizationWabas: number;
  /** Seconds of each closed-loop load phase. */
  loadSeconds: number;
  /** Concurrent HTTP connections (and concurrent driver callers for the database ceiling). */
  connections: number;
  /** WABAs made due (and mirrored in the simulator) for the measured re-sync round. */
  roundWabas: number;
  roundLatencyMs: number;
  roundConcurrency: number;
  /** WABAs of the second round without a system-user token (0 = skipped). */
  perTokenRoundWabas: number;
  /** Signed deliveries posted in the ingestion burst. */
  webhookDeliveries: number;
  webhookConcurrency: number;
  /** Deliveries sent one at a time to measure the lag until the change is visible. */
  lagSamples: number;
}

/** Product-spec §3 scale, or a CI-sized run with the same shape. */
export function benchScale(quick: boolean): BenchScale {
  return quick
    ? {
        quick,
        organizations: 1_000,
        wabas: 5_000,
        numbersPerWaba: 3,
        benchOrganizationWabas: 500,
        loadSeconds: 3,
        connections: 16,
        roundWabas: 500,
        roundLatencyMs: 100,
        roundConcurrency: 8,
        perTokenRoundWabas: 0,
        webhookDeliveries: 500,
        webhookConcurrency: 16,
        lagSamples: 15,
      }
    : {
        quick,
        organizations: 10_000,
        wabas: 50_000,
        numbersPerWaba: 3,
        // The biggest organization of the target (issue 13: at least 2,500 WABAs).
        benchOrganizationWabas: 2_800,
        loadSeconds: 10,
        connections: 32,
        roundWabas: 10_000,
        roundLatencyMs: 100,
        roundConcurrency: 8,
        perTokenRoundWabas: 1_000,
        webhookDeliveries: 2_000,
        webhookConcurrency: 32,
        lagSamples: 50,
      };
}

/** Meta ID of the seeded WABA number `seq` (15 digits, like Meta's). */
export function benchWabaId(seq: number): string {
  return String(200_000_000_000_000 + seq);
}

/** Meta ID of the `k`-th number of the seeded WABA `seq`. */
export function benchPhoneNumberId(seq: number, k: number, numbersPerWaba: number): string {
  return String(300_000_000_000_000 + seq * numbersPerWaba + k);
}
