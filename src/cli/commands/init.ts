import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

\`package.json\` depends on Switchboard; \`npm install\` it first (see below), then:

\`\`\`sh
npm run validate   # check everything, with file:line:column errors
npm test           # run the conversation tests
npm run chat       # talk to the bot in the terminal (/debug)
npm run dev        # run it (web chat on http://localhost:3000), reloading on save
npm start          # run it
\`\`\`

(\`npx switchboard <command>\` does the same once Switchboard is installed here.) If Switchboard is
not on your package registry, install it from a copy of its repository instead of \`npm install\`:
\`npm install /path/to/switchboard\` (built with \`npm run build\` there).

See Switchboard's author's guide (docs/authoring.md) for the formats.
`,
  '.gitignore': 'node_modules/\ndata/\n.env\n',
};

/** Switchboard's own package.json: name, version, and the folder it is in. */
export function switchboardPackage(): { name: string; version: string; dir: string } {
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
        bin?: unknown;
      };
      if (pkg.name && pkg.version && pkg.bin) return { name: pkg.name, version: pkg.version, dir };
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error("switchboard init: cannot find Switchboard's package.json");
    dir = up;
  }
}

/** The new bot's package.json: its scripts run Switchboard's commands; Switchboard is its dependency. */
export function botPackageJson(name: string, switchboard: { name: string; version: string }): string {
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
    dependencies: { [switchboard.name]: `^${switchboard.version}` },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** `switchboard init DIR`: a new bot that starts and passes its tests. */
export async function run(argv: string[]): Promise<number> {
  const target = argv.find((a) => !a.startsWith('-'));
  if (argv.includes('--help') || !target) {
    console.log(
      'Usage: switchboard init DIR\n\nCreates a new bot in DIR (package.json, intents, flows, tests, README).',
    );
    return target ? 0 : 2;
  }
  const dir = path.resolve(target);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    console.error(`switchboard init: ${dir} is not empty; pick a new folder`);
    return 1;
  }
  const switchboard = switchboardPackage();
  const files = { 'package.json': botPackageJson(path.basename(dir), switchboard), ...FILES };
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  // Run from a copy of the repository (not from an installed package), Switchboard is not on the
  // registry as far as we know: install this copy, or `npx switchboard` would fetch whatever the
  // registry has under that name.
  const installed = switchboard.dir.split(path.sep).includes('node_modules');
  const install = installed
    ? 'npm install                 # installs Switchboard into the bot'
    : `npm install ${switchboard.dir}   # this copy of Switchboard (${switchboard.name} ${switchboard.version}), not the registry's`;
  console.log(
    [
      `Created a bot in ${path.relative(process.cwd(), dir) || '.'}:`,
      ...Object.keys(files).map((f) => `  ${f}`),
      '',
      'Next:',
      `  cd ${target}`,
      `  ${install}`,
      '  npm test                    # the conversation tests',
      '  npm run chat                # talk to the bot in the terminal',
      '  npm run dev                 # web chat on http://localhost:3000, reloading on save',
      '',
      `Until Switchboard is installed in ${target}, \`npx switchboard\` there does not run this Switchboard.`,
    ].join('\n'),
  );
  return 0;
}
