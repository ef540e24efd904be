/** Buckets of `http_request_duration_seconds`: API answers are expected in milliseconds. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Buckets of `meta_graph_call_duration_seconds`: Meta answers in tens to hundreds of milliseconds. */
export const GRAPH_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Buckets of `sync_round_duration_seconds`: a round of thousands of WABAs takes minutes. */
export const SYNC_ROUND_DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800];

/** Route label of requests no controller matched (404s, probes of random paths): keeps label cardinality bounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The inbox query of a scrape gives up after this, so a slow database never hangs /metrics. */
export const INBOX_SCRAPE_TIMEOUT_MS = 2_000;
