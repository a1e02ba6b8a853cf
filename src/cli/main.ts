/**
 * `switchboard <command>`: the CLI for running a bot and for bot authors. One parser
 * (commander) for every command: unknown options and commands are errors with the usage
 * and a "did you mean"; `-h`/`--help` and `-V`/`--version` work everywhere and exit 0.
 *
 * Exit codes: 0 done (or help, version); 1 the command ran and found problems (a broken
 * file, a failed test, bad settings); 2 the command line is wrong.
 *
 * To add a command: declare it in {@link buildProgram} (`command(program, name, summary)`,
 * its arguments and options, `.action(lazy(() => require('./commands/<name>')))`) and write
 * `commands/<name>.ts` exporting `run(options, ...args): Promise<number>`. Its module is
 * loaded only when the command runs.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { ChannelDefinition } from '../core/channel';
import { UsageError, switchboardPackage } from './usage';

/** Where the CLI writes: the process's streams, or a test's buffers. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A command's implementation: its options (and positional arguments), and the exit code. */
interface CommandModule {
  // biome-ignore lint/suspicious/noExplicitAny: each module types its own options
  run(options: any, ...args: any[]): Promise<number>;
}

/**
 * What the composition root plugs into the CLI: the channel plug-ins (`bin/switchboard.js`
 * passes the registry, `adapters/index.ts`). Commands receive them as `options.channels`.
 */
export interface CliPlugins {
  channels: readonly ChannelDefinition[];
}

const DIR_HELP = 'the bot folder (default: the current folder)';

/** The program with every command. `finish` receives the exit code of the command that ran. */
export function buildProgram(
  output: CliOutput,
  finish: (code: number) => void,
  plugins: CliPlugins,
): Command {
  const { version } = switchboardPackage();
  const program = new Command('switchboard')
    .usage('<command> [options]')
    .description('Customer-service bots on every chat app at once.')
    .version(`switchboard ${version}`, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show the help of a command')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput(outputFor(output, 'switchboard'));

  /** A subcommand with the shared settings; its errors name it. */
  const command = (name: string, summary: string) => {
    const sub = program
      .command(name)
      .summary(summary)
      .description(summary)
      .helpOption('-h, --help', 'show this help')
      .allowExcessArguments(false)
      .configureOutput(outputFor(output, `switchboard ${name}`));
    // Listed so that help shows it and the parser accepts it; run() answers it before parsing.
    sub.addOption(new Option('-V, --version', 'print the version'));
    return sub;
  };

  /** The action: loads the command's module on use (`eval` need not load the server). */
  const lazy =
    (load: () => CommandModule) =>
    async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      const options = { ...cmd.opts(), channels: plugins.channels };
      const positional = args.slice(0, -2);
      try {
        finish(await load().run(options, ...positional));
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        output.err(
          `${cmd.name() === 'switchboard' ? '' : `switchboard ${cmd.name()}: `}${error.message}\n\n`,
        );
        output.err(cmd.helpInformation());
        finish(2);
      }
    };

  command('start', 'run the bot (web chat on http://localhost:3000)')
    .option('--dir <dir>', `${DIR_HELP}; BOT_DIR does the same`)
    .addHelpText(
      'after',
      '\nSettings come from the environment and DIR/.env (see .env.example). Without --dir, a folder\nwith no intents/ or flows/ runs the built-in echo bot.',
    )
    .action(lazy(() => require('./commands/start')));
  command('dev', 'run the bot and reload intents, flows, actions and knowledge on save')
    .option('--dir <dir>', DIR_HELP)
    .addHelpText(
      'after',
      '\nA broken file is reported (file:line:column) and the bot keeps running the last good version.',
    )
    .action(lazy(() => require('./commands/dev')));
  command('chat', 'talk to the bot in the terminal (/debug shows intent, confidence, slots)')
    .option('--dir <dir>', DIR_HELP)
    .option('--debug', 'start with /debug on')
    .action(lazy(() => require('./commands/chat')));
  command(
    'validate',
    'check intents, flows, knowledge, tests and handoff.yml: file:line:column errors, exit 1 on any',
  )
    .option('--dir <dir>', DIR_HELP)
    .action(lazy(() => require('./commands/validate')));
  command('test', 'run the conversation tests (test/conversations/*.yml); exit 1 if any fails')
    .argument('[files...]', 'test files (default: test/conversations/*.yml in the bot folder)')
    .option('--dir <dir>', DIR_HELP)
    .option('--filter <text>', 'only the tests whose name contains TEXT')
    .action(lazy(() => require('./commands/test')));
  command('init', 'create a new bot in DIR (package.json, intents, flows, tests, README)')
    .argument('<dir>', 'the new bot folder (new or empty; "." for the current folder)')
    .action(lazy(() => require('./commands/init')));
  command('eval', 'measure the NLU on a labelled data set (--data), or knowledge answers (--knowledge)')
    .option('--data <file>', 'the data set (JSON in the CLINC150 format)')
    .option('--knowledge', "measure the bot's knowledge answers on a labelled question set")
    .option('--dir <dir>', `${DIR_HELP} (with --knowledge)`)
    .option('--questions <file>', 'the question set (with --knowledge; default DIR/evals/knowledge.yml)')
    .option('--json', 'print one JSON object (rates are fractions 0–1)')
    .option(
      '--retention <r>',
      'share of correct validation answers the threshold keeps (default 0.98)',
      (raw) => {
        const value = Number(raw);
        if (!(value > 0 && value <= 1)) throw new InvalidArgumentError('it must be a number in (0, 1].');
        return value;
      },
    )
    .addHelpText(
      'after',
      '\nFILE is one JSON object with "train", "test" and optionally "val", "oos_train", "oos_val",\n"oos_test", each an array of [utterance, label] pairs; the out-of-scope label is "oos".\nTrains on train, picks the confidence threshold on val (+ oos_val), reports on test (+ oos_test).\n\nWith --knowledge: the questions of FILE (YAML: answerable: [{q, source}], unanswerable: [q])\nagainst DIR/knowledge/ as the bot answers them, without a language model: top-1 source\naccuracy, answers from a wrong document, unanswerable questions rejected, time per answer.',
    )
    .action(lazy(() => require('./commands/eval')));
  command('report', 'the headline numbers: automation, handoffs, waiting times, CSAT, top intents')
    .option('--since <span>', 'the last SPAN (e.g. 7d, 24h; default 7d)')
    .option('--from <date>', 'from DATE (ISO 8601) instead of --since')
    .option('--to <date>', 'up to DATE (default now)')
    .option('--channel <name>', 'one channel only')
    .option('--team <name>', 'one team only')
    .option('--json', 'print what GET /api/v1/analytics answers')
    .option('--dir <dir>', DIR_HELP)
    .addHelpText(
      'after',
      "\nCounts the conversations started in the range. Reads the bot's store (DATABASE_URL, else\nSQLite in DATA_DIR).",
    )
    .action(lazy(() => require('./commands/report')));
  command('review', 'decide the review inbox: teach intents from what the bot missed')
    .option('--since <span>', 'messages of the last SPAN (default 30d)')
    .option('--dir <dir>', DIR_HELP)
    .option('--patch', 'write nothing; print the patch instead')
    .addHelpText(
      'after',
      '\nThe messages the bot did not answer well (out of scope, low confidence, repaired), grouped\nby similarity, biggest first. For each group type an intent name to teach it (a new one goes\nto intents/learned.yml), - to mark it out of scope, Enter to skip, q to stop. The change is\nwritten into intents/*.yml (comments kept) and the NLU retrained to show what it now answers.',
    )
    .action(lazy(() => require('./commands/review')));
  return program;
}

/**
 * The error and help output of one command: commander's `error: …` / `(Did you mean …?)`
 * become one line, `switchboard start: unknown option '--dri' (did you mean --dir?)`,
 * followed by the command's usage.
 */
function outputFor(output: CliOutput, prefix: string) {
  return {
    writeOut: (text: string) => output.out(text),
    writeErr: (text: string) => output.err(text),
    outputError: (text: string, write: (text: string) => void) => {
      const lines = text.trim().split('\n');
      const message = (lines[0] ?? '').replace(/^error: /, '');
      const hint = lines
        .slice(1)
        .map((l) => l.replace(/^\(Did you mean/, '(did you mean'))
        .join(' ');
      write(`${prefix}: ${message}${hint ? ` ${hint}` : ''}\n`);
    },
  };
}

/** `--version` or `-V` before any `--`: answered first, whatever the command. */
function asksForVersion(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--version' || a === '-V');
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function run(
  argv: string[],
  plugins: CliPlugins,
  output: CliOutput = processOutput,
): Promise<number> {
  let code = 0;
  const program = buildProgram(
    output,
    (c) => {
      code = c;
    },
    plugins,
  );
  if (argv.length === 0) {
    output.out(program.helpInformation());
    return 0;
  }
  if (asksForVersion(argv) && !argv.includes('--help') && !argv.includes('-h')) {
    output.out(`switchboard ${switchboardPackage().version}\n`);
    return 0;
  }
  // Errors say the command's usage after the one-line message (help after error).
  for (const sub of [program, ...program.commands]) sub.showHelpAfterError(true);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    output.err(`switchboard ${argv[0]}: ${(error as Error).message}\n`);
    return 1;
  }
  return code;
}

/** The `switchboard` executable: runs the CLI and sets the process's exit code. */
export async function main(argv: string[], plugins: CliPlugins): Promise<void> {
  const code = await run(argv, plugins);
  if (code !== 0) process.exitCode = code;
}
