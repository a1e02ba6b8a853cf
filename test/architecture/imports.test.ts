/**
 * The house rules, checked on the sources: the kernel (`src/`) never imports a channel plug-in
 * (`adapters/`), and a channel plug-in's definition (`adapters/<name>/channel.ts`, what the
 * registry loads for every bot) never loads its SDK. See docs/architecture.md.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'public' ? [] : sources(rel);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [rel] : [];
  });
}

/** Every module a file names in `import … from`, `export … from`, `import()` or `require()`. */
function specifiers(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from|import|require)\s*\(?\s*'([^']+)'/g)) found.push(m[1] as string);
  return found;
}

test('src/ never imports adapters/', () => {
  const offending: Record<string, string[]> = {};
  for (const file of sources('src')) {
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('.')) continue;
      const target = path.relative(root, path.resolve(root, path.dirname(file), spec));
      if (target === 'adapters' || target.startsWith(`adapters${path.sep}`)) {
        offending[file] = [...(offending[file] ?? []), target];
      }
    }
  }
  expect(offending).toEqual({});
});

test("a channel's definition loads no SDK: only its settings, capabilities and the kernel's types", () => {
  const definitions = readdirSync(path.join(root, 'adapters'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join('adapters', d.name, 'channel.ts'))
    .filter((file) => {
      try {
        readFileSync(path.join(root, file));
        return true;
      } catch {
        return false;
      }
    });
  expect(definitions.length).toBeGreaterThanOrEqual(8);
  for (const file of definitions) {
    const text = readFileSync(path.join(root, file), 'utf8');
    // Static imports: relative settings/capabilities modules, or kernel types.
    for (const m of text.matchAll(/^import (type )?.*from '([^']+)';$/gm)) {
      const [, typeOnly, spec] = m as unknown as [string, string | undefined, string];
      const allowed =
        typeOnly !== undefined ||
        /^\.\/(config|capabilities)$/.test(spec) ||
        spec === '../botframework/capabilities';
      expect({ file, spec, allowed }).toEqual({ file, spec, allowed: true });
    }
  }
});

test('the registry and a web-only bot load no channel SDK', () => {
  const script = `
    const { channels } = require('./adapters');
    const { loadConfig } = require('./src/config');
    const { adaptersFromConfig } = require('./src/core/channel');
    const adapters = adaptersFromConfig(loadConfig({ DATA_DIR: require('os').tmpdir() }), channels);
    const loaded = Object.keys(require.cache);
    const sdks = ['telegraf', '@slack/bolt', 'botbuilder', 'whatsapp-web.js', 'bullmq', 'undici', 'chrono-node']
      .filter((sdk) => loaded.some((f) => f.includes('/node_modules/' + sdk + '/')));
    console.log(JSON.stringify({ channels: adapters.map((a) => a.channel), sdks }));
  `;
  const { stdout, status, stderr } = spawnSync(
    process.execPath,
    ['-r', path.join(root, 'test/helpers/swc-register.js'), '-e', script],
    { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } },
  );
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toEqual({ channels: ['web'], sdks: [] });
});

test("the README's project layout names every top-level entry", () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const layout = readme.slice(readme.indexOf('## Project layout'), readme.indexOf('## Licence'));
  // What git ignores (.gitignore) is not part of the layout.
  const ignored = new Set([
    '.git',
    'node_modules',
    'dist',
    'data',
    'coverage',
    '.env',
    'test-results',
    '.cache',
  ]);
  const entries = readdirSync(root).filter(
    (name) => !ignored.has(name) && !/\.(tgz|db|sqlite3?|tsbuildinfo)$|\.db-(wal|shm)$/.test(name),
  );
  const missing = entries.filter(
    (name) => !layout.includes(`\`${name}\``) && !layout.includes(`\`${name}/\``),
  );
  expect(missing).toEqual([]);
});

test('the widget bundle holds only the widget: what it shares with the server is types (adapters/web/wire.ts)', () => {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [path.join(root, 'adapters/web/widget/index.ts')],
    bundle: true,
    write: false,
    metafile: true,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile?.inputs ?? {}).sort();
  expect(inputs).toEqual(['adapters/web/widget/index.ts', 'adapters/web/widget/styles.ts']);
});

test('the widget bundle (dist/web/widget.js, served at /widget.js) has its banner and a source map to the TypeScript', () => {
  const { buildWidget, widgetFile } = require(path.join(root, 'scripts/build-widget.cjs')) as {
    buildWidget(options?: { onlyIfStale?: boolean }): boolean;
    widgetFile: string;
  };
  buildWidget({ onlyIfStale: true });
  const bundle = readFileSync(widgetFile, 'utf8');
  expect(bundle.startsWith('/*! Switchboard web chat widget')).toBe(true);
  expect(bundle).toContain('//# sourceMappingURL=widget.js.map');
  const map = JSON.parse(readFileSync(`${widgetFile}.map`, 'utf8')) as { sources: string[] };
  expect(map.sources.some((s) => s.endsWith('adapters/web/widget/index.ts'))).toBe(true);
});

test('adapters transport: no channel writes delivery state or its records (the outbox owns them)', () => {
  const writes =
    /\.updateDelivery\(|messages\.append\(|events\.add\(\s*[^,]+,\s*'(window_template_sent|window_message_released|delivery_failed)'/;
  const offending = sources('adapters').filter((file) =>
    writes.test(readFileSync(path.join(root, file), 'utf8')),
  );
  expect(offending).toEqual([]);
  // The rules stay the channel's: its plan says whether and how a message may go.
  const planners = sources('adapters').filter((file) =>
    /planDelivery\(/.test(readFileSync(path.join(root, file), 'utf8')),
  );
  expect(planners.sort()).toEqual(['adapters/messenger/index.ts', 'adapters/whatsapp/index.ts']);
});
