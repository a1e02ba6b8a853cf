import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;
// One system call fills randomness for 512 ids (a call per id showed in profiles).
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/**
 * A prefixed, time-ordered, unguessable id: `msg_01k3…`. Ordered by creation time
 * (ms, then a per-process counter) so ids sort sensibly in logs and indexes.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  const time = now.toString(36).padStart(9, '0');
  const seq = counter.toString(36).padStart(3, '0');
  return `${prefix}_${time}${seq}${randomHex(8)}`;
}
