import { createValidationPipe, findUnstorableStrings } from 'src/common/http/validation';

describe('findUnstorableStrings', () => {
  it('should name NUL and unpaired surrogates anywhere in a body, keys included', () => {
    const body = {
      name: 'ok 😀 Ω',
      template: { components: [{ text: 'fine' }, { text: 'nul\u0000inside' }], language: '\ud800' },
      ['key\udc00']: 1,
      tail: '\udfff\ud83d',
    };
    expect(findUnstorableStrings(body)).toEqual([
      'template.components.1.text',
      'template.language',
      'key\udc00',
      'tail',
    ]);
  });

  it('should accept surrogate pairs, other control characters and non-strings', () => {
    expect(findUnstorableStrings({ emoji: '\ud83d\ude00', bell: '\u0007', n: 1, b: true, z: null, list: [] })).toEqual(
      [],
    );
  });

  it('should name a scalar by the prefix it is given', () => {
    expect(findUnstorableStrings('a\u0000', 'hub.mode')).toEqual(['hub.mode']);
  });
});

describe('createValidationPipe', () => {
  it('should refuse a query value holding NUL as VALIDATION_FAILED naming it', async () => {
    const sut = createValidationPipe();
    await expect(sut.transform({ q: 'x\u0000' }, { type: 'query', metatype: Object })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      extras: { errors: [{ field: 'q', message: 'q must not contain NUL characters or unpaired UTF-16 surrogates' }] },
    });
  });

  it('should leave custom decorators alone', async () => {
    const sut = createValidationPipe();
    await expect(sut.transform('x\u0000', { type: 'custom' })).resolves.toBe('x\u0000');
  });
});
