import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';

import { WabaStatusChangedEvent } from 'src/modules/wabas/events/waba-status-changed.event';

/**
 * Logs a WABA's status change with its ids. It used to switch a disabled WABA's MM_LITE numbers back to
 * CLOUD_API as well; that rule now commits with the status change itself (PhoneNumbersService.leaveMmLite,
 * run by WabasService for every change that leaves a WABA DISABLED), because an in-memory listener is lost
 * when the process dies between the commit and the event, and then no later event would fire to repair it.
 */
@Injectable()
export class WabaStatusChangedListener {
  private readonly logger = new Logger(WabaStatusChangedListener.name);

  @OnEvent(WabaStatusChangedEvent.eventName)
  handle(event: WabaStatusChangedEvent): void {
    this.logger.log(
      `WABA ${event.wabaId} (organization ${event.organizationId}) status ` +
        `${event.previous.status}/${event.previous.statusReason ?? '-'} → ` +
        `${event.current.status}/${event.current.statusReason ?? '-'} from ${event.source}`,
    );
  }
}
