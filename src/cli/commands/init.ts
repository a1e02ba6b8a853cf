import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, switchboardPackage } from '../usage';

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
  'test/conversations/main.yml': `# Conversation tests: run them with \`npx switchboard test\` (also in CI).
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

A customer-service bot made with Switchboard: it answers on a web chat (and on Telegram,
Slack, WhatsApp, Messenger or Microsoft Teams once their credentials are set) and hands
over to a person when it cannot help.

- \`intents/\`: what customers say (examples, entities, FAQ answers)
- \`flows/\`: what the bot does (steps: say, ask, choice, branch, set, call, goto, handoff, end)
- \`test/conversations/\`: conversation tests
- \`actions/index.ts\` (optional): TypeScript functions the flows \`call\`
- \`.env\` (optional, not committed): settings such as \`BOT_NAME\`, \`PORT\`, channel credentials

## Run it

\`\`\`sh
npm install        # once: installs Switchboard into this folder
npm start          # web chat on http://localhost:3000 (PORT=3100 npm start for another port)
npm run dev        # the same, reloading intents, flows and actions when you save
npm run chat       # talk to the bot in the terminal (/debug shows intent, confidence, slots)
\`\`\`

The page at http://localhost:3000 is this bot's demo page: its title is \`BOT_NAME\`; its
colour, subtitle and welcome text are \`WEB_ACCENT\`, \`WEB_SUBTITLE\` and \`WEB_GREETING\`;
\`WEB_DEMO_PAGE=off\` turns it off. Put them in \`.env\`, e.g.:

\`\`\`sh
BOT_NAME=Acme Support
WEB_ACCENT=#0f766e
\`\`\`

## Test it

\`\`\`sh
npm run validate   # check intents, flows and tests: file:line:column errors
npm test           # run the conversation tests (exit 1 if one fails): put it in CI
\`\`\`

## Deploy it

- Any host with Node.js 20 or newer: \`npm ci --omit=dev && npm start\`, with \`HOST=0.0.0.0\`,
  \`PORT\`, \`PUBLIC_URL\` (the address customers reach) and \`BOT_NAME\` set in the
  environment (\`.env\` is this machine's only and is not committed).
- The default store is SQLite in \`./data\`: keep that folder on a persistent disk, or set
  \`DATABASE_URL\` to PostgreSQL (and \`REDIS_URL\` to run several processes).
- Put the chat on your site with one tag:
  \`<script src="https://your-bot.example.com/widget.js" data-title="Acme" async></script>\`.
- Each channel's settings (Telegram, Slack, WhatsApp, Messenger, Bot Framework) are in
  Switchboard's \`adapters/<channel>/README.md\`; \`npx switchboard --help\` lists every command.

See Switchboard's author's guide (docs/authoring.md) for the formats.
`,
  '.gitignore': 'node_modules/\ndata/\n.env\n',
};

/** The new bot's package.json: its scripts run Switchboard's commands; Switchboard is its dependency. */
export function botPackageJson(
  name: string,
  switchboard: {
    name: string;
    version: string;
    /** `file:../switchboard` when the bot uses a copy of the repository, not the registry's. */
    source?: string;
    allowScripts?: Record<string, boolean>;
  },
): string {
  const spec = switchboard.source ?? `^${switchboard.version}`;
  const pkg = {
    name:
      name
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^[._-]+/, '') || 'my-bot',
    version: '0.1.0',
    private: true,
    description: 'A Switchboard bot',
    scripts: {
      start: 'switchboard start',
      dev: 'switchboard dev',
      test: 'switchboard test',
      validate: 'switchboard validate',
      chat: 'switchboard chat',
    },
    dependencies: { [switchboard.name]: spec },
    // npm 11 asks which dependencies may run install scripts: those of Switchboard's native
    // dependencies, and Switchboard's own `prepare` (it builds dist/) when it comes from a
    // folder, which npm names by its `file:` spec, not by the package's name.
    allowScripts: { ...(switchboard.source && { [switchboard.source]: true }), ...switchboard.allowScripts },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** `switchboard init DIR`: a new bot that starts and passes its tests. */
export async function run(_options: object, target: string): Promise<number> {
  const dir = path.resolve(target);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UsageError(`${target} is not empty; give a new folder (init creates it) or an empty one`);
  }
  const switchboard = switchboardPackage();
  // Run from a copy of the repository (not from an installed package), Switchboard is not on
  // the registry as far as we know: the bot depends on this copy, by its path, so that
  // `npm install` and `npx switchboard` there never fetch whatever the registry has under
  // that name.
  const installed = switchboard.dir.split(path.sep).includes('node_modules');
  const source = installed
    ? undefined
    : `file:${path.relative(dir, switchboard.dir).split(path.sep).join('/') || '.'}`;
  const files = {
    '.env': dotEnv(path.basename(dir)),
    'package.json': botPackageJson(path.basename(dir), {
      ...switchboard,
      ...(source && { source }),
      allowScripts: installScripts(switchboard.dir),
    }),
    ...FILES,
  };
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  const install = source
    ? `npm install                 # installs Switchboard from ${switchboard.dir} (${source})`
    : 'npm install                 # installs Switchboard into the bot';
  const where = path.relative(process.cwd(), dir);
  console.log(
    [
      `Created a bot in ${where || 'the current folder'}:`,
      ...Object.keys(files).map((f) => `  ${f}`),
      '',
      'Next:',
      ...(where ? [`  cd ${where}`] : []),
      `  ${install}`,
      '  npm test                    # the conversation tests',
      '  npm run chat                # talk to the bot in the terminal',
      '  npm start                   # web chat on http://localhost:3000',
      '',
      'README.md says how to run, test and deploy it.',
    ].join('\n'),
  );
  return 0;
}

/** The bot's local settings: its name (from the folder's), and the web chat's face, to edit. */
function dotEnv(folder: string): string {
  const name =
    folder
      .split(/[-_.\s]+/)
      .filter(Boolean)
      .map((w) => w[0]?.toUpperCase() + w.slice(1))
      .join(' ') || 'My Bot';
  return `# This bot's settings on this machine (not committed: see .gitignore). Every setting: .env.example in Switchboard.
BOT_NAME=${name}
# WEB_ACCENT=#4f46e5           # the chat's colour
# WEB_SUBTITLE=We usually answer in seconds
# WEB_GREETING=Ask us anything about your order.
# WEB_DEMO_PAGE=on             # on | off | an .html file in this folder, served at /
# PORT=3000
`;
}

/**
 * Switchboard's own `allowScripts`: its dependencies' install scripts it has reviewed (a
 * folder install also brings the copy's dev tools, so those are listed too).
 */
function installScripts(switchboardDir: string): Record<string, boolean> {
  const pkg = JSON.parse(readFileSync(path.join(switchboardDir, 'package.json'), 'utf8')) as {
    allowScripts?: Record<string, boolean>;
  };
  return pkg.allowScripts ?? {};
}
