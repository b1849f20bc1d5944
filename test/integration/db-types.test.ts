import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/server/db/connect.js';
import { createTestDatabase, targets, type TestDatabase } from '../helpers/db.js';

const QUERY = sql`
  select
    9007199254740993::int8 as big,
    42::int8 as small_int8,
    count(*) as counted,
    12345678901234567890.123456789::numeric as num,
    array[1, 9007199254740993]::int8[] as int8s,
    array[1.5, 2.25]::numeric[] as nums,
    '2024-02-29T23:30:00+02:00'::timestamptz as tstz,
    '2024-02-29 21:30:00'::timestamp as ts,
    '2024-02-29'::date as day,
    '1 day 02:00:00'::interval as span,
    '{"a": [1, {"b": null}], "c": "x"}'::jsonb as doc,
    '{"z": 1}'::json as plain_json,
    7::int4 as i4, 2.5::float8 as f8, true as flag, 'x'::bytea as bin,
    'e3b0c442-98fc-4c14-9afb-f4c8996fb924'::uuid as id
  from (values (1), (2)) v(n)
`;

const EXPECTED = {
  big: '9007199254740993',
  small_int8: '42',
  counted: '2',
  num: '12345678901234567890.123456789',
  int8s: ['1', '9007199254740993'],
  nums: ['1.5', '2.25'],
  tstz: new Date('2024-02-29T21:30:00.000Z'),
  ts: new Date('2024-02-29T21:30:00.000Z'),
  day: '2024-02-29',
  span: '1 day 02:00:00',
  doc: { a: [1, { b: null }], c: 'x' },
  plain_json: { z: 1 },
  i4: 7, f8: 2.5, flag: true, bin: Buffer.from('x'),
  id: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
};

describe.each(targets)('type parsing on %s', (kind) => {
  let tdb: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    database = await tdb.connect();
  });
  afterAll(async () => {
    await database.close();
    await tdb.drop();
  });

  it('returns the same JS values as every other driver', async () => {
    const { rows } = await QUERY.execute(database.db);
    expect(rows[0]).toEqual(EXPECTED);
  });

  it('reads timestamps as UTC whatever the session time zone was set to', async () => {
    await sql`set timezone = 'America/New_York'`.execute(database.db);
    const { rows } = await sql<{ t: Date }>`select '2024-07-01 12:00:00+00'::timestamptz as t`.execute(database.db);
    expect(rows[0]!.t.toISOString()).toBe('2024-07-01T12:00:00.000Z');
    await sql`set timezone = 'UTC'`.execute(database.db);
  });

  it('rolls back a failed transaction and keeps the connection usable', async () => {
    await sql`create table if not exists t_rollback (n int primary key)`.execute(database.db);
    await expect(
      database.db.transaction().execute(async (tx) => {
        await sql`insert into t_rollback values (1)`.execute(tx);
        await sql`insert into t_rollback values (1)`.execute(tx);
      }),
    ).rejects.toThrow();
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from t_rollback`.execute(database.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('keeps concurrent read-modify-write transactions correct', async () => {
    await sql`create table if not exists t_counter (id int primary key, n int not null)`.execute(database.db);
    await sql`insert into t_counter values (1, 0) on conflict do nothing`.execute(database.db);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        database.db.transaction().execute(async (tx) => {
          const { rows } = await sql<{ n: number }>`select n from t_counter where id = 1 for update`.execute(tx);
          await sql`update t_counter set n = ${rows[0]!.n + 1} where id = 1`.execute(tx);
        }),
      ),
    );
    const { rows } = await sql<{ n: number }>`select n from t_counter where id = 1`.execute(database.db);
    expect(rows[0]!.n).toBe(20);
  });
});
