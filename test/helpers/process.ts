/**
 * Real bot processes for the crash and restart tests: a TypeScript fixture run with swc,
 * ready when it prints `LISTENING <url>`, killed with SIGKILL (no goodbye, like a crash).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const register = path.join(root, 'test/helpers/swc-register.js');

export interface BotProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far, line by line. */
  output: string[];
}

/** Every process started here, for an `afterAll(() => killAll())`. */
const children: ChildProcess[] = [];

/**
 * Starts `fixture` (a .ts file) with `env` added to this process's environment (a value of
 * `undefined` removes the variable). Rejects with its output if it exits or stays silent.
 */
export function startBotProcess(
  fixture: string,
  env: Record<string, string | undefined>,
  options: { timeoutMs?: number } = {},
): Promise<BotProcess> {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete merged[key];
  const child = spawn(process.execPath, ['-r', register, fixture], {
    cwd: root,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bot did not start: ${output.join('\n')}`)),
      options.timeoutMs ?? 60_000,
    );
    child.stderr?.on('data', (d) => output.push(String(d)));
    child.stdout?.on('data', (d) => {
      for (const line of String(d).split('\n')) {
        output.push(line);
        const m = /^LISTENING (\S+)/.exec(line);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve({ url: m[1], child, output });
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`bot exited with ${code}: ${output.join('\n')}`)));
  });
}

/** SIGKILL, and wait until it is gone. */
export function sigkill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export async function killAll(): Promise<void> {
  await Promise.all(children.splice(0).map(sigkill));
}
