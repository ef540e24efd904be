import type { JsonObject, SimWaba } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import type { GraphApiHandlerConfig } from './graph-api.types';
import { asString } from './graph-params.util';

/** The WABA's `subscribed_apps` edge: whether our app gets the WABA's webhooks, and where. */
export class WabaSubscribedAppsEdge {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'appId' | 'appName'>,
  ) {}

  /** Our app as the only possible subscriber, with its `override_callback_uri` when one is set. */
  list(waba: SimWaba): JsonObject {
    const subscription = this.state.subscriptions.get(waba.id);
    if (!subscription) {
      return { data: [] };
    }
    const item: JsonObject = {
      whatsapp_business_api_data: {
        link: `https://www.facebook.com/games/?app_id=${this.config.appId}`,
        name: this.config.appName,
        id: this.config.appId,
      },
    };
    if (subscription.overrideCallbackUri) {
      item.override_callback_uri = subscription.overrideCallbackUri;
    }
    return { data: [item] };
  }

  /** `POST`: subscribes (again), replacing any earlier override. */
  subscribe(waba: SimWaba, params: JsonObject): JsonObject {
    const override = asString(params.override_callback_uri);
    this.state.subscriptions.set(waba.id, { overrideCallbackUri: override ?? null });
    return { success: true };
  }

  /** `DELETE`: unsubscribes; succeeds whether or not the app was subscribed. */
  unsubscribe(waba: SimWaba): JsonObject {
    this.state.subscriptions.delete(waba.id);
    return { success: true };
  }
}
