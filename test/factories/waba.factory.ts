import { createHash } from 'node:crypto';

import { MikroORM } from '@mikro-orm/core';
import type { INestApplication } from '@nestjs/common';

import { SecretBox } from 'src/common/security/secret-box';
import type { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { Organization } from 'src/modules/organizations/organization.entity';
import { PhoneNumber } from 'src/modules/phone-numbers/phone-number.entity';
import { RegistrationStatus } from 'src/modules/phone-numbers/phone-numbers.constants';
import { WabaTemplateSync } from 'src/modules/templates/waba-template-sync.entity';
import { Waba } from 'src/modules/wabas/waba.entity';
import { WebhookSubscriptionStatus } from 'src/modules/wabas/wabas.constants';

/** Options of {@link seedConnectedWabas}. */
export interface SeedWabasOptions {
  organizationId: string;
  /** Businesses to create; each gets `wabasPerBusiness` WABAs. */
  businesses: number;
  wabasPerBusiness: number;
  /** Numbers per WABA, each stored as a registered number (default 1). */
  numbersPerWaba?: number;
  /** `shared`: one business token per business, granted all its WABAs; `per-waba`: one token per WABA. */
  tokens?: 'shared' | 'per-waba';
  /** Stored `next_sync_at` (default: one minute ago, i.e. due). */
  nextSyncAt?: Date;
  /**
   * When the WABAs' templates are due for a read (default: a day from now, as after the connect's read);
   * null leaves them never read (due at once).
   */
  templatesDueAt?: Date | null;
}

/** One seeded WABA as the test needs it. */
export interface SeededWaba {
  wabaId: string;
  businessId: string;
  token: string;
  phoneNumberIds: string[];
}

/**
 * Seeds connected WABAs fast, for round tests at scale: creates the businesses, WABAs, numbers and
 * business tokens in the simulator, and the matching `wabas` / `phone_numbers` rows (token sealed with
 * the app's SecretBox) straight into the app's database, as if each had been connected through Embedded
 * Signup and synced once long ago. Meta is then the only place their current fields live.
 */
export async function seedConnectedWabas(
  app: INestApplication,
  simulator: MetaSimulator,
  options: SeedWabasOptions,
): Promise<SeededWaba[]> {
  const secrets = app.get(SecretBox);
  const em = app.get(MikroORM).em.fork();
  const organization = em.getReference(Organization, options.organizationId);
  const seeded: SeededWaba[] = [];
  for (let b = 0; b < options.businesses; b++) {
    const business = simulator.createBusiness({});
    const wabas = Array.from({ length: options.wabasPerBusiness }, () =>
      simulator.createWaba({ businessId: business.id, subscribed: true }),
    );
    const numbers = wabas.map((waba) =>
      Array.from({ length: options.numbersPerWaba ?? 1 }, () => simulator.createPhoneNumber({ wabaId: waba.id })),
    );
    const sharedToken =
      options.tokens === 'per-waba'
        ? null
        : simulator.issueToken({ wabaIds: wabas.map((waba) => waba.id), businessId: business.id });
    wabas.forEach((simWaba, index) => {
      const token = sharedToken ?? simulator.issueToken({ wabaIds: [simWaba.id], businessId: business.id });
      const waba = new Waba(
        organization,
        simWaba.id,
        secrets.seal(token),
        createHash('sha256').update(token).digest('hex'),
      );
      waba.name = 'Seeded (not yet synced)';
      waba.ownerBusinessId = business.id;
      waba.subscriptionStatus = WebhookSubscriptionStatus.SUBSCRIBED;
      waba.nextSyncAt = options.nextSyncAt ?? new Date(Date.now() - 60_000);
      em.persist(waba);
      const templatesDueAt =
        options.templatesDueAt === undefined ? new Date(Date.now() + 24 * 3_600_000) : options.templatesDueAt;
      if (templatesDueAt) {
        const templates = new WabaTemplateSync(organization, waba, templatesDueAt);
        templates.syncedAt = new Date();
        em.persist(templates);
      }
      for (const simPhone of numbers[index]) {
        const phone = new PhoneNumber(organization, waba, simPhone.id, secrets.seal('000000'));
        phone.displayPhoneNumber = simPhone.displayPhoneNumber;
        phone.qualityRating = 'UNKNOWN';
        phone.registrationStatus = RegistrationStatus.REGISTERED;
        em.persist(phone);
      }
      seeded.push({
        wabaId: simWaba.id,
        businessId: business.id,
        token,
        phoneNumberIds: numbers[index].map((phone) => phone.id),
      });
    });
  }
  await em.flush();
  return seeded;
}
