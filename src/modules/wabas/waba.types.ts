import type { Waba } from './waba.entity';

/**
 * A WABA as other modules see it: read-only. Only the wabas module changes a WABA, through its named
 * commands; the type makes an assignment outside it a compile error.
 */
export type WabaView = Readonly<Waba>;
