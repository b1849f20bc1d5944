import type { Logger } from 'pino';
import type { AuditService } from './audit.service.js';

export interface Sealer {
  stop(): Promise<void>;
}

/**
 * Seals committed audit events into the hash chain shortly after they commit. Every process runs
 * one; the chain lock lets one seal at a time and the others skip, so nothing queues behind it.
 */
export function startAuditSealer(audit: Pick<AuditService, 'sealPending' | 'hasUnsealed'>, log: Logger, intervalMs = 200): Sealer {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    try {
      if (await audit.hasUnsealed()) await audit.sealPending();
    } catch (err) {
      log.error({ err }, 'sealing audit events failed; will retry');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await audit.sealPending().catch(() => undefined); // leave nothing unsealed that we could seal
    },
  };
}
