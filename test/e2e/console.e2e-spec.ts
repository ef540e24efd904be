import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTestApp, type TestApp } from 'test/utils/create-test-app';

/** The console as the service serves it: a stand-in build (the real one is `npm run test:browser`'s). */
describe('Console (served at /)', () => {
  let dir: string;
  const index =
    '<!doctype html><title>WhatsApp Assets</title><script type="module" src="/assets/index-abc.js"></script>';
  const script = `console.log(${JSON.stringify('x'.repeat(2000))});`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'console-build-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), index);
    await writeFile(join(dir, 'assets', 'index-abc.js'), script);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('in sandbox mode', () => {
    let sut: TestApp;

    beforeAll(async () => {
      sut = await createTestApp({ env: { META_SANDBOX: 'true' }, consoleDir: dir });
    });

    afterAll(async () => {
      await sut.close();
    });

    it.each(['/', '/sign-in', '/wabas', '/wabas/102290129340398', '/phone-numbers', '/phone-numbers?wabaId=1'])(
      'should answer the console route %s with the page, revalidated every time, under a strict policy',
      async (path) => {
        const response = await sut.http().get(path).expect(200);

        expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(response.text).toBe(index);
        expect(response.headers['cache-control']).toBe('no-cache');
        const policy = response.headers['content-security-policy'];
        expect(policy).toContain("script-src 'self';");
        expect(policy).toContain("style-src 'self';");
        expect(policy).toContain("frame-ancestors 'none'");
        expect(policy).not.toContain('unsafe-inline');
        expect(policy).not.toContain('facebook');
        expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
      },
    );

    it('should serve a hashed asset for a year, gzipped when the browser accepts it', async () => {
      const response = await sut.http().get('/assets/index-abc.js').set('Accept-Encoding', 'gzip').expect(200);

      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(response.headers['content-encoding']).toBe('gzip');
      expect(Number(response.headers['content-length'])).toBeLessThan(script.length);
      expect(response.text).toBe(script);
    });

    it('should answer 304 when the page did not change', async () => {
      const first = await sut.http().get('/').expect(200);

      await sut.http().get('/').set('If-None-Match', first.headers.etag).expect(304);
    });

    it.each(['/api/v1/nothing-here', '/api/v1', '/assets/missing.js', '/wabas/not-an-id', '/settings'])(
      'should leave %s to the API, which answers a 404 problem',
      async (path) => {
        const response = await sut.http().get(path).expect(404);

        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.body).toMatchObject({ status: 404 });
      },
    );

    it('should keep Swagger UI at /docs with its own policy', async () => {
      const response = await sut.http().get('/docs/').expect(200);

      expect(response.headers['content-security-policy']).toContain("'unsafe-inline'");
    });
  });

  describe('with a real Meta app', () => {
    let sut: TestApp;

    beforeAll(async () => {
      sut = await createTestApp({ consoleDir: dir });
    });

    afterAll(async () => {
      await sut.close();
    });

    it("should allow Facebook's SDK origins for Embedded Signup, and nothing inline", async () => {
      const response = await sut.http().get('/phone-numbers').expect(200);

      const policy = response.headers['content-security-policy'];
      expect(policy).toContain("script-src 'self' https://connect.facebook.net;");
      expect(policy).toContain('frame-src https://www.facebook.com');
      expect(policy).not.toContain('unsafe-inline');
      // The popup must still reach its opener with the session info.
      expect(response.headers['cross-origin-opener-policy']).toBe('same-origin-allow-popups');
    });
  });
});
