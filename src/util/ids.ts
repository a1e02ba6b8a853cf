import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

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
  return `${prefix}_${time}${seq}${randomBytes(8).toString('hex')}`;
}
