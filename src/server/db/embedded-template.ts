import fs from 'node:fs';
import pino from 'pino';
import { DOMAIN_EVENTS_QUEUE } from '../jobs/outbox.js';
import { HOUSEKEEPING_QUEUE } from '../jobs/housekeeping.js';
import { createJobQueue } from '../jobs/queue.js';
import { connectDatabase } from './connect.js';
import { migrateToLatest } from './migrate.js';
import { embeddedTemplate, type EmbeddedTemplate } from './template-file.js';

/** Builds both forms of the template described in template-file.ts: migrations and the job-queue schema applied, no data. */
export async function buildTemplate(t: EmbeddedTemplate = embeddedTemplate()): Promise<void> {
  const work = `${t.dir}.${process.pid}.tmp`;
  fs.rmSync(work, { recursive: true, force: true });
  const database = await connectDatabase({ kind: 'pglite', dataDir: work, template: null });
  try {
    await migrateToLatest(database);
    const queue = createJobQueue(database, pino({ level: 'silent' }), [DOMAIN_EVENTS_QUEUE, HOUSEKEEPING_QUEUE]);
    await queue.start({ worker: false });
    await queue.stop();
    const dump = await database.dumpDataDir!();
    fs.writeFileSync(`${work}/template.tar.gz`, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await database.close();
  }
  // renames are atomic: a concurrent reader sees a whole template or none
  fs.rmSync(t.dir, { recursive: true, force: true });
  fs.renameSync(`${work}/pgdata`, t.dir);
  fs.renameSync(`${work}/template.tar.gz`, t.tarball);
  fs.rmSync(work, { recursive: true, force: true });
}
