import { Global, Module } from '@nestjs/common';

import { DomainEventBus } from './domain-event-bus';
import { Transactions } from './transactions';

/** Makes the DomainEventBus and use-case Transactions injectable everywhere (EventEmitterModule is set up in AppModule). */
@Global()
@Module({ providers: [DomainEventBus, Transactions], exports: [DomainEventBus, Transactions] })
export class EventsModule {}
