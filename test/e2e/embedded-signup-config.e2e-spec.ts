import { readFixture } from 'src/meta-simulator/meta-simulator.testing';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

describe('Embedded Signup config (e2e)', () => {
  let sut: TestApp;
  let key: string;

  beforeAll(async () => {
    sut = await createTestApp({ env: { META_ES_CONFIG_ID: '1234567890' } });
    key = (await sut.createOrganization('Signup Co')).key;
  });

  afterAll(async () => {
    await sut.close();
  });

  it("should give a front end exactly the v4 FB.login options of Meta's implementation sample", async () => {
    const response = await sut
      .http()
      .get('/api/v1/embedded-signup/config')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    const config = response.body as Record<string, unknown>;

    expect(config).toMatchObject({
      configId: '1234567890',
      version: 'v4',
      sessionInfoType: 'WA_EMBEDDED_SIGNUP',
      graphApiVersion: expect.stringMatching(/^v\d+\.0$/),
    });
    // What the console passes to FB.login, built from the answer alone (graph-api-2026 §A.7).
    const loginOptions = {
      config_id: config.configId,
      response_type: config.responseType,
      override_default_response_type: config.overrideDefaultResponseType,
      extras: config.extras,
    };
    expect(loginOptions).toEqual({
      ...readFixture<Record<string, unknown>>('2026/embedded-signup/fb_login.options.v4.json'),
      config_id: '1234567890',
    });
    // v2/v3 knobs ended with those versions on 2026-10-15.
    const serialized = JSON.stringify(config);
    for (const knob of ['featureType', 'feature_type', 'sessionInfoVersion', 'features']) {
      expect(serialized).not.toContain(knob);
    }
  });

  it('should document the v4 launch in the OpenAPI description', async () => {
    const document = (await sut.http().get('/docs-json').expect(200)).body;
    const operation = document.paths['/api/v1/embedded-signup/config'].get;
    const schema = document.components.schemas.EmbeddedSignupConfigResponseDto;

    expect(operation.description).toContain('v4');
    expect(operation.description).toContain('2026-10-15');
    expect(operation.description).toContain('error_code');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['configId', 'responseType', 'overrideDefaultResponseType', 'extras', 'version']),
    );
  });
});
