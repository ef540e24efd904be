import { classifySubscription, sameUrl } from './waba-webhooks';
import { WebhooksStatus } from './wabas.constants';

const OUR_APP = '634974688087057';
const OUR_CALLBACK = 'https://assets.example.com/webhooks/meta';

describe(classifySubscription.name, () => {
  it('should say MISSING when our app is not listed, even if other apps are', () => {
    const apps = [{ appId: '67890', name: 'Another app', overrideCallbackUri: null }];

    expect(classifySubscription(apps, OUR_APP, OUR_CALLBACK)).toEqual({
      status: WebhooksStatus.MISSING,
      overrideUri: null,
    });
    expect(classifySubscription([], OUR_APP, OUR_CALLBACK).status).toBe(WebhooksStatus.MISSING);
  });

  it('should say SUBSCRIBED for our app without an override, whatever other apps override', () => {
    const apps = [
      { appId: '67890', name: 'Another app', overrideCallbackUri: 'https://elsewhere.example/hook' },
      { appId: OUR_APP, name: 'Us', overrideCallbackUri: null },
    ];

    expect(classifySubscription(apps, OUR_APP, null)).toEqual({ status: WebhooksStatus.SUBSCRIBED, overrideUri: null });
  });

  it('should say SUBSCRIBED for an override that is our own callback, OVERRIDDEN with the URL for any other', () => {
    const ours = [{ appId: OUR_APP, name: 'Us', overrideCallbackUri: 'https://ASSETS.example.com:443/webhooks/meta/' }];
    const elsewhere = [{ appId: OUR_APP, name: 'Us', overrideCallbackUri: 'https://elsewhere.example/hook' }];

    expect(classifySubscription(ours, OUR_APP, OUR_CALLBACK).status).toBe(WebhooksStatus.SUBSCRIBED);
    expect(classifySubscription(elsewhere, OUR_APP, OUR_CALLBACK)).toEqual({
      status: WebhooksStatus.OVERRIDDEN,
      overrideUri: 'https://elsewhere.example/hook',
    });
  });

  it('should call any override OVERRIDDEN when our callback URL is not configured', () => {
    const ours = [{ appId: OUR_APP, name: 'Us', overrideCallbackUri: OUR_CALLBACK }];

    expect(classifySubscription(ours, OUR_APP, null)).toEqual({
      status: WebhooksStatus.OVERRIDDEN,
      overrideUri: OUR_CALLBACK,
    });
  });
});

describe(sameUrl.name, () => {
  it('should compare scheme, host, port, path and query, not case, default port or a trailing slash', () => {
    expect(sameUrl('https://A.example/hook/', 'https://a.example:443/hook')).toBe(true);
    expect(sameUrl('https://a.example/hook', 'http://a.example/hook')).toBe(false);
    expect(sameUrl('https://a.example/hook?x=1', 'https://a.example/hook')).toBe(false);
    expect(sameUrl('not a url', 'not a url')).toBe(false);
  });
});
