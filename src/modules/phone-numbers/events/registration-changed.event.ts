import { DomainEvent } from 'src/common/events/domain-event';
import type { ChangeSource } from 'src/modules/audit/change-context';
import type { RegistrationStatus } from 'src/modules/phone-numbers/phone-numbers.constants';

/** Published after a number's Cloud API registration status changed (an attempt's outcome) and was committed. */
export class RegistrationChangedEvent extends DomainEvent {
  static readonly eventName = 'phone-number.registration-changed';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
    readonly phoneNumberId: string,
    readonly previous: RegistrationStatus,
    readonly current: RegistrationStatus,
    readonly source: ChangeSource,
  ) {
    super();
  }
}
