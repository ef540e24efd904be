import { Global, Module } from '@nestjs/common';

import { DomainEventBus } from './domain-event-bus';

/** Makes the DomainEventBus injectable everywhere (EventEmitterModule is set up in AppModule). */
@Global()
@Module({ providers: [DomainEventBus], exports: [DomainEventBus] })
export class EventsModule {}
