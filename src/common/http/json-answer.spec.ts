import type { OutgoingHttpHeaders } from 'node:http';

import type { Response } from 'express';

import { jsonAnswerHeaders, sendJsonText } from './json-answer';

/** What sendJsonText wrote: status, headers and body. */
function capture(fresh = false): {
  response: Response;
  sent: { status?: number; headers?: OutgoingHttpHeaders; body?: Buffer };
} {
  const sent: { status?: number; headers?: OutgoingHttpHeaders; body?: Buffer } = {};
  const response = {
    req: { fresh },
    setHeader: () => response,
    status: (status: number) => {
      sent.status = status;
      return { end: () => undefined };
    },
    writeHead: (status: number, headers: OutgoingHttpHeaders) => {
      sent.status = status;
      sent.headers = headers;
      return {
        end: (body: Buffer) => {
          sent.body = body;
        },
      };
    },
  };
  return { response: response as unknown as Response, sent };
}

describe('sendJsonText', () => {
  it('should answer pieces with the bytes, length and ETag of the text they join', () => {
    const pieces = ['{"data":[', '{"name":"Caf\u00e9 \u4e2d \ud83d\ude00"},{"name":"x"}', '],"nextCursor":null}'];
    const whole = Buffer.from(pieces.join(''), 'utf8');
    const { response, sent } = capture();

    sendJsonText(response, pieces);

    expect(sent.status).toBe(200);
    expect(sent.body?.equals(whole)).toBe(true);
    expect(sent.headers).toEqual(jsonAnswerHeaders(whole));
    expect(sent.headers?.['content-length']).toBe(whole.length);
  });

  it('should answer a whole text as its pieces would be answered', () => {
    const first = capture();
    const second = capture();

    sendJsonText(first.response, '{"a":"\u00e9"}');
    sendJsonText(second.response, ['{"a":"', '\u00e9', '"}']);

    expect(first.sent.body?.equals(second.sent.body as Buffer)).toBe(true);
    expect(first.sent.headers).toEqual(second.sent.headers);
  });

  it('should answer 304 without a body when the client holds the ETag', () => {
    const { response, sent } = capture(true);

    sendJsonText(response, ['{}']);

    expect(sent).toEqual({ status: 304 });
  });
});
