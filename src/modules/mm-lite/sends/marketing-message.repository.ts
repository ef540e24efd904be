import { EntityRepository } from '@mikro-orm/postgresql';

import type { MarketingMessage } from './marketing-message.entity';

/** The mm-lite module's SQL over `marketing_messages`. */
export class MarketingMessageRepository extends EntityRepository<MarketingMessage> {}
