import { DomainEvent } from 'src/common/events/domain-event';
import type { ChangeSource } from 'src/modules/audit/change-context';

/** Published after Meta-side fields of a number changed (quality, status, name status, registration…). */
export class PhoneNumberUpdatedEvent extends DomainEvent {
  static readonly eventName = 'phone-number.updated';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
    readonly phoneNumberId: string,
    readonly changes: Record<string, { before: unknown; after: unknown }>,
    readonly source: ChangeSource,
  ) {
    super();
  }
}
