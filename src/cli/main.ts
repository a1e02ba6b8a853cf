/**
 * `switchboard <command>`: the CLI for running a bot and for bot authors.
 *
 * @module
 */

interface CommandModule {
  run(argv: string[]): Promise<number>;
}

interface Command {
  summary: string;
  /** Loaded on use: `eval` should not load the server, nor `start` the benchmark code. */
  load: () => CommandModule;
}

const commands: Record<string, Command> = {
  start: {
    summary: 'run the bot (web chat on http://localhost:3000)',
    load: () => require('./commands/start'),
  },
  dev: {
    summary: 'run the bot and reload intents and flows on save',
    load: () => require('./commands/dev'),
  },
  chat: {
    summary: 'talk to the bot in the terminal (/debug shows intent, confidence, slots)',
    load: () => require('./commands/chat'),
  },
  validate: {
    summary: 'check intents, flows and tests: file:line:column errors, exit 1 on any',
    load: () => require('./commands/validate'),
  },
  test: {
    summary: 'run the conversation tests (tests/*.yml)',
    load: () => require('./commands/test'),
  },
  init: {
    summary: 'scaffold a new bot: init DIR',
    load: () => require('./commands/init'),
  },
  eval: {
    summary: 'measure the NLU on a data set: eval --data FILE [--json]',
    load: () => require('./commands/eval'),
  },
  review: {
    summary: 'decide the review inbox: teach intents from what the bot missed',
    load: () => require('./commands/review'),
  },
  report: {
    summary: 'the headline numbers: report [--since 7d] [--json]',
    load: () => require('./commands/report'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'Usage: switchboard <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `switchboard <command> --help` for a command’s options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = commands[name];
  if (!command) {
    console.error(`switchboard: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  try {
    const code = await command.load().run(rest);
    if (code !== 0) process.exitCode = code;
  } catch (error) {
    console.error(`switchboard ${name}: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
