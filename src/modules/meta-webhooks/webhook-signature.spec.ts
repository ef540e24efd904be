import { parseMetaSignatureHeader } from './webhook-signature';

describe(parseMetaSignatureHeader.name, () => {
  const digest = 'ab'.repeat(32);

  it('should return the 32 digest bytes of sha256=<hex>, in either hex case', () => {
    expect(parseMetaSignatureHeader(`sha256=${digest}`)).toEqual(Buffer.from(digest, 'hex'));
    expect(parseMetaSignatureHeader(`sha256=${digest.toUpperCase()}`)).toEqual(Buffer.from(digest, 'hex'));
  });

  it.each([
    ['a missing header', undefined],
    ['a repeated header', [`sha256=${digest}`, `sha256=${digest}`]],
    ['sha1', 'sha1=0123'],
    ['a short digest', 'sha256=abcd'],
    ['a digest that is not hex', `sha256=${'zz'.repeat(32)}`],
    ['garbage', 'not a signature'],
  ])('should refuse %s', (_case, header) => {
    expect(parseMetaSignatureHeader(header)).toBeNull();
  });
});
