import { Body, Controller, HttpCode, HttpStatus, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { JsonBodyInterceptor } from 'src/common/http/json-body.interceptor';
import { PhoneNumberIdParamDto, WabaIdParamDto } from 'src/common/http/meta-id-param.dto';
import { CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';

import { CreateSandboxSignupDto } from './dto/create-sandbox-signup.dto';
import { SandboxEventDto } from './dto/sandbox-event.dto';
import { SandboxSignupResponseDto } from './dto/sandbox-signup-response.dto';
import { SandboxUserPreferenceDto } from './dto/sandbox-user-preference.dto';
import { SandboxOnlyGuard } from './sandbox.guard';
import { SandboxService } from './sandbox.service';

/** What a "Simulate Meta" action may answer: bad input, not the caller's, the simulator refusing or away. */
const SIMULATE_META_PROBLEMS = [
  ErrorCode.VALIDATION_FAILED,
  ErrorCode.NOT_FOUND,
  ErrorCode.META_REQUEST_REJECTED,
  ErrorCode.META_UNAVAILABLE,
  ...COMMON_KEY_ROUTE_PROBLEMS,
];

/** Try every flow of the guide on one machine: the simulator stands in for Meta. */
@ApiTags('Sandbox')
@ApiBearerAuth()
@UseGuards(SandboxOnlyGuard)
// Its body is read once the sandbox guard has passed (see JsonBodyGuard), as before it.
@UseInterceptors(JsonBodyInterceptor)
@Controller('api/v1/sandbox')
export class SandboxController {
  constructor(private readonly sandbox: SandboxService) {}

  @Post('embedded-signup')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Simulate the Embedded Signup popup: a fresh code, WABA and number (sandbox mode only)',
    description: 'Post the answer to POST /api/v1/phone-numbers within 30 seconds, as the front end would.',
  })
  @ApiCreatedResponse({ type: SandboxSignupResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ...COMMON_KEY_ROUTE_PROBLEMS)
  createSignup(@Body() body: CreateSandboxSignupDto): Promise<SandboxSignupResponseDto> {
    return this.sandbox.createSignupSession(body);
  }

  @Post('wabas/:wabaId/events')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary:
      'Change the simulated WABA at Meta (sign MM Lite terms, onboard, disable, reinstate, quality, webhook subscription)',
    description:
      'The simulator changes its state and sends the matching signed webhook to this service. WEBHOOKS_UNSUBSCRIBED ' +
      "removes the app's subscription and WEBHOOKS_OVERRIDDEN sets an override callback: Meta sends no webhook for " +
      'either; the next re-sync round that checks the WABA finds it.',
  })
  @ApiAcceptedResponse({ description: 'The change was made; the webhook is on its way' })
  @ApiProblemResponses(...SIMULATE_META_PROBLEMS)
  async applyEvent(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: WabaIdParamDto,
    @Body() body: SandboxEventDto,
  ): Promise<void> {
    await this.sandbox.applyEvent(organizationId, params.wabaId, body);
  }

  @Post('phone-numbers/:phoneNumberId/user-preferences')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'A recipient stops or resumes marketing messages from the number (sandbox mode only)',
    description:
      "The simulator sends Meta's signed user_preferences webhook to this service. After a stop, marketing sends " +
      'to that recipient from the WABA are accepted by Meta and then fail with 131050 in their status webhook; ' +
      'after a resume they are delivered again.',
  })
  @ApiAcceptedResponse({ description: 'The preference was set; the webhook is on its way' })
  @ApiProblemResponses(...SIMULATE_META_PROBLEMS)
  async userPreference(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: PhoneNumberIdParamDto,
    @Body() body: SandboxUserPreferenceDto,
  ): Promise<void> {
    await this.sandbox.userPreference(organizationId, params.phoneNumberId, body);
  }
}
