import type { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';

import { LiveEventRelay } from './live-event.relay';
import { decodeBatch, type LiveFrame } from './live-frame';
import { LIVE_EVENTS_FLUSH_DELAY_MS } from './live-events.constants';
import { LiveEventsService } from './live-events.service';

/** A relay that records what is published; `hold` keeps publishes pending until released. */
class RecordingRelay extends LiveEventRelay {
  readonly published: string[][] = [];
  closed = false;
  private held: Array<() => void> | null = null;

  listen(): Promise<void> {
    return Promise.resolve();
  }

  publish(payloads: readonly string[]): Promise<void> {
    this.published.push([...payloads]);
    if (this.held) {
      return new Promise((resolve) => this.held?.push(resolve));
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    held.forEach((resolve) => resolve());
  }
}

const config = {
  get: (key: string) => ({ 'liveEvents.maxStreamsPerOrganization': 20, 'liveEvents.keepAliveMs': 15_000 })[key],
} as unknown as ConfigService<AllConfig, true>;

const status = (wabaId: string): LiveFrame => ({ event: 'waba', data: { wabaId, kind: 'status' } });

describe(LiveEventsService.name, () => {
  let relay: RecordingRelay;
  let sut: LiveEventsService;

  const flushed = () => relay.published.map((payloads) => payloads.map((payload) => decodeBatch(payload)));

  beforeEach(() => {
    jest.useFakeTimers();
    relay = new RecordingRelay();
    sut = new LiveEventsService(relay, config);
    sut.onModuleInit();
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
    jest.useRealTimers();
  });

  it('should send the frames of a burst in one relay call, one payload per organization, each change once', async () => {
    for (let index = 0; index < 500; index += 1) {
      sut.queue('org-a', status(String(index % 50)));
    }
    sut.queue('org-b', status('900'));

    await jest.advanceTimersByTimeAsync(LIVE_EVENTS_FLUSH_DELAY_MS);

    expect(relay.published).toHaveLength(1);
    const [batches] = flushed();
    expect(batches.map((batch) => batch?.organizationId).sort()).toEqual(['org-a', 'org-b']);
    expect(batches.find((batch) => batch?.organizationId === 'org-a')?.frames).toHaveLength(50);
  });

  it('should keep one flush in flight: what comes meanwhile goes in the next one, together', async () => {
    relay.hold();
    sut.queue('org-a', status('1'));
    await jest.advanceTimersByTimeAsync(LIVE_EVENTS_FLUSH_DELAY_MS);
    expect(relay.published).toHaveLength(1);

    sut.queue('org-a', status('2'));
    sut.queue('org-a', status('3'));
    await jest.advanceTimersByTimeAsync(LIVE_EVENTS_FLUSH_DELAY_MS * 5);
    expect(relay.published).toHaveLength(1);

    relay.release();
    await jest.advanceTimersByTimeAsync(LIVE_EVENTS_FLUSH_DELAY_MS);
    expect(flushed()[1]).toEqual([{ organizationId: 'org-a', frames: [status('2'), status('3')] }]);
  });

  it('should send what is still queued when the module stops, then close the relay', async () => {
    sut.queue('org-a', status('1'));

    await sut.onModuleDestroy();

    expect(flushed()).toEqual([[{ organizationId: 'org-a', frames: [status('1')] }]]);
    expect(relay.closed).toBe(true);
  });
});
