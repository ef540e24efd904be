import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

/** What a round reads besides Meta and the WABAs' own rows. */
@Injectable()
export class SyncRoundRepository {
  constructor(private readonly em: EntityManager) {}

  /** Meta IDs of the numbers already stored for these WABAs, by WABA. */
  async knownNumbers(wabaIds: string[]): Promise<Map<string, string[]>> {
    const byWaba = new Map<string, string[]>();
    if (wabaIds.length === 0) {
      return byWaba;
    }
    const rows: Array<{ phone_number_id: string; waba_id: string }> = await this.em.getConnection().execute(
      `SELECT p.phone_number_id, w.waba_id
         FROM phone_numbers p JOIN wabas w ON w.id = p.waba_id
        WHERE w.waba_id IN (?)
        ORDER BY p.phone_number_id`,
      [wabaIds],
    );
    for (const row of rows) {
      byWaba.set(row.waba_id, [...(byWaba.get(row.waba_id) ?? []), row.phone_number_id]);
    }
    return byWaba;
  }
}
