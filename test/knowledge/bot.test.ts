/**
 * Knowledge answers in a running bot: what no intent or flow answers is answered from the
 * documents with its source, or repaired as before; a flow's `knowledge` step; the record on the
 * conversation, its events and the handoff envelope; and the language-model path against a fake
 * OpenAI-compatible server on 127.0.0.1 (streaming and not, slow, failing, uncited, refusing).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { envelopeOf, requestOf } from '../../src/desk/envelope';
import { LlmClient } from '../../src/knowledge';
import { startTestBot, type TestBot, tempDir } from '../helpers/bot';

const BOT_FILES: Record<string, string> = {
  'intents/main.yml': `
intents:
  greet:
    examples: [hi, hello, good morning, hey there]
    answers: ["Hello! Ask me anything about our shop."]
  thanks:
    examples: [thanks, thank you, cheers, thanks a lot, many thanks]
    answers: ["You're welcome!"]
  ask_expert:
    examples: [i have a question for the expert, ask the expert, expert question please, can the expert help me]
out_of_scope:
  - how many days does it take
  - how much does it cost
  - can i pay with my card
  - do you ship abroad
  - what is the weather tomorrow
  - how do i get my money back
  - when will it arrive
  - what time is it
  - is it free
  - where is the nearest station
`,
  'flows/main.yml': `
flows:
  expert:
    trigger: ask_expert
    steps:
      ask_question:
        ask: What's your question?
        slot: question
        entity: text
      look_up:
        knowledge: "{{slots.question}}"
        result: kb
      check:
        branch:
          - if: slots.kb.found
            goto: done
        else: nothing
      done:
        say: "I hope that helps (from {{slots.kb.title}})."
        end: true
      nothing:
        say: "I couldn't find that in our help pages."
        end: true
`,
  'knowledge/refunds.md': `
---
title: Refunds
url: https://shop.example/refunds
---
# Refunds

We refund within 5 working days of receiving your return. The money goes back to the payment method you used.
`,
  'knowledge/shipping.md': `
---
title: Shipping costs
url: https://shop.example/shipping
---
# Shipping costs

Standard shipping costs 4.95 euros; orders over 50 euros ship free. Express shipping costs 9.95 euros.
`,
};

function botDir(): string {
  const dir = tempDir('sb-kbot-');
  for (const [name, text] of Object.entries(BOT_FILES)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text.replace(/^\n/, ''));
  }
  return dir;
}

/** Sends a web message as `visitor` and returns the bot's replies to it. */
async function say(t: TestBot, visitor: string, text: string) {
  const accepted = await t.bot.inbox.accept({
    channel: 'web',
    sender: { externalId: visitor },
    address: { visitorId: visitor },
    content: { type: 'text', text },
  });
  await t.bot.idle();
  const messages = await t.bot.store.messages.list(accepted.conversation.id, {
    afterSeq: accepted.message.seq,
  });
  const conversation = await t.bot.store.conversations.get(accepted.conversation.id);
  return {
    replies: messages.filter((m) => m.direction === 'out').map((m) => m.text ?? ''),
    conversation: conversation as NonNullable<typeof conversation>,
  };
}

describe('without a language model', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ env: { BOT_DIR: botDir() }, staffed: true });
  }, 60_000);
  afterAll(() => t.stop());

  test('what no intent answers is answered from the best passage, with its title and link', async () => {
    const { replies, conversation } = await say(t, 'visitor-kb-1', 'how many days does a refund take?');
    expect(replies).toEqual([
      'We refund within 5 working days of receiving your return. The money goes back to the payment method you used.\n\nSource: Refunds — https://shop.example/refunds',
    ]);
    // Recorded: on the conversation (for the envelope) and as an event (for the transcript).
    expect(conversation.data.knowledge).toEqual([
      expect.objectContaining({
        question: 'how many days does a refund take?',
        mode: 'passage',
        sources: [{ document: 'refunds', title: 'Refunds', url: 'https://shop.example/refunds' }],
      }),
    ]);
    const events = await t.bot.store.events.list(conversation.id);
    expect(events.find((e) => e.type === 'knowledge_answer')?.data).toMatchObject({
      question: 'how many days does a refund take?',
      sources: [{ document: 'refunds' }],
    });
  });

  test('what the documents do not hold gets the normal repair, and then the offer of a person', async () => {
    expect((await say(t, 'visitor-kb-2', 'do you ship to australia?')).replies).toEqual([
      "Sorry, I didn't quite get that. Could you say it another way?",
    ]);
    expect((await say(t, 'visitor-kb-2', 'can i pay with bitcoin?')).replies).toEqual([
      "I'm still not sure I understand. Would you like to talk to a person?",
    ]);
  });

  test('an intent that answers still answers (the documents are asked only when nothing else does)', async () => {
    expect((await say(t, 'visitor-kb-3', 'hello')).replies).toEqual([
      'Hello! Ask me anything about our shop.',
    ]);
  });

  test("a flow's knowledge step answers and fills its result slot; a miss lets the flow go on", async () => {
    await say(t, 'visitor-kb-4', 'i have a question for the expert');
    const found = await say(t, 'visitor-kb-4', 'how much is express shipping');
    expect(found.replies).toEqual([
      expect.stringMatching(
        /^Standard shipping costs 4\.95 euros.*Express shipping costs 9\.95 euros\.\n\nSource: Shipping costs — https:\/\/shop\.example\/shipping$/s,
      ),
      'I hope that helps (from Shipping costs).',
    ]);
    const memory = found.conversation.data.flowEngine as { last?: { slots: Record<string, unknown> } };
    expect(memory.last?.slots.kb).toMatchObject({
      found: true,
      document: 'shipping',
      url: 'https://shop.example/shipping',
    });
    await say(t, 'visitor-kb-4', 'i have a question for the expert');
    expect((await say(t, 'visitor-kb-4', 'what colour is the moon')).replies).toEqual([
      "I couldn't find that in our help pages.",
    ]);
  });

  test('the handoff envelope shows what was answered from which document', async () => {
    await say(t, 'visitor-kb-5', 'how many days does a refund take?');
    const { conversation } = await say(t, 'visitor-kb-5', 'let me talk to a person');
    expect(conversation.status).toBe('queued');
    const request = requestOf(conversation.handoff, Date.now());
    const messages = await t.bot.store.messages.list(conversation.id);
    const envelope = envelopeOf(conversation, request as NonNullable<typeof request>, null, [], messages);
    expect(envelope.summary.knowledge).toEqual([
      {
        question: 'how many days does a refund take?',
        sources: [{ title: 'Refunds', url: 'https://shop.example/refunds' }],
      },
    ]);
  });
});

describe('with a language model (a fake OpenAI-compatible server)', () => {
  type Mode = 'answer' | 'slow' | 'error' | 'uncited' | 'refuse';
  let mode: Mode = 'answer';
  const requests: { body: Record<string, unknown>; authorization?: string; path?: string }[] = [];
  let server: Server;
  let baseUrl: string;
  let t: TestBot;

  const content: Record<Exclude<Mode, 'slow' | 'error'>, string> = {
    answer: 'Refunds arrive within 5 working days after we receive your return [1].',
    uncited: 'Refunds arrive within 5 working days.',
    refuse: 'NO_ANSWER',
  };

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        requests.push({
          body,
          ...(req.headers.authorization && { authorization: req.headers.authorization }),
          ...(req.url && { path: req.url }),
        });
        if (mode === 'slow') return; // never answers: the client's deadline must end it
        if (mode === 'error') {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"error":{"message":"model crashed"}}');
          return;
        }
        const text = content[mode];
        if (body.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          // Tokens in several chunks, one event split across two writes.
          const words = text.split(/(?<= )/);
          for (const w of words) {
            const event = `data: ${JSON.stringify({ choices: [{ delta: { content: w } }] })}\n\n`;
            res.write(event.slice(0, 10));
            res.write(event.slice(10));
          }
          res.end('data: [DONE]\n\n');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: text } }] }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    t = await startTestBot({
      env: {
        BOT_DIR: botDir(),
        LLM_BASE_URL: baseUrl,
        LLM_API_KEY: 'test-key',
        LLM_MODEL: 'tiny-model',
        LLM_TIMEOUT_MS: '300',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests.length = 0;
  });

  const passage =
    'We refund within 5 working days of receiving your return. The money goes back to the payment method you used.\n\nSource: Refunds — https://shop.example/refunds';

  test('streamed (the web chat shows typing): the answer cites its passages, the sources follow', async () => {
    mode = 'answer';
    const { replies, conversation } = await say(t, 'visitor-llm-1', 'how many days does a refund take?');
    expect(replies).toEqual([
      'Refunds arrive within 5 working days after we receive your return [1].\n\nSource: Refunds — https://shop.example/refunds',
    ]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ authorization: 'Bearer test-key', path: '/v1/chat/completions' });
    expect(requests[0]?.body).toMatchObject({ model: 'tiny-model', stream: true });
    const prompt = JSON.stringify(requests[0]?.body.messages);
    expect(prompt).toContain('We refund within 5 working days');
    expect(prompt).toContain('how many days does a refund take?');
    expect(conversation.data.knowledge).toEqual([expect.objectContaining({ mode: 'generated' })]);
  });

  test('not streamed: the client returns the answer and the passages it cites', async () => {
    mode = 'answer';
    const client = new LlmClient({ baseUrl, model: 'tiny-model', timeoutMs: 2000 });
    try {
      const result = await client.generate('how many days does a refund take?', [
        { title: 'Refunds', heading: 'Refunds', text: 'We refund within 5 working days.' },
      ]);
      expect(result).toEqual({
        kind: 'answer',
        text: 'Refunds arrive within 5 working days after we receive your return [1].',
        citations: [1],
      });
      expect(requests[0]?.body.stream).toBe(false);
    } finally {
      await client.close();
    }
  });

  test('a server that does not answer in time: the passage answer, never a hang', async () => {
    mode = 'slow';
    expect((await say(t, 'visitor-llm-2', 'how many days does a refund take?')).replies).toEqual([passage]);
    expect(requests).toHaveLength(1);
  });

  test('a server answering 500: the passage answer', async () => {
    mode = 'error';
    expect((await say(t, 'visitor-llm-3', 'how many days does a refund take?')).replies).toEqual([passage]);
  });

  test('an answer without a citation is refused: the passage answer instead', async () => {
    mode = 'uncited';
    const { replies, conversation } = await say(t, 'visitor-llm-4', 'how many days does a refund take?');
    expect(replies).toEqual([passage]);
    expect(conversation.data.knowledge).toEqual([expect.objectContaining({ mode: 'passage' })]);
  });

  test('the model says the passages do not answer: the normal repair', async () => {
    mode = 'refuse';
    expect((await say(t, 'visitor-llm-5', 'how many days does a refund take?')).replies).toEqual([
      "Sorry, I didn't quite get that. Could you say it another way?",
    ]);
  });

  test('below the confidence the model is not asked at all', async () => {
    mode = 'answer';
    await say(t, 'visitor-llm-6', 'do you ship to australia?');
    expect(requests).toHaveLength(0);
  });
});
