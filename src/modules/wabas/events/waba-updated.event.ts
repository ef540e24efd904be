import { DomainEvent } from 'src/common/events/domain-event';
import type { ChangeSource } from 'src/modules/audit/change-context';

/**
 * Published after a change of a WABA that none of the more specific events names (its name, restrictions,
 * review decision, country, health or other fields read from Meta; not the sync bookkeeping alone), once the
 * change was committed. A sync round's bulk write publishes one per WABA whose fields changed.
 */
export class WabaUpdatedEvent extends DomainEvent {
  static readonly eventName = 'waba.updated';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
    readonly source: ChangeSource,
  ) {
    super();
  }
}
