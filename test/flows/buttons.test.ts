import path from 'node:path';
import { formatResults, loadConversationTests, runConversationTests } from '../../src/flows/testing';
import { tempDir, writeBot } from '../helpers/bot';
import { channels } from '../../adapters';

const bot = {
  'intents/main.yml': `
intents:
  gift:
    examples: [i want to send a gift, send a present, gift for a friend, i need a gift, buy a present]
  hours:
    examples: [when are you open, opening hours, what time do you open, are you open on sunday, hours]
    answers: [We're open 9 to 5.]
`,
  'flows/main.yml': `
flows:
  gift:
    trigger: gift
    steps:
      kind:
        choice: What kind of gift?
        slot: kind
        options: [Mug, Board]
      note:
        ask: What should the card say?
        slot: note
        entity: text
      card:
        choice: A card?
        slot: card
        options:
          - { title: "Yes, a card", value: "yes" }
          - { title: "No card", value: "no" }
      wrap:
        choice: Gift wrap?
        slot: wrap
        options:
          - { title: "Yes, wrap it", value: "yes" }
          - { title: "No wrapping", value: "no" }
      done:
        say: "{{slots.kind}}, card {{slots.card}}, wrap {{slots.wrap}}: “{{slots.note}}”."
        end: true
`,
  'tests/main.yml': `
tests:
  a button pressed while a text question waits is not its answer:
    - user: i want to send a gift
    - bot: What kind of gift?
    - press: Mug
    - bot: What should the card say?
    - press: Board
      slots: { kind: Mug }
    - bot: That option was for an earlier question.
    - bot: What should the card say?
      step: note
    - user: "2"
    - bot: That option was for an earlier question.
    - bot: What should the card say?
    - user: Happy birthday, Ada!
      slots: { kind: Mug, note: "Happy birthday, Ada!" }
    - bot: A card?

  a stale button whose payload is an option of the current choice picks it:
    - user: send a present
    - bot: What kind of gift?
    - press: Board
    - bot: What should the card say?
    - user: happy birthday
    - bot: A card?
    - press: "Yes, a card"
    - bot: Gift wrap?
    - press: "Yes, a card"
    - bot: "Board, card yes, wrap yes: “happy birthday”."

  a stale button from another question is its title typed in, not applied blindly:
    - user: i need a gift
    - bot: What kind of gift?
    - press: Mug
    - bot: What should the card say?
    - user: cheers
    - bot: A card?
    - press: Mug
    - bot: "Sorry, please choose one of: “Yes, a card” or “No card”."
    - bot: A card?
      step: card
    - press: No card
    - bot: Gift wrap?
    - press: No wrapping
    - bot: "Mug, card no, wrap no: “cheers”."
`,
};

test('buttons do not answer text questions; stale buttons are matched to the current question or read as text', async () => {
  const dir = writeBot(bot);
  const results = await runConversationTests(
    dir,
    loadConversationTests([path.join(dir, 'tests/main.yml')], channels),
    {
      channels,
      cacheDir: tempDir('sb-nlu-'),
    },
  );
  expect(formatResults(results, dir)).toContain('3 passed, 0 failed');
}, 60_000);
