import type { Browser, Page } from 'playwright-core';

import { collectErrors, launchBrowser, screenshot } from 'test/browser/browser';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

const CONFIG_ID = '987654321012345';

/**
 * Registered by console.browser-spec.ts, not a spec file of its own: the browser suite runs in band, and a
 * second test file in the same process fails MikroORM's metadata discovery (its metadata lives on the
 * global object).
 *
 * Add phone number with a real Meta app: Facebook's SDK is launched with the configuration the service
 * gives, and the session info arrives as Embedded Signup v4's `message` event (graph-api-2026 §A.7). The
 * browser never reaches Facebook: the test answers connect.facebook.net with a stand-in SDK whose `FB.login`
 * opens a www.facebook.com frame (also answered by the test) that posts the session info, as Meta's popup
 * does, then calls back with a code the Meta simulator issued.
 */
export function describeEmbeddedSignupWithMeta(): void {
  describe('Console Add phone number with a real Meta app (Facebook SDK stubbed)', () => {
    let sut: TestApp;
    let browser: Browser;
    let page: Page;
    let errors: string[];
    let key: string;
    let sessionInfo: Record<string, unknown>;
    let loginCode: string | null;

    // Calls back once the frame's session info has reached the page (the console listens from before login), or,
    // with `fbCallbackFirst`, before the frame even loads: Meta does not promise which of the two comes first.
    const STUB_SDK = `
    window.FB = {
      init(options) { window.fbInit = options; },
      login(callback, options) {
        window.fbLogin = options;
        const answer = () => callback(window.fbCode ? { authResponse: { code: window.fbCode } } : { authResponse: null, status: 'unknown' });
        addEventListener('message', function delivered(event) {
          if (event.origin !== 'https://www.facebook.com') return;
          removeEventListener('message', delivered);
          frame.remove();
          if (!window.fbCallbackFirst) setTimeout(answer);
        });
        if (window.fbCallbackFirst) setTimeout(answer);
        const frame = document.createElement('iframe');
        frame.hidden = true;
        frame.src = 'https://www.facebook.com/v4/embedded-signup-stub';
        document.body.append(frame);
      },
    };
  `;

    beforeAll(async () => {
      sut = await createTestApp({ env: { META_SANDBOX: 'false', META_ES_CONFIG_ID: CONFIG_ID } });
      ({ key } = await sut.createOrganization('Lucky Shrub Ltd'));
      browser = await launchBrowser();
      page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
      errors = collectErrors(page);
      await page.route('https://connect.facebook.net/**', (route) =>
        route.fulfill({
          contentType: 'text/javascript',
          headers: { 'Access-Control-Allow-Origin': '*' },
          body: `${STUB_SDK}\nwindow.fbCode = ${JSON.stringify(loginCode)};`,
        }),
      );
      // Meta's popup posts the session info to the page that opened it, from a facebook.com origin.
      await page.route('https://www.facebook.com/**', (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<script>parent.postMessage(${JSON.stringify(JSON.stringify(sessionInfo))}, '*');</script>`,
        }),
      );
      // Signed in as the organization, in the console's own frames only (not in the stand-in facebook.com one).
      await page.addInitScript(
        ({ apiKey, origin }) => location.origin === origin && sessionStorage.setItem('wa-assets.api-key', apiKey),
        { apiKey: key, origin: sut.url },
      );
    });

    afterAll(async () => {
      await browser?.close();
      await sut?.close();
    });

    it('should allow Facebook only in the policy of a service with a real Meta app, still nothing inline', async () => {
      const response = await page.goto(`${sut.url}/phone-numbers`);
      const policy = response?.headers()['content-security-policy'] ?? '';
      expect(policy).toContain("script-src 'self' https://connect.facebook.net;");
      expect(policy).toContain('frame-src https://www.facebook.com');
      expect(policy).not.toContain('unsafe-inline');
      await page.getByRole('heading', { name: 'Phone numbers' }).waitFor();
      // No Sandbox tag and no stand-in: the button launches Facebook's flow.
      expect(await page.locator('.sandbox-tag').count()).toBe(0);
    });

    it('should show where Embedded Signup was abandoned when Meta reports a CANCEL', async () => {
      loginCode = null;
      sessionInfo = {
        type: 'WA_EMBEDDED_SIGNUP',
        version: '4',
        event: 'CANCEL',
        data: { current_step: 'PHONE_NUMBER_SETUP' },
      };
      // The popup closed (no code) before its CANCEL message arrived: the console still says where it stopped.
      await page.evaluate(() => ((window as unknown as { fbCallbackFirst: boolean }).fbCallbackFirst = true));
      await page.getByRole('button', { name: 'Add phone number' }).click();
      const problem = page.locator('.add-number [role="alert"]');
      await problem.waitFor();
      expect(await problem.textContent()).toBe(
        'Embedded Signup was closed before it finished (at PHONE_NUMBER_SETUP).',
      );
    });

    it('should launch FB.login with the configuration from the service and connect what the session info names', async () => {
      const signup = sut.simulator.createSignupSession({
        wabaName: 'Lucky Shrub',
        displayPhoneNumber: '+44 7700 900123',
      });
      loginCode = signup.code;
      sessionInfo = {
        type: 'WA_EMBEDDED_SIGNUP',
        version: '4',
        event: 'FINISH',
        data: { phone_number_id: signup.phoneNumberId, waba_id: signup.wabaId, business_id: signup.businessId },
      };
      // The stand-in SDK is already loaded: hand it the new code; this time the session info comes first.
      await page.evaluate((code) => {
        const stub = window as unknown as { fbCode: string; fbCallbackFirst: boolean };
        stub.fbCode = code;
        stub.fbCallbackFirst = false;
      }, signup.code);

      await page.getByRole('button', { name: 'Add phone number' }).click();
      await page.getByText('Connected +44 7700 900123 with WABA account Lucky Shrub.').waitFor();
      await page.locator('table.numbers tbody tr', { hasText: '+44 7700 900123' }).waitFor();
      expect(new URL(page.url()).searchParams.get('wabaId')).toBe(signup.wabaId);
      // The CANCEL's sentence went away with the new attempt.
      expect(await page.locator('.add-number [role="alert"]').count()).toBe(0);

      const config = (await (
        await fetch(`${sut.url}/api/v1/embedded-signup/config`, { headers: { Authorization: `Bearer ${key}` } })
      ).json()) as {
        appId: string;
        configId: string;
        graphApiVersion: string;
        responseType: string;
        overrideDefaultResponseType: boolean;
        extras: Record<string, unknown>;
      };
      expect(config.configId).toBe(CONFIG_ID);
      const launched = await page.evaluate(() => {
        const w = window as unknown as { fbInit: unknown; fbLogin: unknown };
        return { init: w.fbInit, login: w.fbLogin };
      });
      expect(launched.init).toEqual({
        appId: config.appId,
        autoLogAppEvents: true,
        xfbml: false,
        version: config.graphApiVersion,
      });
      expect(launched.login).toEqual({
        config_id: CONFIG_ID,
        response_type: config.responseType,
        override_default_response_type: config.overrideDefaultResponseType,
        extras: config.extras,
      });
      await screenshot(page, 'add-phone-number-meta');
      expect(errors).toEqual([]);
    });
  });
}
