/**
 * The slice of whatsapp-web.js's `Client` the adapter uses, and the factory that
 * builds the real one. Tests inject a fake (an EventEmitter with these methods); the
 * real client launches Chromium and opens web.whatsapp.com, so it is only ever built
 * here, lazily.
 *
 * @module
 */
import path from 'node:path';

/** A `Message` as the library hands it to `message` / `message_ack` listeners (fields we read). */
export interface WaWebMessage {
  id: { _serialized: string; fromMe?: boolean };
  from: string;
  to?: string;
  author?: string | null;
  body: string;
  type: string;
  timestamp?: number;
  fromMe: boolean;
  hasMedia: boolean;
  isStatus?: boolean;
  location?: { latitude: number | string; longitude: number | string; description?: string };
  downloadMedia?(): Promise<{ mimetype: string; data: string; filename?: string | null } | undefined>;
}

/** The client surface the adapter drives. The real `Client` satisfies it. */
export interface WaWebClient {
  on(event: 'qr', listener: (qr: string) => void): unknown;
  on(event: 'authenticated' | 'ready', listener: () => void): unknown;
  on(event: 'auth_failure' | 'disconnected', listener: (reason: string) => void): unknown;
  on(event: 'message', listener: (message: WaWebMessage) => void): unknown;
  on(event: 'message_ack', listener: (message: WaWebMessage, ack: number) => void): unknown;
  removeAllListeners(): unknown;
  initialize(): Promise<void>;
  destroy(): Promise<void>;
  sendMessage(chatId: string, content: string): Promise<{ id: { _serialized: string } }>;
}

export interface ClientFactoryOptions {
  /** LocalAuth keeps the session here (`DATA_DIR/whatsapp-web`). */
  dataPath: string;
  clientId: string;
  executablePath: string | undefined;
}

export type ClientFactory = (options: ClientFactoryOptions) => WaWebClient;

/** Builds the library's real Client: LocalAuth under the data folder, system Chromium, no sandbox. */
export const createRealClient: ClientFactory = (options) => {
  // Required lazily: only a running WhatsApp Web channel needs puppeteer loaded.
  const { Client, LocalAuth } = require('whatsapp-web.js') as typeof import('whatsapp-web.js');
  const client = new Client({
    authStrategy: new LocalAuth({ clientId: options.clientId, dataPath: path.resolve(options.dataPath) }),
    // The default 'local' cache writes ./.wwebjs_cache into the working directory.
    webVersionCache: { type: 'none' },
    puppeteer: {
      headless: true,
      ...(options.executablePath && { executablePath: options.executablePath }),
      // Chromium refuses to run as root with its sandbox (containers); /dev/shm is small in Docker.
      args: ['--no-sandbox', '--disable-setuid-sandbox', '--disable-dev-shm-usage'],
    },
  });
  return client as unknown as WaWebClient;
};
