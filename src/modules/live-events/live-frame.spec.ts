import { decodeBatch, encodeBatch, formatFrame, type LiveFrame } from './live-frame';

const ORGANIZATION = '6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f';
const waba = (index: number): LiveFrame => ({
  event: 'waba',
  data: { wabaId: String(100000000000000 + index), kind: 'updated' },
});

describe('live frames', () => {
  it('should write a frame as id, event and data lines ended by a blank line', () => {
    expect(formatFrame(7, 'waba', { wabaId: '1', kind: 'status' })).toBe(
      'id: 7\nevent: waba\ndata: {"wabaId":"1","kind":"status"}\n\n',
    );
  });

  it('should carry a batch in one payload that reads back the same', () => {
    const frames: LiveFrame[] = [
      waba(1),
      { event: 'phone-number', data: { phoneNumberId: '2', wabaId: '1', kind: 'registration' } },
    ];

    const payloads = encodeBatch({ organizationId: ORGANIZATION, frames });

    expect(payloads).toHaveLength(1);
    expect(decodeBatch(payloads[0])).toEqual({ organizationId: ORGANIZATION, frames });
  });

  it('should split a large batch into payloads under the limit, each of the same organization, frames in order', () => {
    const frames = Array.from({ length: 1_000 }, (_, index) => waba(index));

    const payloads = encodeBatch({ organizationId: ORGANIZATION, frames }, 2_000);

    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.every((payload) => Buffer.byteLength(payload) < 2_000)).toBe(true);
    const decoded = payloads.map((payload) => decodeBatch(payload));
    expect(decoded.every((batch) => batch?.organizationId === ORGANIZATION)).toBe(true);
    expect(decoded.flatMap((batch) => batch?.frames ?? [])).toEqual(frames);
  });

  it('should read nothing from a payload it did not write, and drop frames of an unknown shape', () => {
    expect(decodeBatch('not json')).toBeNull();
    expect(decodeBatch('{"f":[]}')).toBeNull();
    expect(
      decodeBatch(JSON.stringify({ o: ORGANIZATION, f: [{ event: 'waba', data: { wabaId: 1 } }, waba(1)] })),
    ).toEqual({
      organizationId: ORGANIZATION,
      frames: [waba(1)],
    });
  });
});
