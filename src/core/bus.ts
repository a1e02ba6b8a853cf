/**
 * Live events between the core and whoever shows conversations live (the web widget's
 * sockets, the operator desk). In one process an EventEmitter; with `REDIS_URL`, Redis
 * pub/sub, so a socket on process A sees a reply produced on process B.
 *
 * Events are notifications, not the record: the store is. A subscriber that missed one
 * catches up from the store by cursor.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import type { Message } from '../model';

export type BusEvent =
  | { kind: 'message'; conversationId: string; customerId: string; message: Message }
  | { kind: 'typing'; conversationId: string; customerId: string; on: boolean; author: 'bot' | 'operator' }
  | { kind: 'conversation'; conversationId: string; customerId: string; status: string };

export interface Bus {
  publish(event: BusEvent): void;
  subscribe(listener: (event: BusEvent) => void): () => void;
  /** False while the bus cannot deliver across processes (Redis down); `/readyz` says so. */
  ready?(): boolean;
  close(): Promise<void>;
}

export class LocalBus implements Bus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(event: BusEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: BusEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

const CHANNEL = 'switchboard:events';

/**
 * Redis pub/sub: every process receives every event and delivers it to its own subscribers.
 * A process delivers its own events at once, as the local bus does, and drops them when
 * Redis echoes them back: no round trip before its own sockets see them, no parse of its own
 * events. Publishes issued in one turn leave in one write (ioredis auto-pipelining).
 */
export class RedisBus implements Bus {
  private readonly local = new LocalBus();
  private readonly origin = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private constructor(
    private readonly pub: import('ioredis').Redis,
    private readonly sub: import('ioredis').Redis,
  ) {}

  static async connect(url: string): Promise<RedisBus> {
    const { Redis } = await import('ioredis');
    const pub = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true, enableAutoPipelining: true });
    const sub = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
    await Promise.all([pub.connect(), sub.connect()]);
    const bus = new RedisBus(pub, sub);
    await sub.subscribe(CHANNEL);
    const own = `{"o":"${bus.origin}",`;
    sub.on('message', (_channel: string, payload: string) => {
      if (payload.startsWith(own)) return;
      try {
        const { e } = JSON.parse(payload) as { e: BusEvent };
        bus.local.publish(e);
      } catch {
        // A malformed event from another version of the app: ignore, the store is the record.
      }
    });
    return bus;
  }

  publish(event: BusEvent): void {
    this.local.publish(event);
    void this.pub.publish(CHANNEL, JSON.stringify({ o: this.origin, e: event })).catch(() => {});
  }

  ready(): boolean {
    // ioredis reconnects by itself (and subscribes again); until then events are not shared.
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  subscribe(listener: (event: BusEvent) => void): () => void {
    return this.local.subscribe(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
    await this.local.close();
  }
}
