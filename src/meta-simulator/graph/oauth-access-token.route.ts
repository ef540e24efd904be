import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { GraphApiError } from './graph-api.error';
import { type GraphApiHandlerConfig, type GraphRequest, type GraphResponse, okResponse } from './graph-api.types';
import { asString } from './graph-params.util';

const CODE_ERRORS = {
  unknown: 'Invalid verification code format.',
  used: 'This authorization code has been used.',
  expired: 'This authorization code has expired.',
} as const;

/** `GET|POST /oauth/access_token`: exchanges an Embedded Signup code for its business token (§2.2, §2.4). */
export class OAuthAccessTokenRoute {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'appId' | 'appSecret' | 'now'>,
  ) {}

  handle(req: GraphRequest): GraphResponse {
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw GraphApiError.invalidParameter('(#100) Unsupported method');
    }
    const clientId = asString(req.params.client_id);
    const clientSecret = asString(req.params.client_secret);
    const code = asString(req.params.code);
    if (!clientId) {
      throw GraphApiError.invalidParameter('Missing client_id parameter.');
    }
    if (clientId !== this.config.appId) {
      throw new GraphApiError({
        code: 101,
        httpStatus: 400,
        message: 'Error validating application. Invalid application ID.',
      });
    }
    if (clientSecret !== this.config.appSecret) {
      throw new GraphApiError({ code: 1, httpStatus: 400, message: 'Error validating client secret.' });
    }
    if (!code) {
      throw GraphApiError.invalidParameter('Missing authorization code');
    }
    const result = this.state.consumeCode(code);
    if ('error' in result) {
      throw GraphApiError.invalidParameter(CODE_ERRORS[result.error]);
    }
    const record = this.state.requireToken(result.token);
    const body: JsonObject = { access_token: record.token, token_type: 'bearer' };
    if (record.expiresAt !== null) {
      body.expires_in = Math.max(0, Math.floor((record.expiresAt - this.config.now().getTime()) / 1000));
    }
    return okResponse(body);
  }
}
