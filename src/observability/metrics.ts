/**
 * Prometheus metrics, one registry per bot (so tests and several bots in one process
 * do not collide). Served at `GET /metrics`.
 *
 * @module
 */
import { registerProcessMetrics } from './process-metrics';
import { Counter, Gauge, Histogram, Registry } from './prom';

export interface Metrics {
  registry: Registry;
  messagesIn: Counter<'channel'>;
  messagesOut: Counter<'channel'>;
  duplicatesDropped: Counter<'channel'>;
  /** Signed payloads acknowledged without being stored because their shape was wrong. */
  malformedInbound: Counter<'channel'>;
  deliveryFailures: Counter<'channel' | 'reason'>;
  /** From the inbox accepting a message to the bot having handled it. */
  processingSeconds: Histogram<'channel'>;
  handlerErrors: Counter<'channel'>;
  outboxBacklog: Gauge;
}

export function createMetrics(options: {
  outboxBacklog: () => Promise<number>;
  /** What the store's driver sent to its database (statements, round trips, commits). */
  storeStats?: () => { statements: number; roundTrips: number; commits: number } | undefined;
  defaultMetrics?: boolean;
}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) registerProcessMetrics(registry);
  const { storeStats } = options;
  if (storeStats) {
    for (const [field, help] of [
      ['statements', 'SQL statements sent to the store (BEGIN, SAVEPOINT and COMMIT included).'],
      ['roundTrips', 'Times the process waited for the database server (0 on SQLite).'],
      ['commits', 'Store transactions committed (a group commit counts once).'],
    ] as const) {
      new Counter({
        name: `switchboard_store_${field === 'roundTrips' ? 'round_trips' : field}_total`,
        help,
        registers: [registry],
        collect() {
          const value = storeStats()?.[field];
          if (value === undefined) return;
          this.reset();
          this.inc(value);
        },
      });
    }
  }
  return {
    registry,
    messagesIn: new Counter({
      name: 'switchboard_messages_in_total',
      help: 'Inbound messages accepted, by channel (duplicates excluded).',
      labelNames: ['channel'],
      registers: [registry],
    }),
    messagesOut: new Counter({
      name: 'switchboard_messages_out_total',
      help: 'Outbound messages delivered to the platform, by channel.',
      labelNames: ['channel'],
      registers: [registry],
    }),
    duplicatesDropped: new Counter({
      name: 'switchboard_inbound_duplicates_total',
      help: 'Platform redeliveries recognised and dropped, by channel.',
      labelNames: ['channel'],
      registers: [registry],
    }),
    malformedInbound: new Counter({
      name: 'switchboard_inbound_malformed_total',
      help: 'Authentic inbound payloads acknowledged but not stored because their shape was wrong, by channel.',
      labelNames: ['channel'],
      registers: [registry],
    }),
    deliveryFailures: new Counter({
      name: 'switchboard_delivery_failures_total',
      help: 'Outbound deliveries that failed for good, by channel and reason.',
      labelNames: ['channel', 'reason'],
      registers: [registry],
    }),
    processingSeconds: new Histogram({
      name: 'switchboard_processing_seconds',
      help: 'Time from the inbox accepting a message to the bot having handled it.',
      labelNames: ['channel'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    handlerErrors: new Counter({
      name: 'switchboard_handler_errors_total',
      help: 'Middleware failures caught at the top of the worker, by channel.',
      labelNames: ['channel'],
      registers: [registry],
    }),
    outboxBacklog: new Gauge({
      name: 'switchboard_outbox_backlog',
      help: 'Outbound messages stored and not yet delivered.',
      registers: [registry],
      async collect() {
        this.set(await options.outboxBacklog());
      },
    }),
  };
}
