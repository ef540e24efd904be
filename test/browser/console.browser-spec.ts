import type { Browser, BrowserContext, Page } from 'playwright-core';

import { collectErrors, launchBrowser, screenshot } from 'test/browser/browser';
import { describeEmbeddedSignupWithMeta } from 'test/browser/embedded-signup-meta.suite';
import { createMarketingMessages } from 'test/factories/marketing-message.factory';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';

/**
 * The user guide walked in the console, as a new user would, in sandbox mode: one browser session through
 * the tests in order (each builds on the previous one's state), against the real service and its simulator.
 */
describe('Console (headless Chromium, sandbox mode)', () => {
  let sut: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  // Every request the console makes: all to the service itself (no CDN, no remote font).
  const elsewhere: string[] = [];
  let key: string;
  const wabas: Record<string, { wabaId: string; phoneNumberId: string }> = {};

  // The organization's key, for what the tests set up on Meta's side without clicking.
  async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${sut.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    }
    return (response.status === 202 || response.status === 204 ? undefined : await response.json()) as T;
  }

  async function connect(wabaName: string, displayPhoneNumber: string): Promise<void> {
    const signup = await api<{ code: string; wabaId: string; phoneNumberId: string }>(
      'POST',
      '/api/v1/sandbox/embedded-signup',
      { wabaName, displayPhoneNumber },
    );
    await api('POST', '/api/v1/phone-numbers', signup);
    wabas[wabaName] = { wabaId: signup.wabaId, phoneNumberId: signup.phoneNumberId };
  }

  const row = (name: string) => page.locator('table.wabas tbody tr', { hasText: name });
  const rows = () => page.locator('table.wabas tbody tr');
  const nav = (name: string) => page.getByRole('navigation', { name: 'WhatsApp Assets' }).getByRole('link', { name });

  beforeAll(async () => {
    sut = await createTestApp({ env: { META_SANDBOX: 'true' } });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    errors = collectErrors(page);
    page.on('request', (request) => {
      if (!request.url().startsWith(`${sut.url}/`) && !request.url().startsWith('data:')) {
        elsewhere.push(request.url());
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await sut?.close();
  });

  it('should create a demo organization with the admin token and sign in with its key', async () => {
    const response = await page.goto(`${sut.url}/`);
    // Strict: nothing inline, nothing from elsewhere (sandbox mode needs no Facebook origin either).
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'; style-src 'self';");
    expect(response?.headers()['content-security-policy']).not.toContain('unsafe-inline');
    await page.getByLabel('Organization API key').waitFor();
    await screenshot(page, 'sign-in');

    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    await page.getByLabel('Organization name').fill('Lucky Shrub Ltd');
    await page.getByRole('button', { name: 'Create organization' }).click();
    key = (await page.locator('code.secret').textContent()) ?? '';
    expect(key).toMatch(/^waak_/);
    await page.getByRole('button', { name: 'Continue as Lucky Shrub Ltd' }).click();

    await page.getByRole('heading', { name: 'WABA Accounts' }).waitFor();
    await page.getByText('No WABA accounts yet.').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    await screenshot(page, 'wabas-empty');
  });

  it('should sign out, forget the key, and sign in again with it', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Organization API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.getByLabel('Organization API key').fill('waak_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();

    await page.getByLabel('Organization API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'WABA Accounts' }).waitFor();
  });

  it('should add a phone number through the sandbox Embedded Signup stand-in, without a reload', async () => {
    await page.getByRole('link', { name: 'Add phone number' }).click();
    const dialog = page.getByRole('dialog', { name: 'Embedded Signup (sandbox stand-in)' });
    await dialog.waitFor();
    await dialog.getByLabel('WhatsApp Business Account name').fill('Lucky Shrub');
    await dialog.getByLabel('Phone number (optional)').fill('+44 7700 900123');
    await screenshot(page, 'add-phone-number');
    await dialog.getByRole('button', { name: 'Finish' }).click();

    await page.getByText('Connected +44 7700 900123 with WABA account Lucky Shrub.').waitFor();
    await page.locator('table.numbers tbody tr', { hasText: '+44 7700 900123' }).waitFor();
    expect(await dialog.isVisible()).toBe(false);
    const [number] = (await api<{ data: { wabaId: string; phoneNumberId: string }[] }>('GET', '/api/v1/phone-numbers'))
      .data;
    wabas['Lucky Shrub'] = number;
    expect(new URL(page.url()).searchParams.get('wabaId')).toBe(number.wabaId);
  });

  it('should list the WABAs with the guide columns: the Active badge, the MM Lite dot and the dash', async () => {
    await connect('Green Leaf', '+44 7700 900200');
    await connect('Blue Harbor', '+44 7700 900300');
    await api('POST', `/api/v1/wabas/${wabas['Green Leaf'].wabaId}/mm-lite/setup`);

    await nav('WABA Accounts').click();
    await row('Blue Harbor').waitFor();
    expect(await page.locator('table.wabas thead th').allTextContents()).toEqual([
      'WABA ID',
      'Account Name',
      'Status',
      'MM Lite',
      'Associated Numbers',
      'Actions',
    ]);
    expect(await rows().count()).toBe(3);
    const lucky = row('Lucky Shrub');
    expect(await lucky.locator('.badge-active').textContent()).toBe('Active');
    expect(await lucky.locator('.dash [aria-hidden="true"]').textContent()).toBe('—');
    expect(await lucky.locator('td[data-label="MM Lite"]').textContent()).toBe('—Not started');
    expect(await lucky.locator('td[data-label="WABA ID"]').textContent()).toBe(wabas['Lucky Shrub'].wabaId);
    expect(await lucky.locator('td[data-label="Associated Numbers"]').textContent()).toBe('1');
    await row('Green Leaf').locator('.dot-off').waitFor();
    expect(await row('Green Leaf').locator('td[data-label="MM Lite"]').innerText()).toBe('Not onboarded');
    expect(await lucky.getByRole('button', { name: 'Set up MM Lite for Lucky Shrub' }).isVisible()).toBe(true);
    await screenshot(page, 'wabas');
  });

  it('should filter by MM Lite and status and search by name or ID', async () => {
    await page.getByLabel('MM Lite', { exact: true }).selectOption('NOT_ONBOARDED');
    await page.waitForFunction(() => document.querySelectorAll('table.wabas tbody tr').length === 1);
    expect(await rows().first().textContent()).toContain('Green Leaf');
    await page.getByLabel('MM Lite', { exact: true }).selectOption('NOT_STARTED');
    await page.waitForFunction(() => document.querySelectorAll('table.wabas tbody tr').length === 2);
    await page.getByLabel('MM Lite', { exact: true }).selectOption('');

    await page.getByLabel('Status', { exact: true }).selectOption('DISABLED');
    await page.getByText('No WABA account matches these filters.').waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('');

    await page.getByLabel('Search by name or WABA ID').fill('harbor');
    await page.waitForFunction(() => document.querySelectorAll('table.wabas tbody tr').length === 1);
    expect(await rows().first().textContent()).toContain('Blue Harbor');
    await page.getByLabel('Search by name or WABA ID').fill(wabas['Green Leaf'].wabaId);
    await page.waitForFunction(() => document.querySelector('table.wabas tbody tr')?.textContent?.includes('Green'));
    expect(await rows().count()).toBe(1);
    await page.getByLabel('Search by name or WABA ID').fill('');
    await page.waitForFunction(() => document.querySelectorAll('table.wabas tbody tr').length === 3);
  });

  it('should turn the open row badge to Disabled when a DISABLE webhook arrives, with the reason on focus', async () => {
    await api('POST', `/api/v1/sandbox/wabas/${wabas['Blue Harbor'].wabaId}/events`, { type: 'DISABLE' });

    // The bound: the event stream's frame (GET /api/v1/events) turns it within 2 s, without a reload.
    await row('Blue Harbor').locator('.badge-disabled').waitFor({ timeout: 2000 });
    await row('Blue Harbor').locator('.badge-disabled').focus();
    const tip = row('Blue Harbor').getByRole('tooltip');
    await tip.waitFor({ state: 'visible' });
    expect(await tip.textContent()).toContain('banned');
    await screenshot(page, 'wabas-disabled-reason');
  });

  it('should walk Set up MM Lite: setup, terms signed at Meta, Refresh, Onboarded, switch a number', async () => {
    await page.getByRole('button', { name: 'Set up MM Lite for Lucky Shrub' }).click();
    const panel = page.getByRole('dialog', { name: 'Set up MM Lite · Lucky Shrub' });
    await panel.getByRole('button', { name: 'Start MM Lite setup' }).click();
    await panel.locator('.panel-status .dot-off').waitFor();
    expect(await panel.getByRole('link', { name: 'Open Meta Business Manager' }).getAttribute('href')).toContain(
      'business.facebook.com',
    );
    expect(await panel.getByLabel('Region notice').textContent()).toContain('United States');

    await panel.locator('summary', { hasText: 'Simulate Meta' }).click();
    await panel.getByRole('button', { name: 'Sign MM Lite terms' }).click();
    await panel.getByText('Sign MM Lite terms: done at Meta').waitFor();
    await panel.getByRole('button', { name: 'Refresh status' }).click();
    await panel.locator('code.raw', { hasText: 'PENDING_INTERNAL_SETUP' }).waitFor();
    await panel.getByText('try again later').waitFor();
    await panel.getByText('TERM_OF_SERVICE_SIGNED').waitFor();
    await screenshot(page, 'mm-lite-panel');

    await panel.getByRole('button', { name: 'Onboard to MM Lite' }).click();
    await panel.getByText('Onboard to MM Lite: done at Meta').waitFor();
    await panel.getByRole('button', { name: 'Refresh status' }).click();
    await panel.locator('.panel-status .dot-on').waitFor();
    // The templates MM Lite can send: the sandbox WABA's approved MARKETING ones, read at connect.
    expect(await panel.locator('.panel-templates').textContent()).toMatch(
      /^[1-9]\d* approved marketing templates? can be sent through MM Lite\.$/,
    );
    await screenshot(page, 'mm-lite-panel-onboarded');

    await panel.getByRole('link', { name: 'Switch a number on the Phone numbers page' }).click();
    await page.getByRole('heading', { name: 'Phone numbers' }).waitFor();
    expect(new URL(page.url()).searchParams.get('wabaId')).toBe(wabas['Lucky Shrub'].wabaId);
    const number = page.locator('table.numbers tbody tr', { hasText: '+44 7700 900123' });
    await number.getByRole('button', { name: 'MM Lite' }).click();
    await page.waitForFunction(
      () => document.querySelector('table.numbers button[aria-pressed="true"]')?.textContent === 'MM Lite',
    );
    expect(await page.locator('table.numbers tbody tr').count()).toBe(1);
    await screenshot(page, 'phone-numbers');
  });

  it('should disable the switch to MM Lite with the reason, and show the API reason when a stale page tries it', async () => {
    await page.getByLabel('WABA', { exact: true }).selectOption(wabas['Green Leaf'].wabaId);
    const number = page.locator('table.numbers tbody tr', { hasText: '+44 7700 900200' });
    await number.getByRole('button', { name: 'Cloud API' }).waitFor();
    // Not onboarded: MM Lite cannot be chosen, and the sentence beside it says why.
    expect(await number.getByRole('button', { name: 'MM Lite' }).isDisabled()).toBe(true);
    expect(await number.locator('.hint').textContent()).toContain('once this WABA account is onboarded');

    // A page whose list says Onboarded (stale: Meta's news has not reached it) lets the switch be tried, and
    // the API refuses it: its problem's detail, a sentence with no code in it, shows under the switch.
    const wabaList = (url: URL) => url.pathname === '/api/v1/wabas';
    await page.route(wabaList, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { data: { wabaId: string; mmLiteStatus: string | null }[] };
      body.data = body.data.map((row) =>
        row.wabaId === wabas['Green Leaf'].wabaId ? { ...row, mmLiteStatus: 'ONBOARDED' } : row,
      );
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await number.getByRole('button', { name: 'MM Lite' }).click();
    const reason = number.getByRole('alert');
    await reason.waitFor();
    // After the handlers under way are done: removing a route mid-way would fail the request it holds.
    await page.unrouteAll({ behavior: 'wait' });
    expect(await reason.textContent()).toBe(
      `WABA ${wabas['Green Leaf'].wabaId} is not onboarded to MM Lite yet; finish "Set up MM Lite" first`,
    );
    expect(await number.getByRole('button', { name: 'MM Lite' }).isDisabled()).toBe(true);
    await screenshot(page, 'phone-numbers-refused');
  });

  it("should show a number's marketing sends: the 24 h counts, each send masked, a failure's reason and action", async () => {
    const luckyShrub = wabas['Lucky Shrub'];
    const templates = await api<{ data: { name: string; language: string }[] }>(
      'GET',
      `/api/v1/wabas/${luckyShrub.wabaId}/templates?category=MARKETING&status=APPROVED`,
    );
    const template = { name: templates.data[0].name, language: templates.data[0].language };
    // A send through the API, followed to READ by the simulator's own status webhooks …
    const statusWebhooks = sut.simulator.statusWebhooks;
    sut.simulator.setStatusWebhooks('all', { sent: 0, delivered: 0, read: 0 });
    const sent = await fetch(`${sut.url}/api/v1/phone-numbers/${luckyShrub.phoneNumberId}/marketing-messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: '+447700900555', template }),
    });
    expect(sent.status).toBe(202);
    const sentId = ((await sent.json()) as { id: string }).id;
    const read = await waitFor(
      () => api<{ status: string }>('GET', `/api/v1/marketing-messages/${sentId}`),
      (send) => send.status === 'READ',
    );
    sut.simulator.setStatusWebhooks(statusWebhooks.mode, statusWebhooks.delaysMs);
    expect(read.status).toBe('READ');
    // … and a send Meta failed later (131049), as its status webhook leaves the record.
    const organization = await api<{ id: string }>('GET', '/api/v1/organization');
    const [failedId] = await createMarketingMessages(sut.app, [
      {
        organizationId: organization.id,
        wabaId: luckyShrub.wabaId,
        phoneNumberId: luckyShrub.phoneNumberId,
        recipient: '+447700900777',
        templateName: template.name,
        failure: { code: 131049, title: 'This message was not delivered to maintain healthy ecosystem engagement.' },
      },
    ]);
    await page.getByLabel('WABA', { exact: true }).selectOption(luckyShrub.wabaId);

    await page.getByRole('button', { name: 'Marketing sends of +44 7700 900123' }).click();
    const panel = page.getByRole('dialog', { name: 'Marketing sends · +44 7700 900123' });
    const failed = panel.locator(`tr[data-send-id="${failedId}"]`);
    await failed.waitFor();

    expect(Number(await panel.locator('dd[data-count="FAILED"]').textContent())).toBeGreaterThanOrEqual(1);
    expect(await panel.getByRole('list', { name: 'Top failure reasons' }).textContent()).toContain('#131049');
    expect(await failed.locator('td[data-label="Recipient"]').textContent()).toBe('•••• 0777');
    const delivered = panel.locator(`tr[data-send-id="${sentId}"]`);
    expect(await delivered.locator('td[data-label="Recipient"]').textContent()).toBe('•••• 0555');
    expect(await delivered.locator('.badge').textContent()).toBe('Read');
    expect(Number(await panel.locator('dd[data-count="READ"]').textContent())).toBeGreaterThanOrEqual(1);
    expect(await failed.locator('.badge').textContent()).toBe('Failed');
    expect(await failed.locator('td[data-label="Why"]').textContent()).toMatch(
      /Meta limited marketing to this user.*Do not retry for 24 h/,
    );
    // No whole recipient number anywhere in the panel.
    expect(await panel.textContent()).not.toMatch(/7700900(555|777)/);
    await screenshot(page, 'marketing-sends');

    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'Marketing sends of +44 7700 900123',
    );
  });

  it('should go through the panel with the keyboard only', async () => {
    await nav('WABA Accounts').click();
    await row('Green Leaf').waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const opener = 'Set up MM Lite for Green Leaf';
    for (let presses = 0; presses < 60; presses++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) === opener) {
        break;
      }
    }
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(opener);
    // The focused control is visibly marked.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle)).not.toBe(
      'none',
    );
    await page.keyboard.press('Enter');
    const panel = page.getByRole('dialog', { name: 'Set up MM Lite · Green Leaf' });
    await panel.getByRole('button', { name: 'Refresh status' }).waitFor();

    for (let presses = 0; presses < 20; presses++) {
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Refresh status') {
        break;
      }
      await page.keyboard.press('Tab');
    }
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
    const before = await panel.locator('.step-extra time').getAttribute('datetime');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (previous) => document.querySelector('dialog .step-extra time')?.getAttribute('datetime') !== previous,
      before,
    );
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(opener);
  });

  it("should open a WABA's detail with Meta's fields, health and the audit trail by source", async () => {
    await row('Lucky Shrub').getByRole('link', { name: 'Lucky Shrub' }).click();
    await page.getByRole('heading', { name: 'Lucky Shrub', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Health' }).waitFor();
    await page.locator('.audit-table tbody tr').first().waitFor();
    const sources = new Set(
      await page.locator('.audit-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-source'))),
    );
    expect([...sources].sort()).toEqual(expect.arrayContaining(['API', 'SYNC']));
    await page.getByRole('group', { name: 'Show changes from' }).getByRole('button', { name: 'API' }).click();
    expect(
      new Set(
        await page
          .locator('.audit-table tbody tr')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-source'))),
      ),
    ).toEqual(new Set(['API']));
    await page.getByRole('group', { name: 'Show changes from' }).getByRole('button', { name: 'All' }).click();
    await screenshot(page, 'waba-detail');
  });

  it("should show Meta's alerts on the row and the detail, and where its webhooks go after a re-sync", async () => {
    const { wabaId, phoneNumberId } = wabas['Lucky Shrub'];
    await api('POST', `/api/v1/sandbox/wabas/${wabaId}/events`, {
      type: 'ALERT',
      alertType: 'OBA_REJECTED',
      phoneNumberId,
    });
    await api('POST', `/api/v1/sandbox/wabas/${wabaId}/events`, { type: 'WEBHOOKS_OVERRIDDEN' });
    // The alert arrives by webhook through the inbox: wait for it to be applied before the page reads it.
    for (let tries = 0; tries < 50; tries++) {
      if ((await api<{ criticalAlert: string | null }>('GET', `/api/v1/wabas/${wabaId}`)).criticalAlert) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    await nav('WABA Accounts').click();
    const mark = row('Lucky Shrub').locator('.warning-alert');
    await mark.waitFor();
    expect(await row('Lucky Shrub').locator('.badge-active').count()).toBe(1);
    await row('Lucky Shrub').getByRole('link', { name: 'Lucky Shrub' }).click();
    await page.getByRole('heading', { name: 'Lucky Shrub', level: 1 }).waitFor();
    const alert = page.locator('.alerts .alert-critical');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('+44 7700 900123');

    // Meta sends no webhook for an override: a re-sync from the page looks at the subscription.
    await page.getByRole('button', { name: 'Re-sync from Meta' }).click();
    const webhooks = page.locator('.webhooks-overridden');
    await webhooks.waitFor();
    expect(await webhooks.textContent()).toContain('Meta delivers this account’s webhooks to another URL');
    await screenshot(page, 'waba-detail-alerts-webhooks');
  });

  it("should move the Status column with Simulate Meta on a WABA's page: scheduled, disabled, reinstated, restricted", async () => {
    await connect('Red Rock', '+44 7700 900400');
    await nav('WABA Accounts').click();
    await row('Red Rock').getByRole('link', { name: 'Red Rock' }).click();
    await page.getByRole('heading', { name: 'Red Rock', level: 1 }).waitFor();
    const status = page.locator('.fields .badges');
    await status.locator('.badge-active').waitFor();
    const menu = page.locator('details.simulate');
    await menu.locator('summary').click();

    // Each button changes the simulator, whose signed webhook the open page follows.
    await menu.getByRole('button', { name: 'Schedule for disable' }).click();
    const scheduled = status.locator('.warning', { hasText: 'Scheduled for disable' });
    await scheduled.waitFor();
    expect(await status.locator('.badge-active').count()).toBe(1);
    await scheduled.focus();
    expect(await status.getByRole('tooltip').textContent()).toBe('Meta has scheduled this account to be disabled.');
    await screenshot(page, 'waba-detail-scheduled');

    await menu.getByRole('button', { name: 'Disable', exact: true }).click();
    await status.locator('.badge-disabled').waitFor();
    await menu.getByRole('button', { name: 'Reinstate' }).click();
    await status.locator('.badge-active').waitFor();
    await status.locator('.warning').waitFor({ state: 'detached' });

    // Meta's ACCOUNT_RESTRICTION (not in the menu: the simulator sends it as Meta would).
    await sut.simulator.applyEvent(wabas['Red Rock'].wabaId, 'ACCOUNT_RESTRICTION');
    const restricted = status.locator('.warning', { hasText: 'Restricted' });
    await restricted.waitFor();
    await restricted.focus();
    expect(await status.getByRole('tooltip').textContent()).toBe('Meta restricted what this account can send.');
  });

  it("should show Re-authorization required, and a refused re-sync as the API problem's detail", async () => {
    const { wabaId } = wabas['Red Rock'];
    sut.simulator.injectFault({ path: `/${wabaId}`, kind: 'expired_token' });
    try {
      const [answer] = await Promise.all([
        page.waitForResponse((response) => response.url().endsWith(`/api/v1/wabas/${wabaId}/sync`)),
        page.getByRole('button', { name: 'Re-sync from Meta' }).click(),
      ]);
      expect(answer.status()).toBe(409);
      const { detail } = (await answer.json()) as { detail: string };
      await page.locator('p.problem[role="alert"]', { hasText: detail }).waitFor();
      expect(await page.locator('p.problem[role="alert"]').textContent()).toBe(detail);
    } finally {
      sut.simulator.clearFaults();
    }
    const reauth = page.locator('.fields .badge-reauth');
    await reauth.waitFor();
    await reauth.focus();
    expect(await page.locator('.fields').getByRole('tooltip').last().textContent()).toContain(
      'Meta rejected the stored access token',
    );

    await nav('WABA Accounts').click();
    const marks = row('Red Rock').locator('td[data-label="Status"]');
    await marks.locator('.badge-reauth').waitFor();
    expect(await marks.locator('.badge-active, .warning, .badge-reauth').allInnerTexts()).toEqual([
      'Active',
      '⚠ Restricted',
      'Re-authorization required',
    ]);
    await screenshot(page, 'wabas-marks');
  });

  it('should show a change that a re-sync round finds on the open list within 2 s, without re-drawing the table', async () => {
    await row('Green Leaf').waitFor();
    await page.evaluate(() => {
      (window as unknown as { keptTable: Element | null }).keptTable = document.querySelector('table.wabas');
    });
    // Meta's own status changes without a webhook: only a re-sync can find it.
    sut.simulator.updateWaba(wabas['Green Leaf'].wabaId, { status: 'SUSPENDED' });
    const round = await fetch(`${sut.url}/api/v1/admin/sync-rounds`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(round.status).toBe(200);

    const disabled = row('Green Leaf').locator('.badge-disabled');
    await disabled.waitFor({ timeout: 2000 });
    await disabled.focus();
    expect(await row('Green Leaf').getByRole('tooltip').textContent()).toBe(
      'Meta reports the account status as SUSPENDED.',
    );
    // The list refreshed in place: the same table element, no loading state in between.
    expect(await page.evaluate(() => (window as unknown as { keptTable: Element | null }).keptTable?.isConnected)).toBe(
      true,
    );
  });

  it("should show a failed registration with Meta's reason, and register the number again on Retry", async () => {
    const signup = await api<{ code: string; wabaId: string; phoneNumberId: string }>(
      'POST',
      '/api/v1/sandbox/embedded-signup',
      { wabaName: 'Amber Field', displayPhoneNumber: '+44 7700 900500' },
    );
    sut.simulator.injectFault({
      path: `/${signup.phoneNumberId}/register`,
      kind: 'meta_error',
      times: 1,
      error: { code: 133005, httpStatus: 400, message: 'Two step verification PIN Mismatch' },
    });
    await api('POST', '/api/v1/phone-numbers', signup);
    wabas['Amber Field'] = { wabaId: signup.wabaId, phoneNumberId: signup.phoneNumberId };

    await nav('Phone numbers').click();
    const number = page.locator('table.numbers tbody tr', { hasText: '+44 7700 900500' });
    const registration = number.locator('td[data-label="Registration"]');
    await registration.getByRole('button', { name: 'Retry registration' }).waitFor();
    expect(await registration.locator('.registration').textContent()).toBe('FAILED');
    expect(await registration.locator('.hint').textContent()).toContain('PIN Mismatch');
    await screenshot(page, 'phone-numbers-registration-failed');

    await registration.getByRole('button', { name: 'Retry registration' }).click();
    await registration.locator('.registration-registered').waitFor();
    expect(await registration.getByRole('button').count()).toBe(0);
  });

  it("should change a number's quality through Simulate Meta", async () => {
    await page.locator('table.numbers tbody tr', { hasText: '+44 7700 900500' }).getByRole('link').click();
    await page.getByRole('heading', { name: 'Amber Field', level: 1 }).waitFor();
    const menu = page.locator('details.simulate');
    await menu.locator('summary').click();
    await menu.getByLabel('Number').selectOption({ label: '+44 7700 900500' });
    await menu.getByLabel('Quality').selectOption('RED');
    await menu.getByRole('button', { name: 'Change number quality' }).click();
    await menu.getByText('Number quality changed: done at Meta').waitFor();
    // Meta's quality webhook names the change; the number re-read from Meta lands in the open audit trail.
    await page.locator('.audit-table tbody tr', { hasText: '"qualityRating":"RED"' }).waitFor();

    await page.getByRole('link', { name: 'Phone numbers', exact: true }).last().click();
    const quality = page.locator('table.numbers tbody tr', { hasText: '+44 7700 900500' }).locator('.quality');
    await quality.waitFor();
    expect(await quality.textContent()).toBe('RED');
    expect(await quality.getAttribute('class')).toContain('quality-red');
  });

  it('should stay readable at 390 px wide', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav('WABA Accounts').click();
    await row('Lucky Shrub').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'wabas-390');
    await nav('Phone numbers').click();
    await page.locator('table.numbers tbody tr').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'phone-numbers-390');
  });

  it('should page through the WABA list, 20 a page', async () => {
    await page.setViewportSize({ width: 1280, height: 860 });
    const before = (await api<{ data: unknown[] }>('GET', '/api/v1/wabas?limit=100')).data.length;
    const indexes = Array.from({ length: 21 - before }, (_, offset) => before + offset);
    await Promise.all(
      indexes.map((index) => connect(`Paged ${index}`, `+44 7700 901${String(index).padStart(3, '0')}`)),
    );
    // While the list is on its way the page says so (the answer is held back until the test has seen it).
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const wabaList = (url: URL) => url.pathname === '/api/v1/wabas';
    await page.route(wabaList, async (route) => {
      await held;
      await route.continue();
    });
    await nav('WABA Accounts').click();
    await page.getByText('Loading WABA accounts…').waitFor();
    release();
    // After the handlers under way are done: removing a route mid-way would fail the request it holds.
    await page.unrouteAll({ behavior: 'wait' });
    const pager = page.getByRole('navigation', { name: 'Pages' });
    await page.waitForFunction(() => document.querySelectorAll('table.wabas tbody tr').length === 20);
    const first = await rows().locator('td[data-label="WABA ID"]').allTextContents();
    expect(await pager.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);

    await pager.getByRole('button', { name: 'Next page' }).click();
    await pager.getByText('Page 2').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table.wabas tbody tr').length === 1);
    const second = await rows().locator('td[data-label="WABA ID"]').allTextContents();
    expect(await pager.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    expect(new Set([...first, ...second]).size).toBe(21);

    await pager.getByRole('button', { name: 'Previous page' }).click();
    await pager.getByText('Page 1').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table.wabas tbody tr').length === 20);
  });

  it('should have logged no console error on any page, and asked nothing of another origin', () => {
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});

describeEmbeddedSignupWithMeta();
