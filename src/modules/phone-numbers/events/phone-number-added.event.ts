import { DomainEvent } from 'src/common/events/domain-event';

/** Published after a number was connected through Embedded Signup. */
export class PhoneNumberAddedEvent extends DomainEvent {
  static readonly eventName = 'phone-number.added';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
    readonly phoneNumberId: string,
  ) {
    super();
  }
}
