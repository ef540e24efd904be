import { DomainEvent } from 'src/common/events/domain-event';
import type { WabaStatus } from 'src/modules/wabas/wabas.constants';
import type { ChangeSource } from 'src/modules/audit/change-context';

/** Published after a WABA's derived status or its reason changed and the change was committed. */
export class WabaStatusChangedEvent extends DomainEvent {
  static readonly eventName = 'waba.status-changed';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
    readonly previous: { status: WabaStatus; statusReason: string | null },
    readonly current: { status: WabaStatus; statusReason: string | null },
    readonly source: ChangeSource,
  ) {
    super();
  }
}
