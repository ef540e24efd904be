import type { Pool } from 'pg';

/** One hot query and how PostgreSQL plans it at the seeded size. */
export interface PlanCheck {
  name: string;
  /** Plan nodes, outermost first (`Index Scan on wabas using wabas_organization_id_waba_id_index`). */
  nodes: string[];
  /** Sequential scans of a table with more than {@link SCAN_ROW_LIMIT} rows: a defect at this size. */
  scans: string[];
  executionMs: number;
}

/** Tables smaller than this may be scanned; larger ones must be reached through an index. */
const SCAN_ROW_LIMIT = 1_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Plan Rows'?: number;
  Plans?: PlanNode[];
}

/** EXPLAIN (ANALYZE) of each query; lists sequential scans of big tables. */
export async function checkPlans(
  pool: Pool,
  queries: Array<{ name: string; text: string; values: unknown[] }>,
): Promise<PlanCheck[]> {
  const sizes = new Map<string, number>(
    (
      await pool.query<{ relname: string; n: string }>(
        "SELECT relname, reltuples::bigint AS n FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
      )
    ).rows.map((row) => [row.relname, Number(row.n)]),
  );
  const checks: PlanCheck[] = [];
  for (const query of queries) {
    const client = await pool.connect();
    try {
      // ANALYZE executes the statement: run it in a transaction that is rolled back (claims are UPDATEs).
      await client.query('BEGIN');
      const result = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${query.text}`,
        query.values,
      );
      await client.query('ROLLBACK');
      const [root] = result.rows[0]['QUERY PLAN'];
      const nodes: string[] = [];
      const scans: string[] = [];
      const walk = (node: PlanNode): void => {
        const relation = node['Relation Name'];
        nodes.push(
          `${node['Node Type']}${relation ? ` on ${relation}` : ''}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`,
        );
        if (node['Node Type'] === 'Seq Scan' && relation && (sizes.get(relation) ?? 0) > SCAN_ROW_LIMIT) {
          scans.push(`${relation} (${sizes.get(relation)} rows)`);
        }
        node.Plans?.forEach(walk);
      };
      walk(root.Plan);
      checks.push({ name: query.name, nodes, scans, executionMs: root['Execution Time'] });
    } finally {
      client.release();
    }
  }
  return checks;
}
