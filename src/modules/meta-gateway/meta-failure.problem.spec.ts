import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

import { translateMetaFailure } from './meta-failure.problem';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';

describe('translateMetaFailure', () => {
  it('should translate a Meta failure into the public problem of its class', () => {
    const translated = translateMetaFailure(
      new MetaGatewayException(MetaGatewayErrorCode.RATE_LIMITED, 'throttled', {
        metaCode: 80007,
        retryAfterSeconds: 0.2,
        fbtraceId: 'trace',
      }),
    );

    expect(translated).toBeInstanceOf(DomainException);
    expect(translated?.code).toBe(ErrorCode.META_RATE_LIMITED);
    expect(translated?.detail).toBe('Meta throttled the call; try again later (fbtrace_id trace)');
    expect(translated?.extras).toEqual({ retryAfterSeconds: 1, meta: { metaCode: 80007 } });
  });

  it('should leave anything else to the next translator', () => {
    expect(translateMetaFailure(new Error('other'))).toBeNull();
    expect(translateMetaFailure(new DomainException(ErrorCode.CONFLICT, 'x'))).toBeNull();
  });
});
