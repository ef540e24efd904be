import { DomainEvent } from 'src/common/events/domain-event';
import type { MmLiteStatus } from 'src/modules/wabas/wabas.constants';
import type { ChangeSource } from 'src/modules/audit/change-context';

/** Published after the MM Lite column of a WABA changed (null = dash) and the change was committed. */
export class MmLiteStatusChangedEvent extends DomainEvent {
  static readonly eventName = 'waba.mm-lite-status-changed';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
    readonly previous: MmLiteStatus | null,
    readonly current: MmLiteStatus | null,
    readonly metaStatus: string | null,
    readonly source: ChangeSource,
  ) {
    super();
  }
}
