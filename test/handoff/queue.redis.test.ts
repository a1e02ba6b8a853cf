import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { openHandoffQueue } from '../../src/handoff';
import type { Store } from '../../src/store';
import { describeWithRedis, redisUrl } from '../helpers/services';
import { queueContract } from './queue.contract';

// The Redis queue never touches the store.
const noStore = {} as Store;

describeWithRedis('Redis', () => {
  queueContract('Redis', () => {
    const prefix = `sb-test:${randomBytes(6).toString('hex')}`;
    return {
      async open(config, clock) {
        const queue = await openHandoffQueue({ config, store: noStore, redisUrl, prefix, clock });
        return { queue, close: () => queue.close() };
      },
      timerOptions: { redisUrl, prefix },
      async cleanup() {
        const redis = new Redis(redisUrl as string);
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      },
    };
  });
});
