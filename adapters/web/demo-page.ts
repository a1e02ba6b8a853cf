/**
 * The page at `/`: the bot's own demo page, made from its settings (name, colour,
 * subtitle, welcome text), with the snippet that embeds the widget elsewhere. The sample
 * bot (Switchboard's own folder) gets the Northwind Goods shop instead; a bot can serve its
 * own file (`WEB_DEMO_PAGE=web/index.html`) or none (`WEB_DEMO_PAGE=off`).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WebSettings } from './config';

const DEFAULT_ACCENT = '#4f46e5';
const DEFAULT_GREETING = 'Ask us anything. We are here to help.';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** The widget's `<script>` tag with the bot's settings as `data-` attributes. */
export function widgetTag(settings: WebSettings, src: string): string {
  const attributes: [string, string | undefined][] = [
    ['data-title', settings.title],
    ['data-subtitle', settings.subtitle],
    ['data-accent', settings.accent],
    ['data-greeting', settings.greeting],
  ];
  const data = attributes
    .filter((a): a is [string, string] => a[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  return `<script src="${escapeHtml(src)}"${data} async></script>`;
}

/** The built-in demo page for a bot, as HTML. `publicUrl` is where the widget is served from. */
export function renderDemoPage(template: string, settings: WebSettings, publicUrl: string): string {
  const values: Record<string, string> = {
    title: escapeHtml(settings.title),
    greeting: escapeHtml(settings.greeting ?? DEFAULT_GREETING),
    accent: escapeHtml(settings.accent ?? DEFAULT_ACCENT),
    snippet: escapeHtml(widgetTag(settings, `${publicUrl}/widget.js`)),
    widget: widgetTag(settings, '/widget.js'),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (hole, name: string) => values[name] ?? hole);
}

/** What `/` serves for this bot: a page to render, a file to send, or nothing. */
export function demoPageFor(
  settings: WebSettings,
  botDir: string,
  publicDir: string,
): { html: string } | { file: string } | null {
  if (settings.demoPage === 'off') return null;
  if (typeof settings.demoPage === 'object') return { file: settings.demoPage.file };
  // The sample bot is the folder Switchboard itself lives in (its intents/ and flows/).
  const switchboardRoot = path.resolve(publicDir, '../../..');
  if (path.resolve(botDir) === switchboardRoot) return { file: path.join(publicDir, 'northwind.html') };
  return { html: readFileSync(path.join(publicDir, 'demo.html'), 'utf8') };
}
