import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { isAxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';

import type { AllConfig } from 'config/config.type';
import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabasService } from 'src/modules/wabas/wabas.service';

import type { SandboxEventDto } from './dto/sandbox-event.dto';
import type { SandboxSignupResponseDto } from './dto/sandbox-signup-response.dto';
import type { SandboxUserPreferenceDto } from './dto/sandbox-user-preference.dto';

/**
 * Sandbox-mode helpers that drive the Meta simulator through its control API (`/_sim/…` on the Graph
 * origin), so they work alike with the in-process simulator and a standalone `npm run meta-sim`.
 */
@Injectable()
export class SandboxService {
  constructor(
    private readonly http: HttpService,
    private readonly config: ConfigService<AllConfig, true>,
    private readonly wabas: WabasService,
    private readonly phoneNumbers: PhoneNumbersService,
  ) {}

  /** Creates a business, WABA and number at the simulator and a fresh 30-second signup code. */
  async createSignupSession(input: {
    wabaName?: string;
    displayPhoneNumber?: string;
  }): Promise<SandboxSignupResponseDto> {
    const session = await this.control<SandboxSignupResponseDto>('POST', '/_sim/signup-sessions', {
      ...input,
      emitWebhooks: true,
    });
    return {
      code: session.code,
      wabaId: session.wabaId,
      phoneNumberId: session.phoneNumberId,
      businessId: session.businessId,
    };
  }

  /** Changes the simulated WABA (of the caller's organization) and lets the simulator send the webhook. */
  async applyEvent(organizationId: string, wabaId: string, event: SandboxEventDto): Promise<void> {
    await this.wabas.getForOrganization(organizationId, wabaId);
    // The simulator names Meta's event after its webhook (account_alerts).
    const body = event.type === 'ALERT' ? { ...event, type: 'ACCOUNT_ALERT' } : { ...event };
    await this.control('POST', `/_sim/wabas/${encodeURIComponent(wabaId)}/events`, body);
  }

  /**
   * A recipient stops or resumes the marketing messages of the number's business (of the caller's
   * organization): the simulator sends Meta's `user_preferences` webhook, and fails later marketing sends
   * to a stopped recipient with 131050 until they resume.
   */
  async userPreference(organizationId: string, phoneNumberId: string, input: SandboxUserPreferenceDto): Promise<void> {
    await this.phoneNumbers.getForOrganization(organizationId, phoneNumberId);
    await this.control('POST', `/_sim/phone-numbers/${encodeURIComponent(phoneNumberId)}/user-preferences`, {
      recipient: input.to ?? input.recipient,
      value: input.value.toLowerCase(),
    });
  }

  private async control<T>(method: 'POST', path: string, body: Record<string, unknown>): Promise<T> {
    const origin = this.config.get('meta.graphApiBaseUrl', { infer: true });
    try {
      const response = await firstValueFrom(
        this.http.request<T>({ method, url: `${origin}${path}`, data: body, timeout: 5000 }),
      );
      return response.data;
    } catch (error) {
      // A simulator that answered and refused (e.g. a WABA it does not know) is not an outage.
      if (isAxiosError<{ error?: { message?: string } }>(error) && error.response) {
        throw new DomainException(
          ErrorCode.META_REQUEST_REJECTED,
          `The Meta simulator refused the change: ${error.response.data?.error?.message ?? `HTTP ${error.response.status}`}`,
        );
      }
      throw new DomainException(ErrorCode.META_UNAVAILABLE, 'The Meta simulator did not answer');
    }
  }
}
