import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';
import { formatProblem, SourceFileError } from '../../errors';
import { relativeProblem } from '../../flows/cli';
import { resolveBotDir } from '../bot-dir';
import type { ChannelDefinition } from '../../core/channel';
import { startBot } from './start';

/** `switchboard dev [--dir DIR]`: runs the bot and reloads intents, flows and actions on save. */
export async function run(options: {
  dir?: string;
  channels: readonly ChannelDefinition[];
}): Promise<number> {
  const dir = resolveBotDir(options.dir, { allowEmpty: true });
  const started = await startBot(dir, 'dev', options.channels);
  if (typeof started === 'number') return started;
  const { bot } = started;
  console.log(
    `\n  Switchboard dev: web chat on ${bot.url}; watching intents/, flows/, actions/ and knowledge/ (Ctrl+C stops)\n`,
  );
  const content = bot.content;
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let reloading = Promise.resolve();
  const reload = (file: string) => {
    clearTimeout(timer);
    // Editors save in bursts (temp file, rename, chmod): reload once it settles.
    timer = setTimeout(() => {
      reloading = reloading.then(async () => {
        if (!content) return;
        const started = Date.now();
        try {
          const loaded = await content.load();
          console.log(
            `↻ ${file}: reloaded ${loaded.intents?.intents.length ?? 0} intents, ${loaded.flows.flows.size} flows, ${loaded.knowledge?.size ?? 0} knowledge documents in ${Date.now() - started} ms`,
          );
        } catch (error) {
          if (!(error instanceof SourceFileError)) throw error;
          console.error(`✗ ${file}: not reloaded, the bot keeps the last good version:`);
          for (const p of error.problems) {
            console.error(formatProblem(relativeProblem(p, dir)));
          }
        }
      });
    }, 150);
  };
  for (const sub of ['intents', 'flows', 'actions', 'knowledge']) {
    try {
      // knowledge/ may have sub-folders (care/linen.md).
      const options = { recursive: sub === 'knowledge' };
      watchers.push(
        watch(path.join(dir, sub), options, (_event, name) => reload(path.join(sub, String(name ?? '')))),
      );
    } catch {
      // The folder does not exist: nothing to watch.
    }
  }
  await new Promise<void>((resolve) => {
    const shutdown = () => {
      for (const w of watchers) w.close();
      void reloading.then(() => bot.stop()).then(resolve);
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
  return 0;
}
