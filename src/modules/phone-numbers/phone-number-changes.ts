import { Injectable } from '@nestjs/common';

import type { DomainEvent } from 'src/common/events/domain-event';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import type { ChangeContext } from 'src/modules/audit/change-context';

import { PhoneNumberAddedEvent } from './events/phone-number-added.event';
import { PhoneNumberUpdatedEvent } from './events/phone-number-updated.event';
import { RegistrationChangedEvent } from './events/registration-changed.event';
import { SendingChannelChangedEvent } from './events/sending-channel-changed.event';
import { anyFieldChanged, changedFields, type PhoneState } from './phone-number-snapshot';
import type { PhoneNumber } from './phone-number.entity';
import type { RegistrationStatus } from './phone-numbers.constants';

/**
 * The audit records of the numbers' transitions, written into the running transaction's unit of work, and the
 * domain events they stand for, returned for the caller to queue after the commit: every change of a
 * number is told the same way whichever transition made it.
 */
@Injectable()
export class PhoneNumberChanges {
  constructor(private readonly audit: AuditService) {}

  /**
   * What changed since `before` (the number's `phoneState` then): the Meta fields as one PHONE_NUMBER_UPDATED record,
   * a channel switch as SENDING_CHANNEL_CHANGED; nothing when neither changed.
   */
  record(phone: PhoneNumber, before: PhoneState, context: ChangeContext): DomainEvent[] {
    if (before.sendingChannel === phone.sendingChannel && !anyFieldChanged(before.fields, phone)) {
      // What a sync chunk finds for most of its numbers: nothing to build a record of.
      return [];
    }
    const events: DomainEvent[] = [];
    const base = this.base(phone, context);
    const fields = changedFields(before.fields, phone);
    if (Object.keys(fields.after).length > 0) {
      this.audit.record({ ...base, type: AuditEventType.PHONE_NUMBER_UPDATED, ...fields });
      const changes = Object.fromEntries(
        Object.keys(fields.after).map((key) => [key, { before: fields.before[key], after: fields.after[key] }]),
      );
      events.push(
        new PhoneNumberUpdatedEvent(base.organizationId, base.wabaId, base.phoneNumberId, changes, context.source),
      );
    }
    if (before.sendingChannel !== phone.sendingChannel) {
      this.audit.record({
        ...base,
        type: AuditEventType.SENDING_CHANNEL_CHANGED,
        before: { sendingChannel: before.sendingChannel },
        after: { sendingChannel: phone.sendingChannel },
      });
      events.push(
        new SendingChannelChangedEvent(
          base.organizationId,
          base.wabaId,
          base.phoneNumberId,
          before.sendingChannel,
          phone.sendingChannel,
          context.source,
        ),
      );
    }
    return events;
  }

  /**
   * A registration outcome that changed the registration status, as one PHONE_NUMBER_UPDATED record with
   * the Meta fields its read-back changed, and its {@link RegistrationChangedEvent}; nothing when the status
   * stayed.
   */
  recordRegistration(
    phone: PhoneNumber,
    before: { registrationStatus: RegistrationStatus; fields: PhoneState['fields'] },
    context: ChangeContext,
  ): DomainEvent[] {
    if (before.registrationStatus === phone.registrationStatus) {
      return [];
    }
    const fields = changedFields(before.fields, phone);
    const base = this.base(phone, context);
    this.audit.record({
      ...base,
      type: AuditEventType.PHONE_NUMBER_UPDATED,
      before: { registrationStatus: before.registrationStatus, ...fields.before },
      after: {
        registrationStatus: phone.registrationStatus,
        registrationErrorCode: phone.registrationErrorCode,
        ...fields.after,
      },
    });
    return [
      new RegistrationChangedEvent(
        base.organizationId,
        base.wabaId,
        base.phoneNumberId,
        before.registrationStatus,
        phone.registrationStatus,
        context.source,
      ),
    ];
  }

  /** A number connected for the first time: PHONE_NUMBER_ADDED. */
  recordAdded(phone: PhoneNumber, context: ChangeContext): DomainEvent[] {
    const base = this.base(phone, context);
    this.audit.record({
      ...base,
      type: AuditEventType.PHONE_NUMBER_ADDED,
      before: null,
      after: { displayPhoneNumber: phone.displayPhoneNumber, sendingChannel: phone.sendingChannel },
    });
    return [new PhoneNumberAddedEvent(base.organizationId, base.wabaId, base.phoneNumberId)];
  }

  private base(phone: PhoneNumber, context: ChangeContext) {
    return {
      organizationId: phone.organization.id,
      wabaId: phone.waba.wabaId,
      phoneNumberId: phone.phoneNumberId,
      source: context.source,
      actor: context.actor,
      occurredAt: context.occurredAt,
    };
  }
}
