import { createHmac } from 'node:crypto';

import type { JsonObject, JsonValue, SendWebhookOptions, WebhookDelivery } from './meta-simulator.types';

/** Callbacks that do not answer within this time count as failed deliveries (status 0). */
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Builds and delivers Meta webhooks (graph-api-reference.md §6): the `object/entry/changes` envelope,
 * signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`.
 */
export class WebhookEmitter {
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly appSecret: string,
    private readonly now: () => Date,
  ) {}

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

  /**
   * POSTs a payload (object or raw string, sent byte for byte) and reports what happened. Retries up to
   * `attempts` times while the callback does not answer 2xx, like Meta's redelivery.
   */
  async send(url: string, payload: JsonValue | string, options: SendWebhookOptions = {}): Promise<WebhookDelivery> {
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

  /** Aborts deliveries still waiting for the callback (on stop). */
  abortAll(): void {
    for (const controller of this.inFlight) {
      controller.abort();
    }
    this.inFlight.clear();
  }
}
