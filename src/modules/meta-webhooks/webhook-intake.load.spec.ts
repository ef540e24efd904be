import { WebhookIntakeLoad } from './webhook-intake.load';

describe('WebhookIntakeLoad', () => {
  let clock: number;
  let load: WebhookIntakeLoad;

  const deliveries = (count: number, everyMs: number) => {
    for (let index = 0; index < count; index += 1) {
      load.noteDelivery();
      clock += everyMs;
    }
  };

  beforeEach(() => {
    clock = 10_000;
    load = new WebhookIntakeLoad();
    load.now = () => clock;
  });

  it('should leave processing every lane when no delivery arrives', () => {
    expect(load.processingLanes(12)).toBe(12);
  });

  it('should leave processing every lane under a steady trickle of deliveries', () => {
    deliveries(200, 10); // 100/s for two seconds

    expect(load.processingLanes(12)).toBe(12);
  });

  it('should leave processing one lane during a burst', () => {
    deliveries(60, 1); // 1,000/s

    expect(load.processingLanes(12)).toBe(1);
  });

  it('should give processing its lanes back once the burst is over', () => {
    deliveries(60, 1);
    clock += 250;

    expect(load.processingLanes(12)).toBe(12);
  });

  it('should count a burst that spans two windows', () => {
    deliveries(30, 3); // 90 ms
    deliveries(30, 1); // into the next window

    expect(load.processingLanes(12)).toBe(1);
  });
});
