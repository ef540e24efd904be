import { createHmac } from 'node:crypto';

import type { JsonObject, JsonValue, SendWebhookOptions, WebhookDelivery } from './meta-simulator.types';
import type { WebhookRoute } from './webhook-routing';

/** Callbacks that do not answer within this time count as failed deliveries (status 0). */
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Top-level names reserved never to resolve (RFC 2606, RFC 6761): a delivery there fails at once, with no
 * lookup leaving the machine (the sandbox's default override URL is one).
 */
const UNRESOLVABLE_SUFFIXES = ['.example', '.invalid'];

/**
 * Builds and delivers Meta webhooks (graph-api-reference.md §6): the `object/entry/changes` envelope,
 * signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`.
 * Keeps the callback URL and every delivery made, and tracks background deliveries until they settle.
 */
export class WebhookEmitter {
  private readonly inFlight = new Set<AbortController>();
  private readonly sent: WebhookDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** Scheduled deliveries waiting for their time. */
  private readonly waits = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  /** Bumped by {@link cancelScheduled}: sequences of an older generation stop. */
  private generation = 0;

  constructor(
    private readonly appSecret: string,
    private readonly now: () => Date,
    /** Callback URL of deliveries that name none; null when none is configured. */
    public url: string | null,
  ) {}

  /** Where Meta sends a webhook it makes itself (overrides, no subscription); unset: the callback URL. */
  router: ((payload: JsonValue | string) => WebhookRoute) | null = null;

  /** `sha256=<hex>` of the exact body bytes. */
  sign(body: string): string {
    return `sha256=${createHmac('sha256', this.appSecret).update(body, 'utf8').digest('hex')}`;
  }

  /**
   * One-change envelope as in the fixtures. `time` is unix seconds; `null` leaves it out, as Meta does for
   * `messages` payloads (§6.2).
   */
  build(field: string, value: JsonObject, entryId: string, time?: number | null): JsonObject {
    const entry: JsonObject = { id: entryId };
    if (time !== null) {
      entry.time = time ?? Math.floor(this.now().getTime() / 1000);
    }
    entry.changes = [{ value, field }];
    return { object: 'whatsapp_business_account', entry: [entry] };
  }

  /** Every delivery so far, oldest first. A live read-only view. */
  get deliveries(): readonly WebhookDelivery[] {
    return this.sent;
  }

  clearDeliveries(): void {
    this.sent.length = 0;
  }

  /** Delivers a payload to `options.url` or the configured URL and records the delivery. */
  async deliver(payload: JsonValue | string, options: SendWebhookOptions = {}): Promise<WebhookDelivery> {
    const route = options.url === undefined && options.routed ? (this.router?.(payload) ?? null) : null;
    if (route?.to === 'none') {
      // Meta has nowhere to send it: recorded, so that tests and the sandbox can see what did not arrive.
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const skipped: WebhookDelivery = { url: '', body, signature: this.sign(body), status: 0, route: 'none' };
      this.sent.push(skipped);
      return skipped;
    }
    const url = options.url ?? (route?.to === 'override' ? route.url : this.url);
    if (!url) {
      throw new Error('No webhook URL configured');
    }
    const delivery = await this.send(url, payload, options);
    if (route) {
      delivery.route = route.to;
    }
    this.sent.push(delivery);
    return delivery;
  }

  /** Delivers without waiting (signup webhooks); nothing happens without a configured URL. */
  deliverInBackground(payload: JsonObject): void {
    this.deliverSequenceInBackground([{ payload, delayMs: 0 }]);
  }

  /**
   * Delivers payloads one after the other without waiting (the status webhooks of a send): each once the
   * previous one is answered and `delayMs` after this call, so that they arrive in the given order.
   * Nothing happens without a configured URL; {@link cancelScheduled} drops what has not started.
   */
  deliverSequenceInBackground(steps: ReadonlyArray<{ payload: JsonObject; delayMs: number }>): void {
    if (!this.url || steps.length === 0) {
      return;
    }
    const generation = this.generation;
    const startedAt = performance.now();
    const promise = (async (): Promise<void> => {
      for (const step of steps) {
        const wait = step.delayMs - (performance.now() - startedAt);
        if (wait > 0) {
          await this.sleep(wait);
        }
        if (generation !== this.generation) {
          return;
        }
        await this.deliver(step.payload, { routed: true }).catch(() => undefined);
      }
    })();
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  /** Drops scheduled deliveries that have not started (reset, stop); those under way finish. */
  cancelScheduled(): void {
    this.generation += 1;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.wake();
    }
    this.waits.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.waits.add(wait);
    });
  }

  /** Waits for background deliveries (scheduled ones included), including those they start meanwhile. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.allSettled([...this.pending]);
    }
  }

  /**
   * POSTs a payload (object or raw string, sent byte for byte) and reports what happened. Retries up to
   * `attempts` times while the callback does not answer 2xx, like Meta's redelivery.
   */
  private async send(url: string, payload: JsonValue | string, options: SendWebhookOptions): Promise<WebhookDelivery> {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const signature = options.signature ?? this.sign(body);
    const attempts = Math.max(1, options.attempts ?? 1);
    let status = 0;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      status = await this.post(url, body, signature);
      if (status >= 200 && status < 300) {
        break;
      }
      if (attempt < attempts && options.retryDelayMs) {
        await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
      }
    }
    return { url, body, signature, status };
  }

  private async post(url: string, body: string, signature: string): Promise<number> {
    if (UNRESOLVABLE_SUFFIXES.some((suffix) => hostOf(url).endsWith(suffix))) {
      return 0;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS);
    this.inFlight.add(controller);
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        signal: controller.signal,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'facebookexternalua',
          'X-Hub-Signature-256': signature,
        },
      });
      // Drain the body so keep-alive sockets are released.
      await response.arrayBuffer().catch(() => undefined);
      return response.status;
    } catch {
      return 0;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /** Aborts deliveries still waiting for the callback, and scheduled ones (on stop). */
  abortAll(): void {
    this.cancelScheduled();
    for (const controller of this.inFlight) {
      controller.abort();
    }
    this.inFlight.clear();
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}
