import { randomUUID } from 'node:crypto';

import { Pool } from 'pg';

import { marketingSendPlanStatements, seedMarketingSends } from 'test/bench/marketing-sends.bench';
import { checkPlans, type PlanCheck } from 'test/bench/query-plans';
import { createTestDatabase, dropTestDatabase } from 'test/utils/test-database';

/**
 * The plans of the marketing sends' reads and retention at a size where a scan would show (200,000 sends,
 * 2,000 holds; `npm run bench` checks the same statements at 1,000,000): each must be a range scan of the
 * index it was built for, never a scan of the table.
 */
describe('Marketing send query plans (e2e)', () => {
  const organizationId = randomUUID();
  let databaseUrl: string;
  let pool: Pool;
  let statements: ReturnType<typeof marketingSendPlanStatements>;
  let plans: PlanCheck[];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    pool = new Pool({ connectionString: databaseUrl, max: 2 });
    const seed = await seedMarketingSends(pool, organizationId, 200_000);
    statements = marketingSendPlanStatements(organizationId, seed);
    plans = await checkPlans(pool, statements);
  }, 180_000);

  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(databaseUrl);
  });

  it('should read every statement through its index, scanning no large table', () => {
    expect(plans.map((plan) => ({ name: plan.name, scans: plan.scans }))).toEqual(
      statements.map((statement) => ({ name: statement.name, scans: [] })),
    );
    for (const [index, statement] of statements.entries()) {
      expect({ name: statement.name, nodes: plans[index].nodes.join(' > ') }).toEqual({
        name: statement.name,
        nodes: expect.stringMatching(new RegExp(`using ${statement.index}\\b`)),
      });
    }
  });
});
