import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';

import { PhoneNumberAddedEvent } from 'src/modules/phone-numbers/events/phone-number-added.event';
import { PhoneNumberUpdatedEvent } from 'src/modules/phone-numbers/events/phone-number-updated.event';
import { RegistrationChangedEvent } from 'src/modules/phone-numbers/events/registration-changed.event';
import { SendingChannelChangedEvent } from 'src/modules/phone-numbers/events/sending-channel-changed.event';
import { ConnectionChangedEvent } from 'src/modules/wabas/events/connection-changed.event';
import { MmLiteStatusChangedEvent } from 'src/modules/wabas/events/mm-lite-status-changed.event';
import { WabaConnectedEvent } from 'src/modules/wabas/events/waba-connected.event';
import { WabaStatusChangedEvent } from 'src/modules/wabas/events/waba-status-changed.event';
import { WabaUpdatedEvent } from 'src/modules/wabas/events/waba-updated.event';

import type { PhoneNumberFrameKind, WabaFrameKind } from 'src/modules/live-events/live-frame';
import { LiveEventsService } from 'src/modules/live-events/live-events.service';

type WabaEvent =
  WabaConnectedEvent | WabaStatusChangedEvent | MmLiteStatusChangedEvent | ConnectionChangedEvent | WabaUpdatedEvent;
type PhoneNumberEvent =
  PhoneNumberAddedEvent | PhoneNumberUpdatedEvent | SendingChannelChangedEvent | RegistrationChangedEvent;

/**
 * Turns the owners' domain events (published after their commit) into the frames of the organization's
 * event streams: which WABA or number changed and how, nothing of the change itself. Only queues (no I/O):
 * it runs inside the publisher's call.
 */
@Injectable()
export class DomainEventsListener {
  constructor(private readonly live: LiveEventsService) {}

  @OnEvent(WabaConnectedEvent.eventName)
  onWabaConnected(event: WabaConnectedEvent): void {
    this.waba(event, 'connected');
  }

  @OnEvent(WabaStatusChangedEvent.eventName)
  onWabaStatusChanged(event: WabaStatusChangedEvent): void {
    this.waba(event, 'status');
  }

  @OnEvent(MmLiteStatusChangedEvent.eventName)
  onMmLiteStatusChanged(event: MmLiteStatusChangedEvent): void {
    this.waba(event, 'mm-lite');
  }

  @OnEvent(ConnectionChangedEvent.eventName)
  onConnectionChanged(event: ConnectionChangedEvent): void {
    this.waba(event, 'connection');
  }

  @OnEvent(WabaUpdatedEvent.eventName)
  onWabaUpdated(event: WabaUpdatedEvent): void {
    this.waba(event, 'updated');
  }

  @OnEvent(PhoneNumberAddedEvent.eventName)
  onPhoneNumberAdded(event: PhoneNumberAddedEvent): void {
    this.phoneNumber(event, 'added');
  }

  @OnEvent(PhoneNumberUpdatedEvent.eventName)
  onPhoneNumberUpdated(event: PhoneNumberUpdatedEvent): void {
    this.phoneNumber(event, 'updated');
  }

  @OnEvent(SendingChannelChangedEvent.eventName)
  onSendingChannelChanged(event: SendingChannelChangedEvent): void {
    this.phoneNumber(event, 'sending-channel');
  }

  @OnEvent(RegistrationChangedEvent.eventName)
  onRegistrationChanged(event: RegistrationChangedEvent): void {
    this.phoneNumber(event, 'registration');
  }

  private waba(event: WabaEvent, kind: WabaFrameKind): void {
    this.live.queue(event.organizationId, { event: 'waba', data: { wabaId: event.wabaId, kind } });
  }

  private phoneNumber(event: PhoneNumberEvent, kind: PhoneNumberFrameKind): void {
    this.live.queue(event.organizationId, {
      event: 'phone-number',
      data: { phoneNumberId: event.phoneNumberId, wabaId: event.wabaId, kind },
    });
  }
}
