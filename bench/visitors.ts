/**
 * The web visitors that drive Switchboard in the benchmark: each sends a message and waits
 * for the bot's first answer to it, either on the WebSocket (`ws`) or by long polling
 * (`longpoll`: POST, then `GET /web/messages?after=…&wait=` until the answer is there).
 * The answer to a message is the first bot message after it in the conversation (seq
 * order), so any bot works, the echo bot and the sample shop bot alike.
 */
import type { Pool } from 'undici';
import { WebSocket } from 'ws';

export type ClientKind = 'ws' | 'longpoll';

export interface Visitor {
  /** Sends message `n`; resolves with send→answer ms and accepted→answer ms, or null. */
  one(n: number): Promise<{ latency: number; accepted?: number } | null>;
  close(): void;
}

interface WebMessage {
  author: string;
  seq: number;
  text: string;
  clientMessageId?: string;
  createdAt: string;
}

const SAMPLE_TEXTS = [
  'what are your opening hours',
  'how much is shipping',
  'hello',
  'who are you',
  'do you ship abroad',
  'thanks',
];

export function textFor(bot: 'echo' | 'sample', visitor: number, n: number): string {
  return bot === 'echo'
    ? `message ${n} from visitor ${visitor}`
    : (SAMPLE_TEXTS[(n + visitor) % SAMPLE_TEXTS.length] as string);
}

export async function openVisitor(options: {
  kind: ClientKind;
  base: string;
  pool: Pool;
  visitorId: string;
  text: (n: number) => string;
}): Promise<Visitor> {
  const { kind, base, pool, visitorId } = options;
  const post = async (n: number) => {
    const res = await pool.request({
      path: '/web/messages',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId, text: options.text(n), clientMessageId: `c${n}` }),
    });
    await res.body.dump();
    return res.statusCode === 202;
  };

  if (kind === 'longpoll') {
    let cursor = '';
    return {
      async one(n) {
        const t0 = performance.now();
        if (!(await post(n))) return null;
        let ownSeq = Number.POSITIVE_INFINITY;
        let acceptedAt = 0;
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const res = await pool.request({
            path: `/web/messages?visitorId=${visitorId}&wait=10${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`,
            method: 'GET',
          });
          if (res.statusCode !== 200) {
            await res.body.dump();
            return null;
          }
          const page = (await res.body.json()) as { messages: WebMessage[]; cursor: string };
          cursor = page.cursor;
          for (const m of page.messages) {
            if (m.author === 'customer' && m.clientMessageId === `c${n}`) {
              ownSeq = m.seq;
              acceptedAt = Date.parse(m.createdAt);
            } else if (m.author === 'bot' && m.seq > ownSeq) {
              return { latency: performance.now() - t0, accepted: Date.now() - acceptedAt };
            }
          }
        }
        return null;
      },
      close() {},
    };
  }

  const ws = new WebSocket(`${base.replace('http', 'ws')}/web/socket?visitorId=${visitorId}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let waiting: { n: number; ownSeq: number; acceptedAt: number; resolve: () => void } | null = null;
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; message?: WebMessage };
    const m = frame.message;
    if (frame.type !== 'message' || !m || !waiting) return;
    if (m.author === 'customer' && m.clientMessageId === `c${waiting.n}`) {
      waiting.ownSeq = m.seq;
      waiting.acceptedAt = Date.parse(m.createdAt);
    } else if (m.author === 'bot' && m.seq > waiting.ownSeq) waiting.resolve();
  });
  return {
    async one(n) {
      const state = { n, ownSeq: Number.POSITIVE_INFINITY, acceptedAt: 0, resolve: () => {} };
      const answered = new Promise<boolean>((resolve) => {
        state.resolve = () => resolve(true);
      });
      waiting = state;
      const t0 = performance.now();
      if (!(await post(n))) return null;
      let timer: NodeJS.Timeout | undefined;
      const ok = await Promise.race([
        answered,
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 10_000);
        }),
      ]);
      clearTimeout(timer);
      if (!ok) return null;
      return { latency: performance.now() - t0, accepted: Date.now() - state.acceptedAt };
    },
    close: () => ws.close(),
  };
}
