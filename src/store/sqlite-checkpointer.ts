/**
 * WAL checkpoints on a thread of their own.
 *
 * In WAL mode every commit appends pages to the `-wal` file; a checkpoint copies them
 * back into the database file and fsyncs it. SQLite runs one automatically inside the
 * COMMIT that crosses 1,000 WAL pages, on the committing thread: under load that was a
 * 5–11 ms stall of the event loop every few dozen commits, and 60 % of all COMMIT time
 * (measured with statement timers during `npm run bench`).
 *
 * Here a worker thread with its own connection runs a PASSIVE checkpoint every
 * `intervalMs`. PASSIVE never blocks the writer and never waits for readers; once it has
 * copied every frame, the writer's next transaction starts the WAL again from its
 * beginning, so the file stays small. The main connection keeps a high automatic
 * checkpoint as a backstop, used only if this thread falls far behind or dies.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';

/** The main connection's own checkpoint threshold while the thread runs (pages, 4 KiB each). */
export const BACKSTOP_PAGES = 16_000;

// Plain CommonJS so it runs the same from the TypeScript sources (tests) and from dist/.
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
let closing = false;
let last = { log: -1, checkpointed: -1 };
const tick = () => {
  if (closing) return;
  let result;
  try {
    [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'checkpoint', ...result });
  } catch (error) {
    // The main connection takes over (its backstop threshold drops back to the default).
    parentPort.postMessage({ type: 'error', message: String((error && (error.message || error.code)) || error) });
    return;
  }
  // Idle (nothing new since the last look): look less often.
  const idle = result.log === last.log && result.checkpointed === last.checkpointed;
  last = result;
  timer = setTimeout(tick, idle ? workerData.idleIntervalMs : workerData.intervalMs);
};
let timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  closing = true;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export interface CheckpointResult {
  /** 1 when the checkpoint could not run at all (another checkpoint held the lock). */
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames copied into the database file so far. */
  checkpointed: number;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private exited: Promise<void>;
  private last: CheckpointResult | undefined;
  private failed = false;

  constructor(
    file: string,
    private readonly onFailure: (error: Error) => void,
    intervalMs = 200,
  ) {
    this.worker = new Worker(source, {
      eval: true,
      workerData: {
        file,
        intervalMs,
        idleIntervalMs: intervalMs * 5,
        driver: require.resolve('better-sqlite3'),
      },
    });
    // Never what keeps a process alive.
    this.worker.unref();
    this.worker.on('message', (message: { type: string; message?: string } & CheckpointResult) => {
      if (message.type === 'checkpoint') this.last = message;
      else if (message.type === 'error') this.fail(new Error(`background checkpoint: ${message.message}`));
    });
    this.worker.on('error', (error: unknown) =>
      // What a worker throws arrives cloned: a SqliteError as a plain object.
      this.fail(
        error instanceof Error ? error : new Error(`background checkpoint: ${JSON.stringify(error)}`),
      ),
    );
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** The most recent checkpoint's outcome (tests, diagnostics). */
  get lastResult(): CheckpointResult | undefined {
    return this.last;
  }

  async close(): Promise<void> {
    // Held open until the thread has closed its connection (the caller is waiting for it).
    this.worker.ref();
    this.worker.postMessage('close');
    // A thread stuck in a checkpoint must not hold up a shutdown.
    const stuck = setTimeout(() => void this.worker.terminate(), 5000);
    await this.exited;
    clearTimeout(stuck);
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.onFailure(error);
  }
}
