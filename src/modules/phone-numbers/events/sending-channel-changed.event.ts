import { DomainEvent } from 'src/common/events/domain-event';
import type { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';
import type { ChangeSource } from 'src/modules/audit/change-context';

/** Published after a number's sending channel was switched. */
export class SendingChannelChangedEvent extends DomainEvent {
  static readonly eventName = 'phone-number.sending-channel-changed';

  constructor(
    readonly organizationId: string,
    readonly wabaId: string,
    readonly phoneNumberId: string,
    readonly previous: SendingChannel,
    readonly current: SendingChannel,
    readonly source: ChangeSource,
  ) {
    super();
  }
}
