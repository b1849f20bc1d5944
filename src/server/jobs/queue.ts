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
      boss = new PgBoss({
        db: { executeSql: (text, values) => database.executeRaw(text, values) },
        schema: 'pgboss',
        // only workers run maintenance and cron: API-only nodes just send
        supervise: worker,
        schedule: worker,
        migrate: true,
        ...RETRY,
      });
      boss.on('error', (err) => log.error({ err }, 'job queue error'));
      await boss.start();
      for (const name of new Set([...queues, ...handlers.keys(), ...schedules.keys()])) {
        await boss.createQueue(name, { name, ...RETRY });
      }
      if (!worker) return;
      for (const [name, handler] of handlers) {
        await boss.work(name, { pollingIntervalSeconds: database.kind === 'pglite' ? 1 : 0.5, batchSize: 1 }, async ([job]) => {
          if (job) await handler(job.data, { id: job.id, queue: name });
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
      await b.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
