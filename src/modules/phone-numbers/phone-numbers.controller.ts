import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ErrorCode } from 'src/common/exceptions/error-code';
import {
  ApiProblemResponses,
  COMMON_KEY_ROUTE_PROBLEMS,
  META_CALL_PROBLEMS,
} from 'src/common/http/api-problem-responses.decorator';
import { PhoneNumberIdParamDto } from 'src/common/http/meta-id-param.dto';
import { CurrentActor, CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';
import type { Actor } from 'src/modules/organizations/actor';
import { WabaDetailResponseDto } from 'src/modules/wabas/dto/waba-detail-response.dto';
import { WabaAlertsService } from 'src/modules/wabas/waba-alerts.service';

import { ConnectPhoneNumberDto } from './dto/connect-phone-number.dto';
import { ConnectResponseDto } from './dto/connect-response.dto';
import { ListPhoneNumbersQueryDto } from './dto/list-phone-numbers-query.dto';
import { PhoneNumberListResponseDto, PhoneNumberResponseDto } from './dto/phone-number-response.dto';
import { UpdatePhoneNumberDto } from './dto/update-phone-number.dto';
import { EmbeddedSignupService } from './embedded-signup.service';
import { PhoneNumbersService } from './phone-numbers.service';
import { RegistrationService } from './registration.service';

/** The Phone numbers page: connect through Embedded Signup, list, switch channel, retry registration. */
@ApiTags('Phone numbers')
@ApiBearerAuth()
@Controller('api/v1/phone-numbers')
export class PhoneNumbersController {
  constructor(
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly signup: EmbeddedSignupService,
    private readonly registration: RegistrationService,
    private readonly alerts: WabaAlertsService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Connect a phone number (and its WABA) from an Embedded Signup result',
    description:
      'Exchanges the code, checks the token with debug_token, reads the WABA and the number, subscribes the app ' +
      'to the WABA webhooks and registers the number with a generated PIN. 201 when new, 200 when the ' +
      'organization already has the number (the newer token is kept) or for the same request again (same code, ' +
      'answered without Meta). The exchanged token is stored at once: when Meta cannot answer the checks ' +
      'after the exchange, the 502/503 problem carries `pendingConnection: { expiresAt }` and `Retry-After`; ' +
      'repeat the same request (same code) to finish, or the connection finishes in the background. Until ' +
      "Meta confirms the grant, another organization's WABA or number answers like an unknown one (422).",
  })
  @ApiCreatedResponse({ type: ConnectResponseDto, description: 'Connected now' })
  @ApiOkResponse({ type: ConnectResponseDto, description: 'Already connected to this organization' })
  @ApiProblemResponses(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.ALREADY_CONNECTED_TO_ANOTHER_ORGANIZATION,
    ErrorCode.SIGNUP_CODE_REJECTED,
    ErrorCode.WABA_NOT_GRANTED,
    ErrorCode.PHONE_NUMBER_NOT_IN_WABA,
    ...META_CALL_PROBLEMS,
    ...COMMON_KEY_ROUTE_PROBLEMS,
  )
  async connect(
    @CurrentOrganizationId() organizationId: string,
    @CurrentActor() actor: Actor,
    @Body() body: ConnectPhoneNumberDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ConnectResponseDto> {
    const result = await this.signup.connect(organizationId, body, actor);
    response.status(result.created ? HttpStatus.CREATED : HttpStatus.OK);
    return {
      phoneNumber: PhoneNumberResponseDto.fromEntity(result.phoneNumber),
      waba: WabaDetailResponseDto.fromWaba(result.waba, await this.alerts.alertsOf(organizationId, body.wabaId)),
    };
  }

  @Get()
  @ApiOperation({ summary: "List the organization's phone numbers" })
  @ApiOkResponse({ type: PhoneNumberListResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ...COMMON_KEY_ROUTE_PROBLEMS)
  async list(
    @CurrentOrganizationId() organizationId: string,
    @Query() query: ListPhoneNumbersQueryDto,
  ): Promise<PhoneNumberListResponseDto> {
    const page = await this.phoneNumbers.list(organizationId, query);
    return { data: page.data.map((phone) => PhoneNumberResponseDto.fromEntity(phone)), nextCursor: page.nextCursor };
  }

  @Get(':phoneNumberId')
  @ApiOperation({ summary: 'One phone number' })
  @ApiOkResponse({ type: PhoneNumberResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ...COMMON_KEY_ROUTE_PROBLEMS)
  async get(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: PhoneNumberIdParamDto,
  ): Promise<PhoneNumberResponseDto> {
    return PhoneNumberResponseDto.fromEntity(
      await this.phoneNumbers.getForOrganization(organizationId, params.phoneNumberId),
    );
  }

  @Patch(':phoneNumberId')
  @ApiOperation({ summary: 'Switch the sending channel of marketing templates (CLOUD_API ↔ MM_LITE)' })
  @ApiOkResponse({ type: PhoneNumberResponseDto })
  @ApiProblemResponses(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.NOT_FOUND,
    ErrorCode.MM_LITE_NOT_ONBOARDED,
    ErrorCode.WABA_DISABLED,
    ...COMMON_KEY_ROUTE_PROBLEMS,
  )
  async update(
    @CurrentOrganizationId() organizationId: string,
    @CurrentActor() actor: Actor,
    @Param() params: PhoneNumberIdParamDto,
    @Body() body: UpdatePhoneNumberDto,
  ): Promise<PhoneNumberResponseDto> {
    return PhoneNumberResponseDto.fromEntity(
      await this.phoneNumbers.changeSendingChannel(organizationId, params.phoneNumberId, body.sendingChannel, actor),
    );
  }

  @Post(':phoneNumberId/register')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Retry Cloud API registration of the number now (with its stored PIN)' })
  @ApiOkResponse({ type: PhoneNumberResponseDto })
  @ApiProblemResponses(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.NOT_FOUND,
    ...META_CALL_PROBLEMS,
    ...COMMON_KEY_ROUTE_PROBLEMS,
  )
  async register(
    @CurrentOrganizationId() organizationId: string,
    @CurrentActor() actor: Actor,
    @Param() params: PhoneNumberIdParamDto,
  ): Promise<PhoneNumberResponseDto> {
    return PhoneNumberResponseDto.fromEntity(
      await this.registration.retryRegistration(organizationId, params.phoneNumberId, actor),
    );
  }
}
