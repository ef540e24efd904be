import { EntityRepository } from '@mikro-orm/postgresql';

import type { MarketingRecipientHold } from './marketing-recipient-hold.entity';

/** The mm-lite module's SQL over `marketing_recipient_holds`. */
export class MarketingRecipientHoldRepository extends EntityRepository<MarketingRecipientHold> {}
