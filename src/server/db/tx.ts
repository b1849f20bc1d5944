import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema.js';

export type Tx = Transaction<DB>;
export type Db = Kysely<DB>;
/** Repositories accept either; services decide where the transaction boundary is. */
export type Executor = Kysely<DB> | Transaction<DB>;
