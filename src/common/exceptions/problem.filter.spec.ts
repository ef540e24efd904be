import { type ArgumentsHost, Logger } from '@nestjs/common';

import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { ProblemFilter } from 'src/common/exceptions/problem.filter';
import type { ProblemTranslator } from 'src/common/exceptions/problem-translator';

class ForeignException extends Error {}

interface Answer {
  status?: number;
  headers: Record<string, string>;
  body?: string;
}

function httpHost(answer: Answer): ArgumentsHost {
  const response = {
    headersSent: false,
    status(status: number) {
      answer.status = status;
      return this;
    },
    type() {
      return this;
    },
    setHeader(name: string, value: string) {
      answer.headers[name] = value;
    },
    send(body: string) {
      answer.body = body;
    },
  };
  const request = { originalUrl: '/api/v1/things?x=1', id: 'req-1' };
  return {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ArgumentsHost;
}

function answerTo(filter: ProblemFilter, exception: unknown): Answer {
  const answer: Answer = { headers: {} };
  filter.catch(exception, httpHost(answer));
  return answer;
}

describe('ProblemFilter translators', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const translateForeign: ProblemTranslator = (exception) =>
    exception instanceof ForeignException
      ? new DomainException(ErrorCode.META_RATE_LIMITED, 'translated', { retryAfterSeconds: 7, meta: { metaCode: 4 } })
      : null;

  it('should answer an exception a translator knows with the problem of its DomainException', () => {
    const answer = answerTo(new ProblemFilter([() => null, translateForeign]), new ForeignException('raw'));

    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('7');
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({
      code: ErrorCode.META_RATE_LIMITED,
      detail: 'translated',
      metaCode: 4,
      instance: '/api/v1/things',
      requestId: 'req-1',
    });
  });

  it('should answer an exception no translator knows as before', () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const filter = new ProblemFilter([translateForeign]);

    const domain = answerTo(filter, new DomainException(ErrorCode.CONFLICT, 'busy'));
    const unexpected = answerTo(filter, new Error('boom'));

    expect(JSON.parse(domain.body ?? '{}')).toMatchObject({ code: ErrorCode.CONFLICT, detail: 'busy', status: 409 });
    expect(JSON.parse(unexpected.body ?? '{}')).toMatchObject({ code: ErrorCode.INTERNAL_ERROR, status: 500 });
    expect(unexpected.body).not.toContain('boom');
  });
});
