import { CompiledQuery } from 'kysely';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/connect.js';
import type { Tx } from '../db/tx.js';
import type { Outbox } from './outbox.js';

export type JobHandler<T = unknown> = (data: T, meta: { id: string; queue: string }) => Promise<void>;

export interface JobQueue extends Outbox {
  start(opts: { worker: boolean }): Promise<void>;
  /** Registers a handler; it runs only on processes started as workers. */
  work<T>(queue: string, handler: JobHandler<T>): void;
  schedule(queue: string, cron: string): void;
  stop(): Promise<void>;
}

const RETRY = { retryLimit: 5, retryDelay: 2, retryBackoff: true } as const;
const JOB_BATCH_SIZE = 25;

/**
 * pg-boss's create_queue (insert the queue row, then DDL for its partition) deadlocks when several
 * processes create the same queue at once on a new database (40P01). The loser's work is done by the
 * winner, so a retry finds the queue and returns.
 */
async function createQueueOnce(boss: PgBoss, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await boss.createQueue(name, { name, ...RETRY });
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
}

/**
 * Nodes starting together on a new database race to install pg-boss's schema. pg-boss tolerates
 * "already exists" but not the catalog's unique violation (23505) or a deadlock (40P01) that the
 * same race can produce; the winner has installed everything, so a fresh instance starts cleanly.
 */
async function startWithRetry(create: () => PgBoss): Promise<PgBoss> {
  for (let attempt = 1; ; attempt++) {
    const boss = create();
    try {
      await boss.start();
      return boss;
    } catch (err) {
      await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
      const code = (err as { code?: string }).code;
      if (!(code === '23505' || code === '40P01') || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 200));
    }
  }
}

/** pg-boss runs its SQL through the transaction, so the job commits or rolls back with it. */
const onTransaction = (tx: Tx): PgBoss.Db => ({
  executeSql: async (text, values) => ({ rows: (await tx.executeQuery(CompiledQuery.raw(text, values))).rows as any[] }),
});

/**
 * The durable queue and transactional outbox, on pg-boss 10 in the application's own database
 * (PostgreSQL or PGlite). See docs/decisions/0002-job-queue.md.
 */
export function createJobQueue(database: Database, log: Logger, queues: readonly string[]): JobQueue {
  const handlers = new Map<string, JobHandler<any>>();
  const schedules = new Map<string, string>();
  let boss: PgBoss | null = null;

  return {
    async start({ worker }) {
      boss = await startWithRetry(() => {
        const b = new PgBoss({
          db: { executeSql: (text, values) => database.executeRaw(text, values) },
          schema: 'pgboss',
          // only workers run maintenance and cron: API-only nodes just send
          supervise: worker,
          schedule: worker,
          migrate: true,
          ...RETRY,
        });
        b.on('error', (err) => log.error({ err }, 'job queue error'));
        return b;
      });
      for (const name of new Set([...queues, ...handlers.keys(), ...schedules.keys()])) {
        await createQueueOnce(boss, name);
      }
      if (!worker) return;
      for (const [name, handler] of handlers) {
        // pg-boss waits the polling interval after every fetch, even a full one: with one job per fetch a
        // worker handled at most 2 jobs/s. Fetch a batch, run the jobs one by one, and fail only the job
        // whose handler threw (pg-boss then completes the rest: its complete() skips jobs no longer active).
        const b = boss;
        await b.work(name, { pollingIntervalSeconds: database.kind === 'pglite' ? 1 : 0.5, batchSize: JOB_BATCH_SIZE }, async (jobs) => {
          for (const job of jobs) {
            try {
              await handler(job.data, { id: job.id, queue: name });
            } catch (err) {
              log.warn({ err, queue: name, jobId: job.id }, 'job failed');
              await b.fail(name, job.id, { message: (err as Error)?.message ?? String(err) });
            }
          }
        });
      }
      for (const [name, cron] of schedules) await boss.schedule(name, cron);
    },

    work(queue, handler) {
      handlers.set(queue, handler as JobHandler<any>);
    },

    schedule(queue, cron) {
      schedules.set(queue, cron);
    },

    async send(tx, queue, data, options = {}) {
      if (!boss) throw new Error('The job queue is not started');
      await boss.send(queue, data, {
        ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
        ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
        db: onTransaction(tx),
      });
    },

    async stop() {
      if (!boss) return;
      const b = boss;
      boss = null;
      // wait for running handlers and their completion calls: closing the pool under them loses the result
      await b.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}
