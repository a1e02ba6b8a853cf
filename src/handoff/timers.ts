/**
 * Runs the queue's SLA and lapse timers in production: sweeps {@link HandoffQueue.dueTimers}
 * every `intervalMs` and hands each fired timer to the desk.
 *
 * With Redis (scale mode) BullMQ does it: a job scheduler runs the sweep in one process
 * at a time, and every fired timer becomes a job (id `<kind>-<conversation>-<dueAt>`, so
 * a repeat is ignored) that the handler consumes with retries and exponential backoff:
 * Slack being down delays a reminder, it does not lose it. Without Redis, an in-process
 * interval does the same, retrying a failed handler on the next sweeps (in memory).
 *
 * @module
 */
import type { Redis } from 'ioredis';
import type { DueTimer, HandoffQueue } from './types';

export type TimerHandler = (timer: DueTimer) => Promise<void>;

export interface HandoffTimersOptions {
  /** How often to look for due timers (default 5000 ms). */
  intervalMs?: number;
  /** `redis://…`: BullMQ runs the sweep and the deliveries, shared by every process. */
  redisUrl?: string | undefined;
  /** Key prefix (default `sb:handoff`); BullMQ's keys go under `<prefix>:bull`. */
  prefix?: string;
  /** Tries per fired timer before giving up on it (default 8). */
  attempts?: number;
  /** First retry delay, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  /** A handler failure or a failed sweep (default: ignored; it is retried). */
  onError?: (error: unknown, timer?: DueTimer) => void;
}

export interface HandoffTimers {
  stop(): Promise<void>;
}

/**
 * Starts the timers. The handler gets each fired timer at least once; the queue has
 * already applied its effect (see {@link DueTimer}), so a repeat must be harmless.
 *
 * ```ts
 * const timers = await startHandoffTimers(queue, async (timer) => notifyPeople(timer), {
 *   redisUrl: process.env.REDIS_URL,
 * });
 * ```
 */
export async function startHandoffTimers(
  queue: HandoffQueue,
  handler: TimerHandler,
  options: HandoffTimersOptions = {},
): Promise<HandoffTimers> {
  return options.redisUrl
    ? startWithBullMQ(queue, handler, options.redisUrl, options)
    : startInProcess(queue, handler, options);
}

function startInProcess(
  queue: HandoffQueue,
  handler: TimerHandler,
  options: HandoffTimersOptions,
): HandoffTimers {
  const attempts = options.attempts ?? 8;
  const onError = options.onError ?? (() => {});
  const retry: { timer: DueTimer; tries: number; notBefore: number }[] = [];
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const sweep = async () => {
    let fired: DueTimer[] = [];
    try {
      fired = await queue.dueTimers();
    } catch (error) {
      onError(error);
    }
    const now = Date.now();
    const ready = retry.filter((r) => r.notBefore <= now);
    const later = retry.filter((r) => r.notBefore > now);
    retry.length = 0;
    retry.push(...later);
    for (const item of [...ready, ...fired.map((timer) => ({ timer, tries: 0, notBefore: 0 }))]) {
      if (stopped) return;
      try {
        await handler(item.timer);
      } catch (error) {
        onError(error, item.timer);
        const tries = item.tries + 1;
        if (tries < attempts)
          retry.push({
            timer: item.timer,
            tries,
            notBefore: Date.now() + (options.retryDelayMs ?? 1000) * 2 ** item.tries,
          });
      }
    }
  };
  const interval = setInterval(() => {
    // One sweep at a time: a slow handler delays the next sweep instead of overlapping it.
    running = running.then(sweep);
  }, options.intervalMs ?? 5000);
  interval.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(interval);
      await running;
    },
  };
}

async function startWithBullMQ(
  queue: HandoffQueue,
  handler: TimerHandler,
  redisUrl: string,
  options: HandoffTimersOptions,
): Promise<HandoffTimers> {
  // BullMQ and ioredis load in scale mode only (a few hundred modules a one-process bot never needs).
  const { Queue, Worker } = require('bullmq') as typeof import('bullmq');
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  const prefix = `${options.prefix ?? 'sb:handoff'}:bull`;
  const onError = options.onError ?? (() => {});
  // BullMQ's workers block on their connection: maxRetriesPerRequest must be null.
  const connections: Redis[] = [];
  const connection = () => {
    const redis = new RedisClient(redisUrl, { maxRetriesPerRequest: null });
    connections.push(redis);
    return redis;
  };
  const sweeps = new Queue('handoff-sweep', { connection: connection(), prefix });
  const deliveries = new Queue('handoff-timers', { connection: connection(), prefix });
  await sweeps.upsertJobScheduler(
    'sweep',
    { every: options.intervalMs ?? 5000 },
    { name: 'sweep', opts: { removeOnComplete: true, removeOnFail: 100 } },
  );

  const sweeper = new Worker(
    'handoff-sweep',
    async () => {
      for (const timer of await queue.dueTimers()) {
        await deliveries.add(timer.kind, timer, {
          jobId: `${timer.kind}-${timer.conversationId}-${timer.dueAt}`,
          attempts: options.attempts ?? 8,
          backoff: { type: 'exponential', delay: options.retryDelayMs ?? 1000 },
          removeOnComplete: true,
          removeOnFail: 1000,
        });
      }
    },
    { connection: connection(), prefix, concurrency: 1 },
  );
  const deliverer = new Worker('handoff-timers', async (job) => handler(job.data as DueTimer), {
    connection: connection(),
    prefix,
    concurrency: 1,
  });
  sweeper.on('failed', (_job, error) => onError(error));
  deliverer.on('failed', (job, error) => onError(error, job?.data as DueTimer | undefined));
  for (const worker of [sweeper, deliverer]) worker.on('error', (error) => onError(error));

  return {
    async stop() {
      await Promise.all([sweeper.close(), deliverer.close()]);
      await Promise.all([sweeps.close(), deliveries.close()]);
      await Promise.all(connections.map((c) => c.quit().catch(() => {})));
    },
  };
}
