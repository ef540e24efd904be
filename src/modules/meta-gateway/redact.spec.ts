import { pathWithoutQuery, REDACTED, redactText, redactUrl } from './redact';

describe('redact', () => {
  describe(redactText.name, () => {
    it.each([
      ['Authorization: Bearer EAAabc123secretvalue', 'EAAabc123secretvalue'],
      ['Bearer opaque-token-without-prefix', 'opaque-token-without-prefix'],
      ['GET /oauth/access_token?client_id=1&client_secret=topsecret&code=AQDxyz', 'topsecret'],
      ['GET /oauth/access_token?client_id=1&client_secret=topsecret&code=AQDxyz', 'AQDxyz'],
      ['/debug_token?input_token=EAAG123456789012345', 'EAAG123456789012345'],
      ['url?access_token=abcdef', 'abcdef'],
      ['app token 634974688087057|a1b2c3d4e5f6a7b8', 'a1b2c3d4e5f6a7b8'],
      ['token EAAGm0PX4ZCpsBAKZCvF0wZDZD inline', 'EAAGm0PX4ZCpsBAKZCvF0wZDZD'],
    ])('should hide the secret in %j', (text, secret) => {
      const sut = redactText(text);

      expect(sut).not.toContain(secret);
      expect(sut).toContain(REDACTED);
    });

    it('should hide caller-supplied secrets verbatim and ignore very short ones', () => {
      expect(redactText('pin 123456 and key xyz', ['123456', 'xy'])).toBe(`pin ${REDACTED} and key xyz`);
    });

    it('should leave ordinary text alone', () => {
      expect(redactText('GET /v25.0/102290129340398 failed: code=TRANSIENT')).toBe(
        'GET /v25.0/102290129340398 failed: code=TRANSIENT',
      );
    });
  });

  describe(pathWithoutQuery.name, () => {
    it.each([
      ['/102290129340398?fields=id,name', '/102290129340398'],
      ['/oauth/access_token?client_secret=x&code=y', '/oauth/access_token'],
      ['https://graph.facebook.com/v25.0/1/phone_numbers?after=abc&access_token=EAAx', '/v25.0/1/phone_numbers'],
      ['/1#frag', '/1'],
      ['/', '/'],
    ])('should turn %s into %s', (url, expected) => {
      expect(pathWithoutQuery(url)).toBe(expected);
    });
  });

  describe(redactUrl.name, () => {
    it('should keep parameter names and hide every value', () => {
      expect(redactUrl('/oauth/access_token?client_id=1&client_secret=s&code=c')).toBe(
        `/oauth/access_token?client_id=${REDACTED}&client_secret=${REDACTED}&code=${REDACTED}`,
      );
      expect(redactUrl('/1')).toBe('/1');
    });
  });
});
