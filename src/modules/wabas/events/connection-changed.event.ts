import { DomainEvent } from 'src/common/events/domain-event';
import type { WabaConnection } from 'src/modules/wabas/wabas.constants';
import type { ChangeSource } from 'src/modules/audit/change-context';

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
