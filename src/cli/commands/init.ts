import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FILES: Record<string, string> = {
  'intents/main.yml': `# Intents: what customers say. Add 5–20 varied examples per intent.
# FAQ intents can answer directly with \`answers:\`.
language: en

entities:
  ticket_number: { regex: 'T-?\\d{4}' }

intents:
  greet:
    examples: [hi, hello, hey there, good morning, good evening, hello, anyone there?]
    answers: ["Hi! How can I help you today?"]
  thanks:
    examples: [thanks, thank you, thanks a lot, great thank you, cheers]
    answers: ["You're welcome!"]
  goodbye:
    examples: [bye, goodbye, see you, that's all, have a nice day]
    answers: ["Goodbye!"]
  opening_hours:
    examples: [when are you open, what are your opening hours, are you open on sunday, opening times, what time do you close]
    answers: ["We're open Monday to Friday, 9:00–17:00."]
  ticket_status:
    entities: [ticket_number]
    examples: [what's the status of my ticket, any news on my request, check ticket T-1234, where is my support ticket, is my issue solved]
  human:
    examples: [talk to a person, i want a human, speak to an agent, connect me to someone, real person please]
  affirm:
    examples: ["yes", yes please, sure, correct, go ahead]
  deny:
    examples: ["no", no thanks, nope, not really]
`,
  'flows/main.yml': `# Flows: what the bot does when an intent starts one. See the author's guide (docs/authoring.md).
flows:
  ticket_status:
    trigger: ticket_status
    description: your ticket
    steps:
      ask_ticket:
        ask: What's your ticket number? It looks like T-1234.
        slot: ticket
        entity: ticket_number
        invalid: Ticket numbers look like T-1234.
      answer:
        say: "Ticket {{slots.ticket}} is being worked on. We'll email you as soon as there's news."
        end: true

  talk_to_person:
    trigger: human
    steps:
      handoff:
        say: Sure, I'm getting a colleague for you.
        handoff:
          team: support
          reason: The customer asked for a person
`,
  'tests/main.yml': `# Conversation tests: run them with \`npx switchboard test\` (also in CI).
tests:
  greeting:
    - user: hello
      intent: greet
    - bot: How can I help

  ticket status:
    - user: what's the status of my ticket?
      intent: ticket_status
    - bot: ticket number
    - user: T-1234
      slots: { ticket: T-1234 }
    - bot: Ticket T-1234 is being worked on

  a person:
    - user: I want to talk to a person
    - bot: getting a colleague
      status: queued
`,
  'README.md': `# My Switchboard bot

- \`intents/\`: what customers say (examples, entities, FAQ answers)
- \`flows/\`: what the bot does (steps: say, ask, choice, branch, set, call, goto, handoff, end)
- \`tests/\`: conversation tests
- \`actions/index.ts\` (optional): TypeScript functions the flows \`call\`

\`\`\`sh
npx switchboard validate   # check everything, with file:line:column errors
npx switchboard test       # run the conversation tests
npx switchboard chat       # talk to the bot in the terminal (/debug)
npx switchboard dev        # run it (web chat on http://localhost:3000), reloading on save
npx switchboard start      # run it
\`\`\`

See Switchboard's author's guide (docs/authoring.md) for the formats.
`,
  '.gitignore': 'data/\n.env\n',
};

/** `switchboard init DIR`: a new bot that starts and passes its tests. */
export async function run(argv: string[]): Promise<number> {
  const target = argv.find((a) => !a.startsWith('-'));
  if (argv.includes('--help') || !target) {
    console.log('Usage: switchboard init DIR\n\nCreates a new bot in DIR (intents, flows, tests, README).');
    return target ? 0 : 2;
  }
  const dir = path.resolve(target);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    console.error(`switchboard init: ${dir} is not empty; pick a new folder`);
    return 1;
  }
  for (const [file, content] of Object.entries(FILES)) {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  console.log(
    `Created a bot in ${path.relative(process.cwd(), dir) || '.'}:\n${Object.keys(FILES)
      .map((f) => `  ${f}`)
      .join(
        '\n',
      )}\n\nNext:\n  cd ${target}\n  npx switchboard test\n  npx switchboard chat\n  npx switchboard dev`,
  );
  return 0;
}
