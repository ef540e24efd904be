import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { recordStatements, type StatementLog } from 'test/utils/sql-statements';

type Session = { code: string; wabaId: string; phoneNumberId: string };

/**
 * What one connect costs the database (issue 13: connect through the API is bound by the service's own
 * work per connect). Counted per request, one at a time, with the scheduler off: the count does not depend
 * on the machine's load. The bounds hold the WABA and the number to one read each per transaction and the
 * connect to its two transactions (the records, then the steps' outcomes); a connect sent 34–36 statements
 * before they were set.
 */
describe('The statements of a connect (e2e)', () => {
  let sut: TestApp;
  let org: { id: string; key: string };

  const connect = (session: Session, expected: number) =>
    sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${org.key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(expected);
  // What runs on its own meanwhile: the live-events relay's LISTEN and its pg_notify (sent after a commit,
  // asynchronously, so an earlier request's can land in the window), the throttle store's and the inbox
  // worker's polls.
  const ownStatements = (log: StatementLog) =>
    log.texts.filter((text) => !/^(UN)?LISTEN\b|pg_notify|meta_throttle_pauses|webhook_inbox/i.test(text)).length;
  // The WABA's templates are read after the connect's steps and recorded by the templates module in a
  // transaction of its own: counted apart, so that the connect's budget stays what it was.
  const templateStatements = (log: StatementLog) => log.texts.filter((text) => /waba_template/i.test(text)).length;
  const ormReadsOf = (log: StatementLog, table: string) => log.count(new RegExp(`^select .* from "${table}"`, 'i'));

  beforeAll(async () => {
    sut = await createTestApp();
    org = await sut.createOrganization('Statement counters');
    // The first request of a key and of each statement text pays for what later ones reuse.
    await connect(sut.simulator.createSignupSession(), 201);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('should connect a new WABA and number in two transactions, reading each record once in each, then record its templates', async () => {
    const session = sut.simulator.createSignupSession({ wabaName: 'Counted' });
    let body: { waba: { associatedNumbers: number }; phoneNumber: { registration: { status: string } } } | undefined;
    const log = await recordStatements(async () => {
      body = (await connect(session, 201)).body as typeof body;
    });

    expect(body?.phoneNumber.registration.status).toBe('REGISTERED');
    expect(body?.waba.associatedNumbers).toBe(1);
    expect(log.count(/^begin/i)).toBe(3);
    expect(log.count(/^commit/i)).toBe(3);
    expect(ormReadsOf(log, 'wabas')).toBe(2);
    expect(ormReadsOf(log, 'phone_numbers')).toBe(2);
    expect(templateStatements(log)).toBeGreaterThan(0);
    // The connect's 20 (notifications left out), the templates' own BEGIN and COMMIT, and the answer's alerts.
    expect(ownStatements(log) - templateStatements(log)).toBeLessThanOrEqual(23);
  });

  it('should connect a second number of a subscribed WABA with the registration alone as its step', async () => {
    const first = sut.simulator.createSignupSession();
    await connect(first, 201);
    const second = sut.simulator.createSignupSession({ existingWabaId: first.wabaId });
    let body: { waba: { associatedNumbers: number; wabaId: string } } | undefined;
    const log = await recordStatements(async () => {
      body = (await connect(second, 201)).body as typeof body;
    });

    // The count the trigger keeps, read after the number's insert committed.
    expect(body?.waba).toMatchObject({ wabaId: first.wabaId, associatedNumbers: 2 });
    expect(log.count(/^begin/i)).toBe(3);
    expect(ormReadsOf(log, 'wabas')).toBe(2);
    expect(ormReadsOf(log, 'phone_numbers')).toBe(2);
    expect(templateStatements(log)).toBeGreaterThan(0);
    // The connect's 20 (notifications left out), the templates' own BEGIN and COMMIT, and the answer's alerts.
    expect(ownStatements(log) - templateStatements(log)).toBeLessThanOrEqual(23);
  });

  it('should answer the same request again from its records without a transaction', async () => {
    const session = sut.simulator.createSignupSession();
    await connect(session, 201);
    const log = await recordStatements(() => connect(session, 200));

    expect(log.count(/^begin/i)).toBe(0);
    expect(ownStatements(log)).toBeLessThanOrEqual(5);
  });
});
