/**
 * The human queue behind the operator desk. {@link openHandoffQueue} picks the
 * implementation: Redis when a Redis URL is given (scale mode), otherwise the embedded
 * durable queue in the store.
 *
 * @module
 */
import { SwitchboardError } from '../errors';
import { SqlStore, type Store } from '../store';
import type { HandoffConfig } from './config';
import type { RedisHandoffQueue } from './redis-queue';
import { SqlHandoffQueue } from './sql-queue';
import type { HandoffQueue } from './types';

export * from './types';
export { canMove, type HandoffStage, handoffLifecycle, type Transition, transitionOf } from './lifecycle';
export {
  DEFAULT_DESK_MESSAGES,
  DESK_MESSAGE_PLACEHOLDERS,
  type DeskMessageKey,
  HANDOFF_FILE,
  type HandoffConfig,
  HandoffConfigError,
  loadHandoffConfig,
  parseHandoffConfig,
  type TeamConfig,
} from './config';
export {
  type HandoffTimers,
  type HandoffTimersOptions,
  startHandoffTimers,
  type TimerHandler,
} from './timers';
export {
  humanAvailability,
  type HumanAvailability,
  type QueuePlace,
  queuePlace,
  setHumanAvailability,
} from './availability';
export { SqlHandoffQueue } from './sql-queue';
export type { RedisHandoffQueue } from './redis-queue';

export interface OpenHandoffQueueOptions {
  config: HandoffConfig;
  /** The embedded queue lives in this store (its migration 2). */
  store: Store;
  /** `redis://…` (REDIS_URL): the queue lives in Redis instead. */
  redisUrl?: string | undefined;
  /** Redis key prefix (default `sb:handoff`). */
  prefix?: string;
  /** Epoch ms; inject one in tests. */
  clock?: () => number;
}

/**
 * Opens the queue and registers handoff.yml's operators (their live availability is kept).
 *
 * ```ts
 * const config = await loadHandoffConfig(botDir);
 * if (config) queue = await openHandoffQueue({ config, store, redisUrl: process.env.REDIS_URL });
 * ```
 */
export async function openHandoffQueue(options: OpenHandoffQueueOptions): Promise<HandoffQueue> {
  const clock = options.clock ? { clock: options.clock } : {};
  let queue: HandoffQueue;
  if (options.redisUrl) {
    // ioredis loads with the Redis queue, not with every bot.
    const { RedisHandoffQueue: Queue } = require('./redis-queue') as {
      RedisHandoffQueue: typeof RedisHandoffQueue;
    };
    queue = new Queue(options.redisUrl, options.config, {
      ...clock,
      ...(options.prefix ? { prefix: options.prefix } : {}),
    });
  } else if (options.store instanceof SqlStore) {
    queue = new SqlHandoffQueue(options.store.driver, options.config, clock);
  } else {
    throw new SwitchboardError(
      'SB_CONFIG_INVALID',
      'The embedded handoff queue needs the SQL store (openStore); or set REDIS_URL for the Redis queue.',
    );
  }
  for (const operator of options.config.operators) await queue.upsertOperator(operator);
  return queue;
}
