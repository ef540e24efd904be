import { Injectable } from '@nestjs/common';

import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabaSyncService } from 'src/modules/sync/waba-sync.service';
import type { WabaView } from 'src/modules/wabas/waba.types';
import { TemplatesService } from 'src/modules/templates/templates.service';
import { WabasService } from 'src/modules/wabas/wabas.service';

import type { MmLitePanelResponseDto } from './dto/mm-lite-panel-response.dto';
import { buildMmLitePanel } from './mm-lite-panel';
import { ChangeSource } from 'src/modules/audit/change-context';
import type { Actor } from 'src/modules/organizations/actor';

/**
 * The "Set up MM Lite" flow of the guide (product-spec §2.5): the panel, starting setup, and refreshing
 * the onboarding status from Meta. Every change goes through a named command of WabasService, which
 * re-derives the MM Lite column and audits MM_LITE_STATUS_CHANGED; the refresh reuses the WABA sync so that a
 * Meta read is applied (and its failures recorded) the same way from every source.
 */
@Injectable()
export class MmLiteService {
  constructor(
    private readonly wabas: WabasService,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly sync: WabaSyncService,
    private readonly templates: TemplatesService,
  ) {}

  /** The panel as stored; does not call Meta. 404 for another organization's WABA. */
  async getPanel(organizationId: string, wabaId: string): Promise<MmLitePanelResponseDto> {
    return this.panelOf(await this.wabas.getForOrganization(organizationId, wabaId));
  }

  /**
   * `POST .../mm-lite/setup`: records that setup started (once; a repeat changes nothing), which moves the
   * column from the dash to NOT_ONBOARDED unless Meta already says ONBOARDED. Does not call Meta: the
   * terms can only be accepted on Meta's side.
   */
  async startSetup(organizationId: string, wabaId: string, actor: Actor): Promise<MmLitePanelResponseDto> {
    const owned = await this.wabas.getForOrganization(organizationId, wabaId);
    const waba = await this.wabas.startMmLiteSetup(wabaId, { source: ChangeSource.API, actor });
    return this.panelOf(waba ?? owned);
  }

  /**
   * `POST .../mm-lite/refresh`: reads the WABA's `marketing_messages_onboarding_status`, the portfolio's
   * terms status and the numbers from Meta now, with the WABA's own token, and applies them. Answers
   * REAUTH_REQUIRED without calling Meta when the token was already rejected; Meta failures become their
   * public problems (and are recorded on the WABA by the sync). What Meta says is audited as SYNC with the
   * caller as actor: the key asked for the read, Meta made the change.
   */
  async refresh(organizationId: string, wabaId: string, actor: Actor): Promise<MmLitePanelResponseDto> {
    const waba = await this.sync.syncNow(organizationId, wabaId, actor);
    return this.panelOf(waba);
  }

  private async panelOf(waba: WabaView): Promise<MmLitePanelResponseDto> {
    const [numbers, approvedMarketing] = await Promise.all([
      this.phoneNumbers.listByWaba(waba.wabaId),
      this.templates.countApprovedMarketing(waba.id),
    ]);
    return buildMmLitePanel(waba, numbers, approvedMarketing);
  }
}
