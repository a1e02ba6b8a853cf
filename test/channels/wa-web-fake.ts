/**
 * A fake whatsapp-web.js Client: an EventEmitter with the methods the adapter calls,
 * emitting the library's events with the fixture payloads (fixtures/whatsapp-web).
 */
import { EventEmitter } from 'node:events';
import type { WaWebClient, WaWebMessage } from '../../adapters/whatsapp-web/client';
import { fixture } from './meta-harness';

export class FakeWaClient extends EventEmitter implements WaWebClient {
  initialized = 0;
  destroyed = false;
  private loggedIn = false;
  constructor(private readonly shared: { sent: { chatId: string; content: string }[]; nextIds: string[] }) {
    super();
  }
  async initialize(): Promise<void> {
    this.initialized++;
    // Like the library: the QR comes after initialize() has started the page, and only until login.
    setImmediate(() => {
      if (!this.loggedIn) this.emit('qr', ...fixture('whatsapp-web', 'event-qr.json').args);
    });
  }
  /** The phone scanned the QR: 'authenticated' then 'ready' (fixtures/whatsapp-web/event-ready.json). */
  login(): void {
    this.loggedIn = true;
    for (const step of fixture('whatsapp-web', 'event-ready.json').sequence)
      this.emit(step.event, ...step.args);
  }
  async destroy(): Promise<void> {
    this.destroyed = true;
  }
  async sendMessage(chatId: string, content: string): Promise<{ id: { _serialized: string } }> {
    this.shared.sent.push({ chatId, content });
    const id = this.shared.nextIds.shift() ?? `true_${chatId}_SENT${this.shared.sent.length}`;
    return { id: { _serialized: id } };
  }
}

/** A fixture Message with the methods the library's Message has. */
export function messageFixture(file: string): WaWebMessage {
  const { downloadMedia_result: media, ...fields } = fixture('whatsapp-web', file);
  return { ...fields, downloadMedia: async () => media };
}
