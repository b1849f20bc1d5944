import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { DOMAIN_EVENTS_QUEUE } from '../jobs/outbox.js';
import { HOUSEKEEPING_QUEUE } from '../jobs/housekeeping.js';
import { createJobQueue } from '../jobs/queue.js';
import { connectDatabase } from './connect.js';
import { migrateToLatest } from './migrate.js';
import { templateFile } from './template-file.js';

/** Builds the template described in template-file.ts: migrations and the job-queue schema applied, no data. */
export async function buildTemplate(file = templateFile()): Promise<string> {
  const database = await connectDatabase({ kind: 'pglite', dataDir: null, template: null });
  try {
    await migrateToLatest(database);
    const queue = createJobQueue(database, pino({ level: 'silent' }), [DOMAIN_EVENTS_QUEUE, HOUSEKEEPING_QUEUE]);
    await queue.start({ worker: false });
    await queue.stop();
    const dump = await database.dumpDataDir!();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file); // atomic: a concurrent reader sees the whole file or none
    return file;
  } finally {
    await database.close();
  }
}
