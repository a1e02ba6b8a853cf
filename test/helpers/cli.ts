/** The CLI as `bin/switchboard.js` composes it (every channel plug-in), for tests. */
import { channels } from '../../adapters';
import { type CliOutput, main as mainOf, run } from '../../src/cli/main';

export function cli(argv: string[], output?: CliOutput): Promise<number> {
  return run(argv, { channels }, output);
}

/** `bin/switchboard.js`'s call, for tests that run the CLI in a child process from the sources. */
export function main(argv: string[]): Promise<void> {
  return mainOf(argv, { channels });
}
