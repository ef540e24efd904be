import { type CanActivate, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** Sandbox routes exist only in sandbox mode; elsewhere they answer 404 like any unknown route. */
@Injectable()
export class SandboxOnlyGuard implements CanActivate {
  constructor(private readonly config: ConfigService<AllConfig, true>) {}

  canActivate(): boolean {
    if (!this.config.get('meta.sandbox', { infer: true })) {
      throw new DomainException(ErrorCode.NOT_FOUND, 'Sandbox routes exist only in sandbox mode');
    }
    return true;
  }
}
