import { DomainEvent } from 'src/common/events/domain-event';
import type { ChangeSource, WabaConnection } from 'src/modules/wabas/wabas.constants';

/** Published after a WABA's connection moved between CONNECTED and REAUTH_REQUIRED. */
export class ConnectionChangedEvent extends DomainEvent {
  static readonly eventName = 'waba.connection-changed';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
    readonly previous: WabaConnection,
    readonly current: WabaConnection,
    readonly source: ChangeSource,
  ) {
    super();
  }
}
