/**
 * Answers a customer from the bot's documents: what the flow engine calls when nothing the
 * author wrote answers a message, and what a flow's `knowledge` step runs. Above the confidence
 * it replies (the passage, or the language model's answer from the top passages) with its
 * sources, and records what was answered from which document: a `knowledge_answer` event and
 * `conversation.data.knowledge`, which the handoff envelope shows.
 *
 * @module
 */
import type { Context } from '../core/context';
import { type KnowledgeAnswer, type KnowledgeSource, passageAnswer, sourceLines, sourceOf } from './answer';
import type { LlmClient } from './llm';
import type { KnowledgeBase, KnowledgeHit } from './search';

/** Where answers are kept on the conversation (`conversation.data.knowledge`). */
export const KNOWLEDGE_DATA_KEY = 'knowledge';
/** Answers kept there, newest last. */
const KEPT = 10;
/** Passages the language model gets. */
const PROMPT_PASSAGES = 3;

/** One answer as kept on the conversation. */
export interface KnowledgeRecord {
  /** The customer's message it answered. */
  messageId: string;
  question: string;
  mode: KnowledgeAnswer['mode'];
  confidence: number;
  sources: KnowledgeSource[];
  at: number;
}

/** What the flow engine needs: one call, an answer or `null` (then the normal repair runs). */
export interface KnowledgeAnswerer {
  answer(ctx: Context, question: string): Promise<KnowledgeAnswer | null>;
}

export class KnowledgeResponder implements KnowledgeAnswerer {
  constructor(
    readonly kb: KnowledgeBase,
    private readonly llm?: LlmClient,
  ) {}

  async answer(ctx: Context, question: string): Promise<KnowledgeAnswer | null> {
    if (!question.trim()) return null;
    const { hits } = this.kb.search(question, { channel: ctx.channel, limit: PROMPT_PASSAGES });
    const top = hits[0];
    if (!top || top.confidence < this.kb.minConfidence) return null;
    const limit = ctx.capabilities?.maxTextLength ?? Number.POSITIVE_INFINITY;
    let answer: KnowledgeAnswer | undefined;
    if (this.llm) {
      const generated = await this.generate(
        ctx,
        question,
        hits.filter((h) => h.confidence >= this.kb.minConfidence),
        limit,
      );
      if (generated === 'refused') return null;
      if (generated !== 'fallback') answer = generated;
    }
    answer ??= passageAnswer(top, (text) => this.kb.termsOf(top.document.language, text), limit);
    await ctx.reply(answer.text);
    await this.record(ctx, question, answer);
    return answer;
  }

  /**
   * The model's answer; `fallback` (to the passage answer) when it fails, times out or cites
   * nothing; `refused` when it says the passages don't answer the question.
   */
  private async generate(
    ctx: Context,
    question: string,
    hits: KnowledgeHit[],
    limit: number,
  ): Promise<KnowledgeAnswer | 'refused' | 'fallback'> {
    const llm = this.llm as LlmClient;
    const top = hits[0] as KnowledgeHit;
    const canType = ctx.capabilities?.typing ?? true;
    let lastTyping = 0;
    if (canType) ctx.typing(true);
    const result = await llm.generate(
      question,
      hits.map((h) => ({ title: h.document.title, heading: h.passage.heading, text: h.passage.text })),
      canType
        ? {
            // Typing indicators expire on most platforms after ~5 s: renew while tokens arrive.
            onToken: () => {
              const now = Date.now();
              if (now - lastTyping > 3000) {
                lastTyping = now;
                ctx.typing(true);
              }
            },
          }
        : {},
    );
    if (canType) ctx.typing(false);
    if (result.kind === 'refused') {
      ctx.logger.info(
        { conversationId: ctx.conversation.id },
        'knowledge: the language model found no answer in the passages',
      );
      return 'refused';
    }
    if (result.kind === 'failed') {
      ctx.logger.warn(
        { conversationId: ctx.conversation.id, reason: result.reason, detail: result.detail },
        'knowledge: generation failed, answering with the passage',
      );
      return 'fallback';
    }
    const sources = result.citations.map((n) => sourceOf(hits[n - 1] as KnowledgeHit));
    const unique = sources.filter((s, i) => sources.findIndex((o) => o.document === s.document) === i);
    const footer = `\n\n${sourceLines(unique)}`;
    let body = result.text;
    if (body.length + footer.length > limit)
      body = `${body.slice(0, Math.max(0, limit - footer.length - 1))}…`;
    return { text: `${body}${footer}`, sources: unique, confidence: top.confidence, mode: 'generated' };
  }

  private async record(ctx: Context, question: string, answer: KnowledgeAnswer): Promise<void> {
    const entry: KnowledgeRecord = {
      messageId: ctx.message.id,
      question,
      mode: answer.mode,
      confidence: Math.round(answer.confidence * 1000) / 1000,
      sources: answer.sources,
      at: Date.now(),
    };
    const kept = (ctx.conversation.data[KNOWLEDGE_DATA_KEY] as KnowledgeRecord[] | undefined) ?? [];
    // Handled again after a crash: the same message is recorded once.
    const list = [...kept.filter((r) => r.messageId !== entry.messageId), entry].slice(-KEPT);
    await ctx.updateConversation({ data: { ...ctx.conversation.data, [KNOWLEDGE_DATA_KEY]: list } });
    try {
      await ctx.store.events.add(ctx.conversation.id, 'knowledge_answer', { ...entry });
    } catch (error) {
      ctx.logger.warn({ err: error }, 'could not record the knowledge answer event');
    }
  }
}
