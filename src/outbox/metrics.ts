// /metrics for the outbox, read from the database on each scrape (every instance reports the
// same figures): proviso_outbox_messages{bank,topic,status} — pending (waiting or being
// retried) and dead (out of attempts: a push the device never got; see deadMessages()).
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../storage/index.ts';
import { type OutboxTables, outboxCounts } from './store.ts';

export function outboxMetrics(registry: Registry, database: Database): void {
  const db = database.tables<OutboxTables>();
  new Gauge({
    name: 'proviso_outbox_messages',
    help: 'Outbox messages per bank, topic and status (pending, dead)',
    labelNames: ['bank', 'topic', 'status'],
    registers: [registry],
    async collect() {
      const rows = await outboxCounts(db);
      this.reset();
      for (const row of rows)
        this.set({ bank: row.bank_id, topic: row.topic, status: row.status }, row.count);
    },
  });
}
