/**
 * Optional generation: any OpenAI-compatible chat-completions server (`LLM_BASE_URL`, a local
 * one works) composes the answer from the top passages, citing them as [1], [2]. Through one
 * pooled undici connection pool per process; streamed where the channel shows typing (the
 * indicator stays on while tokens arrive). Every request has a deadline: the caller falls back
 * to the passage answer on a timeout, an error status, malformed output or an answer without a
 * citation, and to the normal repair when the model says the passages don't answer.
 *
 * @module
 */
import type { Pool } from 'undici';

export interface LlmSettings {
  /** Up to and including the API version, e.g. `http://127.0.0.1:8080/v1`. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** The whole request, streaming included (default 8000). */
  timeoutMs?: number;
}

/** A passage as the model sees it: `[n] title — heading`, then its text. */
export interface PromptPassage {
  title: string;
  heading: string;
  text: string;
}

/** What came back: an answer with the passages it cites (1-based), a refusal, or a failure. */
export type Generation =
  | { kind: 'answer'; text: string; citations: number[] }
  | { kind: 'refused' }
  | { kind: 'failed'; reason: 'timeout' | 'status' | 'malformed' | 'uncited' | 'network'; detail?: string };

/** The model's word for "the passages don't say". */
export const NO_ANSWER = 'NO_ANSWER';

export function systemPrompt(botName: string): string {
  return [
    `You are ${botName}, answering a customer's question in a chat.`,
    'Use only the numbered passages. After each sentence, cite the passage it comes from in square brackets, like [1].',
    `If the passages do not contain the answer, reply with exactly ${NO_ANSWER} and nothing else.`,
    "Answer in at most three short sentences, in plain text, in the customer's language.",
  ].join(' ');
}

export function userPrompt(question: string, passages: PromptPassage[]): string {
  const blocks = passages.map(
    (p, i) =>
      `[${i + 1}] ${p.title}${p.heading && p.heading !== p.title ? ` — ${p.heading}` : ''}\n${p.text}`,
  );
  return `Passages:\n\n${blocks.join('\n\n')}\n\nQuestion: ${question}`;
}

/** Checks the model's text: a refusal, or an answer citing passages 1..n (else `uncited`). */
export function judge(text: string, passages: number): Generation {
  const trimmed = text.trim();
  if (!trimmed || trimmed.replace(/[^A-Z_]/g, '') === NO_ANSWER || trimmed.startsWith(NO_ANSWER)) {
    return trimmed ? { kind: 'refused' } : { kind: 'failed', reason: 'malformed', detail: 'empty answer' };
  }
  const citations = [...new Set([...trimmed.matchAll(/\[(\d{1,2})\]/g)].map((m) => Number(m[1])))].filter(
    (n) => n >= 1 && n <= passages,
  );
  if (citations.length === 0) return { kind: 'failed', reason: 'uncited' };
  return { kind: 'answer', text: trimmed, citations: citations.sort((a, b) => a - b) };
}

export class LlmClient {
  private readonly pool: Pool;
  private readonly path: string;
  readonly timeoutMs: number;

  constructor(
    readonly settings: LlmSettings,
    private readonly botName = 'the shop assistant',
  ) {
    const url = new URL(settings.baseUrl);
    const { Pool } = require('undici') as typeof import('undici');
    this.pool = new Pool(url.origin, { connections: 8, keepAliveTimeout: 30_000 });
    this.path = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
    this.timeoutMs = settings.timeoutMs ?? 8000;
  }

  /**
   * Asks for an answer from `passages`. With `onToken` the answer is streamed (server-sent
   * events) and `onToken` is called as text arrives. Never throws, never outlives the timeout.
   */
  async generate(
    question: string,
    passages: PromptPassage[],
    options: { onToken?: (text: string) => void } = {},
  ): Promise<Generation> {
    const stream = options.onToken !== undefined;
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await this.pool.request({
        path: this.path,
        method: 'POST',
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        headers: {
          'content-type': 'application/json',
          accept: stream ? 'text/event-stream' : 'application/json',
          ...(this.settings.apiKey ? { authorization: `Bearer ${this.settings.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: this.settings.model,
          temperature: 0,
          stream,
          messages: [
            { role: 'system', content: systemPrompt(this.botName) },
            { role: 'user', content: userPrompt(question, passages) },
          ],
        }),
      });
      if (res.statusCode >= 300) {
        const detail = (await res.body.text()).slice(0, 200);
        return { kind: 'failed', reason: 'status', detail: `${res.statusCode} ${detail}` };
      }
      let text = '';
      if (stream) {
        let buffer = '';
        for await (const chunk of res.body) {
          buffer += (chunk as Buffer).toString('utf8');
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            newline = buffer.indexOf('\n');
            if (!line.startsWith('data:')) continue;
            const data = line.slice(5).trim();
            if (data === '[DONE]') continue;
            const delta = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]
              ?.delta?.content;
            if (delta) {
              text += delta;
              options.onToken?.(delta);
            }
          }
        }
      } else {
        const body = (await res.body.json()) as { choices?: { message?: { content?: unknown } }[] };
        const content = body.choices?.[0]?.message?.content;
        if (typeof content !== 'string')
          return { kind: 'failed', reason: 'malformed', detail: 'no message content' };
        text = content;
      }
      return judge(text, passages.length);
    } catch (error) {
      if (signal.aborted) return { kind: 'failed', reason: 'timeout' };
      if (error instanceof SyntaxError) return { kind: 'failed', reason: 'malformed', detail: error.message };
      return { kind: 'failed', reason: 'network', detail: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
