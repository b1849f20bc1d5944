/**
 * Baseline for the write benchmark: the least a fastify 5 + pg server can do for "create a
 * service" — parse JSON, one INSERT … RETURNING of a row shaped like Shipgate's `services`, reply
 * 201 with it. No validation, auth, audit, outbox or transaction. Run as its own process (like
 * Shipgate) by bench/run.ts:
 *   BARE_DATABASE_URL=postgres://… BARE_POOL_SIZE=10 node --import tsx bench/bare-server.ts
 * Also `POST /api/v1/changes`: one INSERT of a row shaped like `change_requests`, the baseline of
 * bench/changes.ts.
 * Prints `ready on http://127.0.0.1:PORT` when listening.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const url = process.env.BARE_DATABASE_URL;
if (!url) {
  console.error('BARE_DATABASE_URL is required');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BARE_POOL_SIZE ?? 10) });

// same columns, types and constraints as Shipgate's services table (0001_foundation)
await pool.query(`
  create table if not exists services (
    id uuid primary key,
    key text not null unique,
    name text not null,
    description text not null default '',
    tier smallint not null check (tier between 1 and 4),
    owner_team_id uuid,
    governance_profile text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`);

// a row shaped like Shipgate's change_requests (0006_changes), numbered from a sequence: the baseline of bench/changes.ts
await pool.query(`
  create sequence if not exists change_number_seq;
  create table if not exists changes (
    id uuid primary key,
    number text not null unique,
    type text not null check (type in ('standard', 'normal', 'emergency')),
    state smallint not null default -5,
    title text not null check (length(title) between 1 and 200),
    description text not null default '',
    justification text not null default '',
    impact text,
    backout_plan text not null default '',
    planned_start timestamptz,
    planned_end timestamptz,
    assignment_team_id uuid,
    risk_level text,
    risk_factors jsonb not null default '[]',
    conflicts jsonb not null default '[]',
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`);

const app = Fastify({ logger: false });

app.get('/readyz', async () => ({ status: 'ready' }));

app.post('/api/v1/services', async (req, reply) => {
  const b = req.body as { key: string; name: string; tier: number; description?: string };
  const { rows } = await pool.query(
    'insert into services (id, key, name, description, tier) values ($1, $2, $3, $4, $5) returning *',
    [randomUUID(), b.key, b.name, b.description ?? '', b.tier],
  );
  return reply.status(201).send(rows[0]);
});

app.post('/api/v1/changes', async (req, reply) => {
  const b = req.body as { type: string; title: string; description?: string; justification?: string; impact?: string; backoutPlan?: string; plannedStart?: string; plannedEnd?: string };
  const { rows } = await pool.query(
    `insert into changes (id, number, type, title, description, justification, impact, backout_plan, planned_start, planned_end)
     values ($1, 'CHG' || lpad(nextval('change_number_seq')::text, 7, '0'), $2, $3, $4, $5, $6, $7, $8, $9) returning *`,
    [randomUUID(), b.type, b.title, b.description ?? '', b.justification ?? '', b.impact ?? null, b.backoutPlan ?? '', b.plannedStart ?? null, b.plannedEnd ?? null],
  );
  return reply.status(201).send(rows[0]);
});

const address = await app.listen({ port: Number(process.env.BARE_PORT ?? 0), host: '127.0.0.1' });
console.log(`bare fastify+pg ready on ${address}`);

const stop = () => {
  void app.close().then(() => pool.end()).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
