import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';
import type { SimToken, SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import type { GraphAccessPolicy } from './graph-access.policy';
import { GraphApiError } from './graph-api.error';
import { type GraphApiHandlerConfig, type GraphRequest, type GraphResponse, okResponse } from './graph-api.types';
import { asString } from './graph-params.util';

const TOKEN_SCOPES = ['whatsapp_business_management', 'whatsapp_business_messaging', 'public_profile'];

/**
 * `GET /debug_token?input_token=`: what Meta knows about a token. Only the app token or a system-user token
 * may ask; an unusable input token is a 200 with `is_valid: false` and `data.error`, not a Graph error.
 */
export class DebugTokenRoute {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'appId' | 'appName' | 'now'>,
    private readonly access: GraphAccessPolicy,
  ) {}

  handle(req: GraphRequest): GraphResponse {
    const caller = this.access.requireKnownToken(req.token);
    // Only the app token or a system-user token may inspect tokens; a business token is refused before
    // its expiry is looked at.
    if (caller.kind === 'business') {
      throw new GraphApiError({
        code: 100,
        httpStatus: 400,
        message:
          '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
      });
    }
    if (caller.record) {
      this.access.assertTokenUsable(caller.record);
    }
    const input = asString(req.params.input_token);
    if (!input) {
      throw GraphApiError.invalidParameter('(#100) The parameter input_token is required');
    }
    if (input === this.access.appToken()) {
      return okResponse({ data: { ...this.appFields(), type: 'APP', is_valid: true, scopes: [] } });
    }
    const record = this.state.findToken(input);
    if (!record) {
      return okResponse({
        data: {
          error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' },
          is_valid: false,
          scopes: [],
        },
      });
    }
    return okResponse({ data: this.describe(record) });
  }

  private appFields(): JsonObject {
    return { app_id: this.config.appId, application: this.config.appName };
  }

  /** `data` for a token the simulator issued, keys in Meta's order. */
  private describe(record: SimToken): JsonObject {
    const expiresAt = record.expiresAt === null ? 0 : Math.floor(record.expiresAt / 1000);
    const data: JsonObject = {
      ...this.appFields(),
      type: record.kind === 'system_user' ? 'SYSTEM_USER' : 'USER',
      data_access_expires_at: Math.floor(record.issuedAt / 1000) + 90 * 24 * 3600,
      expires_at: expiresAt,
    };
    const now = this.config.now();
    if (record.invalidated) {
      data.error = { code: 190, message: GraphApiError.invalidatedToken().message, subcode: 467 };
    } else if (record.expiresAt !== null && record.expiresAt <= now.getTime()) {
      data.error = {
        code: 190,
        message: GraphApiError.expiredToken(new Date(record.expiresAt), now).message,
        subcode: 463,
      };
    }
    // A system-user token is not limited to listed targets, so Graph omits target_ids for it.
    data.granular_scopes =
      record.kind === 'system_user'
        ? [{ scope: 'whatsapp_business_management' }, { scope: 'whatsapp_business_messaging' }]
        : [
            { scope: 'whatsapp_business_management', target_ids: [...record.wabaIds] },
            { scope: 'whatsapp_business_messaging', target_ids: [...record.wabaIds] },
          ];
    data.is_valid = data.error === undefined;
    data.scopes = [...TOKEN_SCOPES];
    data.user_id = record.userId;
    return data;
  }
}
