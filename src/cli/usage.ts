/**
 * What the CLI's parser needs before any command loads: the usage error and Switchboard's
 * own package.json. Kept light: `--help` and `--version` load nothing else.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A command line that cannot work (a missing or non-bot `--dir`, a bad option value): the
 * CLI prints `switchboard <command>: <message>`, the command's usage, and exits with 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

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
    if (up === dir) throw new Error("cannot find Switchboard's package.json");
    dir = up;
  }
}
