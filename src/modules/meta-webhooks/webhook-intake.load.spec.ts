import { WebhookIntakeLoad } from './webhook-intake.load';

describe('WebhookIntakeLoad', () => {
  let clock: number;
  let load: WebhookIntakeLoad;

  /** `count` deliveries one after the other, each answered before the next arrives. */
  const deliveries = (count: number, everyMs: number) => {
    for (let index = 0; index < count; index += 1) {
      load.noteDelivery();
      load.noteAnswered();
      clock += everyMs;
    }
  };

  /** `count` deliveries `together` at a time: each arrives while the others of its group are being received. */
  const concurrentDeliveries = (count: number, everyMs: number, together: number) => {
    for (let index = 0; index < count; index += 1) {
      load.noteDelivery();
      if (index % together === together - 1) {
        for (let answered = 0; answered < together; answered += 1) {
          load.noteAnswered();
        }
      }
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

  it("should leave processing one lane when deliveries arrive several at once, at a share of a burst's rate", () => {
    concurrentDeliveries(40, 5, 8); // 200/s, eight at a time: one instance of four behind one address

    expect(load.processingLanes(12)).toBe(1);
  });

  it('should leave processing every lane when deliveries arrive one after the other at that rate', () => {
    deliveries(40, 5);

    expect(load.processingLanes(12)).toBe(12);
  });

  it('should count a burst that spans two windows', () => {
    deliveries(30, 3); // 90 ms
    deliveries(30, 1); // into the next window

    expect(load.processingLanes(12)).toBe(1);
  });

  describe('claimDelayMs', () => {
    const stored = (count: number) => {
      for (let index = 0; index < count; index += 1) {
        load.noteDelivery();
        load.noteStored();
        load.noteAnswered();
        clock += 0.5;
      }
    };

    it('should let the worker claim at once outside a burst', () => {
      deliveries(5, 100);
      load.noteStored();

      expect(load.claimDelayMs()).toBe(0);
    });

    it('should let the worker gather during a burst until the first stored delivery waited 50 ms', () => {
      deliveries(60, 1);
      stored(10);
      clock += 20;

      expect(load.claimDelayMs()).toBe(25);
      clock += 25;
      expect(load.claimDelayMs()).toBe(0);
    });

    it("should let the worker claim at once during a burst once a batch's worth was stored", () => {
      deliveries(60, 1);
      stored(64);

      expect(load.claimDelayMs()).toBe(0);
    });

    it('should gather anew after each claim', () => {
      deliveries(60, 1);
      stored(64);
      load.noteClaim();

      expect(load.claimDelayMs()).toBe(0); // nothing stored since the claim: nothing to wait for
      stored(1);
      expect(load.claimDelayMs()).toBe(49.5);
    });
  });
});
