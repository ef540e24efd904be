import { DomainEvent } from 'src/common/events/domain-event';

/** Published after a WABA was connected to an organization for the first time. */
export class WabaConnectedEvent extends DomainEvent {
  static readonly eventName = 'waba.connected';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
  ) {
    super();
  }
}
