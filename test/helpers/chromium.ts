/**
 * Chromium for browser tests: Debian's `/usr/bin/chromium` driven by playwright-core
 * (which downloads no browser). Missing locally → the browser tests skip, visibly;
 * missing in CI → the run fails, so a broken image cannot pass silently.
 */
import fs from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Chromium itself (not the page) calls Google services in the background even with the
 * "quiet" flags (`shared/research/webchat.md` §4). A proxy on a closed loopback port
 * sinks those calls; loopback traffic, which is all a test page may use, bypasses proxies.
 */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-features=AutofillServerCommunication',
  '--proxy-server=http://127.0.0.1:9',
];

/** True when Chromium is installed. Otherwise warns (local) or throws (`CI=true`). */
export function hasChromium(): boolean {
  if (fs.existsSync(CHROMIUM_PATH)) return true;
  const message = `Chromium not found at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`${message}; browser tests cannot be skipped in CI`);
  console.warn(`SKIPPING browser tests. ${message}.`);
  return false;
}

/** Launches headless Chromium with the network-quiet flags. Call `hasChromium()` first to decide on skipping. */
export async function launchChromium(): Promise<Browser> {
  if (!hasChromium()) throw new Error(`Chromium not found at ${CHROMIUM_PATH}`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 20_000 });
}
