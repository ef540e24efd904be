import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';

import { SecretBox } from './secret-box';

/** Provides the SecretBox that encrypts Meta tokens and PINs at rest. */
@Global()
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) =>
        new SecretBox(config.get('app.tokenEncryptionKey', { infer: true })),
    },
  ],
  exports: [SecretBox],
})
export class SecurityModule {}
