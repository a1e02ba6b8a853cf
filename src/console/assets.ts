/**
 * The console's browser code, bundled with esbuild (TypeScript and Chart.js in, one
 * minified script out) the first time it is asked for, then served from memory.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SwitchboardError } from '../errors';

let bundle: Promise<string> | undefined;

/** `src/console/public/main.ts`, from the sources or from next to the compiled server (dist). */
function entry(): string {
  const candidates = [
    path.join(__dirname, 'public/main.ts'),
    path.resolve(__dirname, '../../../src/console/public/main.ts'),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (!found)
    throw new SwitchboardError('SB_NOT_FOUND', 'the console sources (src/console/public) are not installed');
  return found;
}

export function consoleScript(): Promise<string> {
  bundle ??= (async () => {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [entry()],
      bundle: true,
      minify: true,
      format: 'iife',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
    });
    return result.outputFiles[0]?.text ?? '';
  })();
  bundle.catch(() => {
    bundle = undefined;
  });
  return bundle;
}
