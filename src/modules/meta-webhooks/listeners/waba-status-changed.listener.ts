import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';

import { scopeToOrganization } from 'src/common/database/tenant-filter';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabaStatusChangedEvent } from 'src/modules/wabas/events/waba-status-changed.event';
import { WabaStatus } from 'src/modules/wabas/wabas.constants';

/** Actor of the automatic channel switch in the audit trail. */
export const DISABLED_WABA_CHANNEL_ACTOR = 'system:waba-disabled';

/**
 * Reacts to a WABA's status change: logs it with its ids, and when the WABA became DISABLED switches its
 * MM_LITE numbers back to CLOUD_API (a disabled WABA cannot stay on MM Lite, and the user would otherwise
 * find numbers on a channel they could not switch to again). Idempotent: a number already on CLOUD_API is
 * left untouched, so the same event twice changes and audits nothing the second time. Never throws into
 * the emitter; failures are logged and the next re-sync's event tries again.
 */
@Injectable()
export class WabaStatusChangedListener {
  private readonly logger = new Logger(WabaStatusChangedListener.name);

  constructor(
    private readonly em: EntityManager,
    private readonly phoneNumbers: PhoneNumbersService,
  ) {}

  @OnEvent(WabaStatusChangedEvent.eventName, { async: true })
  async handle(event: WabaStatusChangedEvent): Promise<void> {
    this.logger.log(
      `WABA ${event.wabaId} (organization ${event.organizationId}) status ` +
        `${event.previous.status}/${event.previous.statusReason ?? '-'} → ` +
        `${event.current.status}/${event.current.statusReason ?? '-'} from ${event.source}`,
    );
    if (event.current.status !== WabaStatus.DISABLED) {
      return;
    }
    try {
      const switched = await RequestContext.create(this.em, () => {
        // A fresh context has no organization in scope: this reaction works for the WABA's organization only.
        scopeToOrganization(this.em, event.organizationId);
        return this.switchMmLiteNumbersToCloudApi(event);
      });
      if (switched.length > 0) {
        this.logger.log(`WABA ${event.wabaId} disabled: numbers ${switched.join(', ')} switched back to CLOUD_API`);
      }
    } catch (error) {
      this.logger.error(
        `Switching the MM Lite numbers of disabled WABA ${event.wabaId} back to CLOUD_API failed: ` +
          (error instanceof Error ? error.message : 'unexpected error'),
      );
    }
  }

  private async switchMmLiteNumbersToCloudApi(event: WabaStatusChangedEvent): Promise<string[]> {
    const switched: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.phoneNumbers.list(event.organizationId, {
        wabaId: event.wabaId,
        sendingChannel: SendingChannel.MM_LITE,
        limit: 100,
        cursor,
      });
      for (const number of page.data) {
        let changed = false;
        await this.phoneNumbers.applyChange(
          number.phoneNumberId,
          { source: event.source, actor: DISABLED_WABA_CHANNEL_ACTOR },
          (phone) => {
            if (phone.sendingChannel !== SendingChannel.MM_LITE) {
              return false;
            }
            phone.sendingChannel = SendingChannel.CLOUD_API;
            changed = true;
            return true;
          },
        );
        if (changed) {
          switched.push(number.phoneNumberId);
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return switched;
  }
}
