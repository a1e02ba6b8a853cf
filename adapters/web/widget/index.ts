/*! Switchboard web chat widget. No dependencies, everything inside an open Shadow DOM.
 * Embed: <script src="https://bot.example.com/widget.js" data-title="Acme" async></script>
 * Options (data-*): title, subtitle, accent, greeting, open, identity-token, triggers (adapters/web/README.md).
 * API: window.Switchboard.open() / .close() / .identify(token) / .send(text) / .init({ triggers })
 * Triggers (data-triggers='[…]' JSON, or init): [{ page: '/pricing' | '/docs/*', afterSeconds: 20, greeting: '…' }]
 * Server side: adapters/web/index.ts (POST/GET /web/messages, WebSocket /web/socket); the
 * wire format both sides use: adapters/web/wire.ts. Bundled to one ES2020 script by esbuild
 * (scripts/build-widget.cjs → dist/web/widget.js). */
import type { Button, CardContent, Content, MediaContent, PostbackButton } from '../../../src/model/content';
import type {
  WebClientFrame,
  WebErrorBody,
  WebMessage,
  WebPage,
  WebPostAnswer,
  WebPostBody,
  WebServerFrame,
} from '../wire';
import { CSS } from './styles';

/** What `window.Switchboard` offers the host page. */
interface SwitchboardApi {
  version: string;
  open(): void;
  close(): void;
  identify(token?: string | null): void;
  send(text: string): void;
  init(options?: { triggers?: unknown }): void;
}

/** Calls a host page queued before the script arrived: `[['identify', token], ['open']]`. */
type QueuedCall = [keyof SwitchboardApi, ...unknown[]];

declare global {
  interface Window {
    Switchboard?: SwitchboardApi | QueuedCall[];
  }
}

/** A page trigger: open with a greeting on a page, after some seconds. */
interface Trigger {
  id?: string;
  page?: string;
  afterSeconds?: number;
  greeting: string;
  once?: boolean;
}

/** A message as the widget holds it: the server's, or our own not yet stored. */
type LocalMessage = Omit<WebMessage, 'conversationId' | 'seq' | 'channel'> &
  Partial<Pick<WebMessage, 'conversationId' | 'seq' | 'channel'>>;

/** What the visitor sends: a text or a button press. */
type Outgoing = Pick<WebPostBody, 'text' | 'postback'>;

/** A rendered message. */
interface Rec {
  m: LocalMessage;
  /** Ours, not yet confirmed by the server; or refused. */
  state: 'pending' | 'failed' | null;
  body?: Outgoing;
  error?: string | undefined;
  /** The server's copy is shown. */
  server?: boolean;
  row?: HTMLElement;
  divider?: HTMLElement;
  name?: HTMLElement | null;
  /** Its buttons, disabled once the customer has answered. */
  btns: HTMLButtonElement[];
  qr?: HTMLElement | null;
  qrUsed?: boolean;
}

/** A message's body elements: the first carries its data attributes. */
type Body = [HTMLElement, ...(HTMLElement | null)[]];

type Child = Node | string | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

interface Elements {
  style: HTMLStyleElement;
  badge: HTMLSpanElement;
  launcher: HTMLButtonElement;
  previewName: HTMLElement;
  previewText: HTMLSpanElement;
  preview: HTMLButtonElement;
  close: HTMLButtonElement;
  banner: HTMLDivElement;
  intro: HTMLDivElement;
  typing: HTMLDivElement;
  log: HTMLDivElement;
  jump: HTMLButtonElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  form: HTMLFormElement;
  panel: HTMLElement;
  root: HTMLDivElement;
}

function boot(): void {
  const loaded = window.Switchboard;
  if (loaded && !Array.isArray(loaded) && loaded.version) return; // loaded twice: keep the first
  const script =
    (document.currentScript as HTMLScriptElement | null) ||
    [...document.querySelectorAll<HTMLScriptElement>('script[src]')].find((s) =>
      /\/widget\.js(\?|$)/.test(s.src),
    );
  if (!script) return;
  const cfg = script.dataset;
  const base = new URL('.', script.src);
  const api = new URL('web/messages', base).href;
  const socketUrl = new URL('web/socket', base);
  socketUrl.protocol = socketUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const title = cfg.title || 'Chat with us';
  const subtitle = cfg.subtitle || '';
  const greeting = cfg.greeting || 'Ask us anything. We are here to help.';

  // ---------- small helpers ----------
  const store = (() => {
    try {
      const k = '__sb_probe';
      localStorage.setItem(k, k);
      localStorage.removeItem(k);
      return localStorage;
    } catch {
      const m = new Map<string, string>(); // storage blocked (private mode, sandboxed iframe): remember for this page only
      return {
        getItem: (k: string): string | null => m.get(k) ?? null,
        setItem: (k: string, v: string): void => {
          m.set(k, String(v));
        },
      };
    }
  })();
  // Whether the panel is open, per tab: a reload keeps it as it was, a new tab starts closed.
  const openState = {
    get: () => {
      try {
        return sessionStorage.getItem('switchboard.open') === '1';
      } catch {
        return false;
      }
    },
    set: (on: boolean) => {
      try {
        if (on) sessionStorage.setItem('switchboard.open', '1');
        else sessionStorage.removeItem('switchboard.open');
      } catch {}
    },
  };
  // randomUUID exists only in secure contexts; a host page on plain http still needs ids.
  const uuid = (): string =>
    typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => {
          const n = Number(c);
          return (n ^ ((crypto.getRandomValues(new Uint8Array(1))[0] ?? 0) & (15 >> (n / 4)))).toString(16);
        });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const backoff = (n: number) => Math.min(30000, 500 * 2 ** Math.min(n, 6)) * (0.75 + Math.random() / 2);
  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
  const initials = (name: string | undefined) =>
    (name || '?')
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => (w[0] ?? '').toUpperCase())
      .join('');
  /** Builds an element. Children are nodes or strings (always text nodes: message text never becomes HTML). */
  function h<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    attrs?: Attrs | null,
    ...children: Child[]
  ): HTMLElementTagNameMap[K] {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = String(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c != null && c !== false) el.append(c as Node | string);
    return el;
  }
  /** Only http(s) URLs, resolved against the bot's origin; anything else (javascript:, data:) is dropped. */
  function safeUrl(u: string | undefined): string | null {
    if (!u) return null;
    try {
      const url = new URL(u, base);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch {
      return null;
    }
  }
  /** Text with http(s) URLs turned into links, built from text nodes only. */
  function linkify(text: string): (Node | string)[] {
    const out: (Node | string)[] = [];
    const re = /\bhttps?:\/\/[^\s<>"]+/gi;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      let url = m[0];
      const trail = /[.,;:!?'"\]]+$|\)+$/.exec(url);
      if (trail && !(trail[0].startsWith(')') && url.includes('('))) url = url.slice(0, -trail[0].length);
      const href = safeUrl(url);
      out.push(text.slice(last, m.index));
      out.push(href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, url) : url);
      last = m.index + url.length;
      re.lastIndex = last;
    }
    out.push(text.slice(last));
    return out.filter((s) => s !== '');
  }
  const I = {
    chat: '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.5 1.2 4.7 3.2 6.3L4.4 21.3c-.1.5.4.9.8.6l3.9-2.1c.9.2 1.9.4 2.9.4 5.5 0 10-3.9 10-8.6S17.5 3 12 3Z"/></svg>',
    down: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="m6 9 6 6 6-6"/></svg>',
    close:
      '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18"/></svg>',
    send: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M12 19V5M5 12l7-7 7 7"/></svg>',
    ext: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/></svg>',
    pin: '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7Zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5Z"/></svg>',
    file: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" aria-hidden="true"><path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8l-5-5Z"/><path d="M14 3v5h5"/></svg>',
    prev: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="m15 6-6 6 6 6"/></svg>',
    next: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="m9 6 6 6-6 6"/></svg>',
  };
  const icon = (name: keyof typeof I, cls?: string) => {
    const s = h('span', { class: 'ic ' + (cls || '') });
    s.innerHTML = I[name]; // static markup from this file, never message data
    return s;
  };

  // ---------- styles ----------

  // ---------- DOM ----------
  const host = h('div', { id: 'switchboard-widget' });
  const shadow = host.attachShadow({ mode: 'open' });
  const $ = {} as Elements;
  $.style = h('style', {}, CSS);
  $.badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  $.launcher = h(
    'button',
    {
      class: 'launcher',
      type: 'button',
      'data-testid': 'sb-launcher',
      'aria-label': 'Open chat: ' + title,
      'aria-expanded': 'false',
      'aria-controls': 'sb-panel',
      onclick: () => (isOpen ? close() : open()),
    },
    icon('chat', 'i-chat'),
    icon('down', 'i-down'),
    $.badge,
  );
  $.previewName = h('b');
  $.previewText = h('span');
  $.preview = h(
    'button',
    { class: 'preview', type: 'button', hidden: true, onclick: () => open() },
    $.previewName,
    $.previewText,
  );
  $.close = h(
    'button',
    { class: 'x', type: 'button', 'aria-label': 'Close chat', onclick: () => close() },
    icon('close'),
  );
  $.banner = h('div', { class: 'banner', role: 'status', hidden: true }, 'Connection lost. Reconnecting…');
  $.intro = h('div', { class: 'intro' }, h('h3', {}, 'Hi there'), h('p', {}, greeting));
  $.typing = h(
    'div',
    { class: 'row bot first last typing', 'data-testid': 'sb-typing', hidden: true, 'aria-label': 'Typing' },
    h(
      'div',
      { class: 'line' },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(title)),
      h('div', { class: 'bubble' }, h('i'), h('i'), h('i')),
    ),
  );
  $.log = h(
    'div',
    { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0' },
    $.intro,
  );
  $.jump = h(
    'button',
    { class: 'jump', type: 'button', hidden: true, onclick: () => scrollToEnd(true) },
    'New messages ↓',
  );
  $.input = h('textarea', {
    rows: '1',
    placeholder: 'Write a message…',
    'aria-label': 'Message',
    'data-testid': 'sb-input',
    enterkeyhint: 'send',
    maxlength: '4000',
  });
  $.send = h(
    'button',
    { class: 'send', type: 'submit', 'aria-label': 'Send message', 'data-testid': 'sb-send', disabled: true },
    icon('send'),
  );
  $.form = h(
    'form',
    {},
    h('div', { class: 'box' }, $.input, $.send),
    h('div', { class: 'foot' }, 'Powered by ', h('b', {}, 'Switchboard')),
  );
  $.panel = h(
    'section',
    {
      class: 'panel',
      id: 'sb-panel',
      role: 'dialog',
      'aria-label': title,
      'data-testid': 'sb-panel',
      hidden: true,
    },
    h(
      'header',
      {},
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(title)),
      h('div', { class: 'hd' }, h('h2', {}, title), subtitle ? h('p', {}, subtitle) : null),
      $.close,
    ),
    $.banner,
    h('div', { class: 'logwrap' }, $.log, $.jump),
    $.form,
  );
  $.root = h('div', { class: 'sb' }, $.preview, $.panel, $.launcher);
  shadow.append($.style, $.root);
  $.log.append($.typing);

  // ---------- state ----------
  let visitorId = store.getItem('switchboard.visitorId');
  let identity: string | null = cfg.identityToken || null;
  let isOpen = false;
  let started = false;
  let epoch = 0; // bumped by identify(): responses from an older identity are ignored
  let cursor: string | null = null;
  let ws: WebSocket | null = null;
  let socketOpen = false;
  let socketFails = 0;
  let polling = false;
  let pollAbort: AbortController | null = null;
  let atBottom = true;
  let typingTimer = 0;
  let lastTypingSent = 0;
  let typingIdle = 0;
  const recs: Rec[] = []; // rendered messages, in display order
  const byId = new Map<string, Rec>();
  const byClientId = new Map<string, Rec>();

  const headers = (json: boolean) => {
    const hd: Record<string, string> = {};
    if (json) hd['Content-Type'] = 'application/json';
    if (identity) hd['X-Switchboard-Identity'] = identity;
    return hd;
  };
  function dropIdentity() {
    console.warn('[switchboard] the identity token was rejected (401); continuing as an anonymous visitor');
    identity = null;
  }

  // ---------- rendering ----------
  const authorName = (m: LocalMessage) =>
    m.author === 'customer'
      ? 'You'
      : m.author === 'operator'
        ? m.authorName || 'Agent'
        : m.author === 'system'
          ? ''
          : title; // a bot speaks as the host site's brand (data-title), not as its server-side name

  function buttonEl(b: Button, rec: Rec): HTMLElement | null {
    if (b.type === 'url') {
      const href = safeUrl(b.url);
      if (!href) return null;
      return h(
        'a',
        { class: 'btn', href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'sb-button' },
        b.title,
        icon('ext'),
      );
    }
    const el = h(
      'button',
      { class: 'btn', type: 'button', 'data-testid': 'sb-button', onclick: () => pressed(b, rec) },
      b.title || b.payload,
    );
    rec.btns.push(el); // disabled once the customer has answered (regroup)
    return el;
  }
  const buttonsEl = (list: Button[] | undefined, rec: Rec) =>
    list?.length
      ? h(
          'div',
          { class: 'btns' },
          list.map((b) => buttonEl(b, rec)),
        )
      : null;

  function mediaEl(c: MediaContent): Body {
    const href = safeUrl(c.url);
    const cap = c.caption ? h('div', { class: 'cap' }, linkify(c.caption)) : null;
    if (!href)
      return [
        h('div', { class: 'bubble', 'data-testid': 'sb-message' }, c.caption || c.filename || 'Attachment'),
      ];
    let inner: HTMLElement | undefined;
    if (c.kind === 'image') {
      const img = h('img', { src: href, alt: c.caption || c.filename || 'Image', loading: 'lazy' });
      img.addEventListener('load', () => atBottom && scrollToEnd());
      inner = h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, img);
    } else if (c.kind === 'video') inner = h('video', { src: href, controls: true, preload: 'metadata' });
    else if (c.kind === 'audio') inner = h('audio', { src: href, controls: true, preload: 'none' });
    if (inner) return [h('div', { class: 'bubble media', 'data-testid': 'sb-message' }, inner, cap)];
    return [
      h(
        'div',
        { class: 'bubble', 'data-testid': 'sb-message' },
        h(
          'a',
          {
            class: 'filelink',
            href,
            target: '_blank',
            rel: 'noopener noreferrer',
            download: c.filename || true,
          },
          icon('file'),
          c.filename || href.split('/').pop() || 'File',
        ),
        c.caption ? h('div', {}, linkify(c.caption)) : null,
      ),
    ];
  }

  function cardsEl(c: CardContent, rec: Rec): Body {
    const cards = (c.cards || []).map((card) => {
      const img = card.imageUrl && safeUrl(card.imageUrl);
      return h(
        'div',
        { class: 'card', role: 'group', 'aria-label': card.title },
        img ? h('img', { src: img, alt: '', loading: 'lazy' }) : null,
        h(
          'div',
          { class: 'body' },
          h('h4', {}, card.title),
          card.subtitle ? h('p', {}, card.subtitle) : null,
        ),
        (card.buttons || []).map((b) => buttonEl(b, rec)),
      );
    });
    const list = h('div', { class: 'cards', 'data-testid': 'sb-message' }, cards);
    if (cards.length < 2) return [list];
    const step = (dir: number) => list.scrollBy({ left: dir * 242, behavior: 'smooth' });
    const prev = h(
      'button',
      { class: 'nav p', type: 'button', 'aria-label': 'Previous', hidden: true, onclick: () => step(-1) },
      icon('prev'),
    );
    const next = h(
      'button',
      { class: 'nav n', type: 'button', 'aria-label': 'Next', onclick: () => step(1) },
      icon('next'),
    );
    list.addEventListener('scroll', () => {
      prev.hidden = list.scrollLeft < 8;
      next.hidden = list.scrollLeft + list.clientWidth > list.scrollWidth - 8;
    });
    return [h('div', { class: 'carousel' }, list, prev, next)];
  }

  function bodyEls(rec: Rec): Body {
    const c: Content = rec.m.content || { type: 'text', text: rec.m.text || '' };
    switch (c.type) {
      case 'media':
        return mediaEl(c);
      case 'card':
        return cardsEl(c, rec);
      case 'location': {
        const lat = Number(c.latitude);
        const lon = Number(c.longitude);
        // A plain link to the map, never an embedded map: the widget loads nothing from third parties.
        const href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
        return [
          h(
            'div',
            { class: 'bubble', 'data-testid': 'sb-message' },
            h(
              'a',
              { class: 'loc', href, target: '_blank', rel: 'noopener noreferrer' },
              icon('pin'),
              h(
                'span',
                {},
                c.name || 'Location',
                h('small', {}, c.address || `${lat.toFixed(5)}, ${lon.toFixed(5)}`),
              ),
            ),
          ),
        ];
      }
      case 'postback':
        return [h('div', { class: 'bubble', 'data-testid': 'sb-message' }, c.title || c.payload)];
      default: {
        const text = c.type === 'text' ? c : undefined;
        return [
          h('div', { class: 'bubble', 'data-testid': 'sb-message' }, linkify(text?.text ?? rec.m.text ?? '')),
          buttonsEl(text?.buttons, rec),
        ];
      }
    }
  }

  function render(rec: Rec): void {
    const m = rec.m;
    const c = m.content;
    const cust = m.author === 'customer';
    const row = rec.row || h('div', {});
    rec.row = row;
    row.className =
      'row ' + (['customer', 'bot', 'operator', 'system'].includes(m.author) ? m.author : 'bot');
    if (rec.state) row.classList.add(rec.state);
    row.dataset.key = m.id;
    rec.btns = [];
    const els = bodyEls(rec);
    const main = els[0];
    main.dataset.author = m.author;
    main.dataset.messageId = m.id;
    if (m.clientMessageId) main.dataset.clientMessageId = m.clientMessageId;
    if (rec.state) main.dataset.state = rec.state;
    const time = m.createdAt ? new Date(m.createdAt) : new Date();
    const wide = c.type === 'card';
    main.title = timeFmt.format(time);
    const col = h('div', { class: 'col' + (wide ? ' wide' : '') }, els);
    let meta: HTMLElement | null = null;
    if (rec.state === 'failed') {
      meta = h(
        'div',
        { class: 'meta', role: 'alert' },
        (rec.error || 'Not sent') + ' · ',
        h('button', { type: 'button', 'data-testid': 'sb-retry', onclick: () => post(rec) }, 'Retry'),
      );
    } else if (rec.state === 'pending') meta = h('div', { class: 'meta' }, 'Sending…');
    else if (m.author !== 'system') meta = h('div', { class: 'meta' }, timeFmt.format(time));
    const who = authorName(m);
    const avatar =
      cust || m.author === 'system'
        ? null
        : h(
            'span',
            { class: 'avatar' + (m.author === 'operator' ? ' op' : ''), 'aria-hidden': 'true' },
            initials(who),
          );
    row.replaceChildren(
      ...[
        h('div', { class: 'divider' }),
        m.author === 'operator' ? h('div', { class: 'name' }, who) : null,
        h('div', { class: 'line' }, who ? h('span', { class: 'sr' }, who + ': ') : null, avatar, col),
        meta,
      ].filter((el): el is HTMLElement => el !== null),
    );
    rec.divider = row.firstElementChild as HTMLElement;
    rec.name = m.author === 'operator' ? (row.children[1] as HTMLElement) : null;
    const qr = c.type === 'text' && !rec.qrUsed && c.quickReplies?.length ? c.quickReplies : null;
    rec.qr = qr
      ? h(
          'div',
          { class: 'qr', role: 'group', 'aria-label': 'Suggested replies' },
          qr.map((b) =>
            h(
              'button',
              { class: 'chip', type: 'button', 'data-testid': 'sb-button', onclick: () => pressed(b, rec) },
              b.title || b.payload,
            ),
          ),
        )
      : null;
    if (rec.qr) row.append(rec.qr);
  }

  /** Grouping, dividers and quick-reply visibility depend on neighbours: recomputed after every change. */
  function regroup(): void {
    let prev: Rec | null = null;
    recs.forEach((rec, i) => {
      const row = rec.row;
      if (!row) return;
      const m = rec.m;
      const t = Date.parse(m.createdAt) || Date.now();
      const next = recs[i + 1];
      const before: Rec | null = prev;
      const gap = !before || t - (Date.parse(before.m.createdAt) || t) > 15 * 60e3;
      const same = (a: Rec | null | undefined, b: Rec | null | undefined) =>
        a &&
        b &&
        a.m.author === b.m.author &&
        (a.m.authorName || '') === (b.m.authorName || '') &&
        a.m.author !== 'system';
      const first = gap || !same(before, rec);
      const nt = next && Date.parse(next.m.createdAt);
      const last = !next || !same(rec, next) || (nt && nt - t > 15 * 60e3) || !!next.state !== !!rec.state;
      row.classList.toggle('first', first);
      row.classList.toggle('last', !!last);
      if (rec.name) rec.name.hidden = !first;
      const d = new Date(t);
      const today = new Date().toDateString() === d.toDateString();
      if (rec.divider) {
        rec.divider.textContent = gap ? (today ? 'Today' : dayFmt.format(d)) + ' · ' + timeFmt.format(d) : '';
        rec.divider.hidden = !gap;
      }
      // Quick replies are offered until the customer says anything after them; buttons stay
      // visible (what was asked) but cannot be pressed again: the question was answered.
      const answered = recs.slice(i + 1).some((r) => r.m.author === 'customer');
      if (rec.qr) rec.qr.hidden = answered;
      for (const b of rec.btns) b.disabled = answered;
      prev = rec;
    });
    $.intro.hidden = recs.length > 0;
  }

  const order = (a: Rec, b: Rec): number =>
    a.state && !b.state
      ? 1
      : b.state && !a.state
        ? -1
        : a.m.conversationId === b.m.conversationId && a.m.seq != null && b.m.seq != null
          ? a.m.seq - b.m.seq
          : (Date.parse(a.m.createdAt) || 0) - (Date.parse(b.m.createdAt) || 0);

  function place(rec: Rec): void {
    const old = recs.indexOf(rec);
    if (old >= 0) recs.splice(old, 1);
    let i = recs.length;
    while (i > 0 && order(recs[i - 1] as Rec, rec) > 0) i--;
    recs.splice(i, 0, rec);
    if (rec.row) $.log.insertBefore(rec.row, recs[i + 1]?.row ?? $.typing);
  }

  /** A message from the server (history, poll or socket). Deduped by id; merges our own pending copy. */
  function receive(m: WebMessage, live: boolean): void {
    if (!m?.id) return;
    if (m.content && m.content.type === 'typing') {
      setTyping(m.content.on);
      return;
    }
    let rec = byId.get(m.id) || (m.clientMessageId ? byClientId.get(m.clientMessageId) : undefined);
    if (rec?.server) return; // already shown
    const wasBottom = atBottom;
    if (rec) {
      byId.delete(rec.m.id);
      rec.m = m;
      rec.state = null;
    } else {
      rec = { m, state: null, btns: [] };
      if (live && m.author !== 'customer' && m.author !== 'system') showPreview(m);
      if (m.author === 'bot' || m.author === 'operator') setTyping(false);
    }
    rec.server = true;
    byId.set(m.id, rec);
    if (m.clientMessageId) byClientId.set(m.clientMessageId, rec);
    render(rec);
    place(rec);
    regroup();
    updateUnread();
    if (wasBottom) scrollToEnd();
    else if (m.author !== 'customer') $.jump.hidden = false;
  }

  function setTyping(on: boolean): void {
    clearTimeout(typingTimer);
    const wasBottom = atBottom;
    $.typing.hidden = !on;
    if (on) typingTimer = window.setTimeout(() => setTyping(false), 20000); // a lost "off" frame must not leave dots forever
    if (on && wasBottom) scrollToEnd();
  }

  function scrollToEnd(smooth?: boolean): void {
    const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
    $.log.scrollTo({ top: $.log.scrollHeight, behavior: smooth && !reduce ? 'smooth' : 'auto' });
    atBottom = true;
    $.jump.hidden = true;
  }
  $.log.addEventListener('scroll', () => {
    atBottom = $.log.scrollHeight - $.log.scrollTop - $.log.clientHeight < 48;
    if (atBottom) $.jump.hidden = true;
  });

  // ---------- unread badge and preview ----------
  const seenKey = 'switchboard.seenAt';
  function updateUnread() {
    if (isOpen && document.visibilityState === 'visible') {
      const latest = recs.reduce(
        (a, r) => (!r.state && r.m.createdAt > a ? r.m.createdAt : a),
        store.getItem(seenKey) || '',
      );
      if (latest) store.setItem(seenKey, latest);
    }
    const seen = store.getItem(seenKey) || '';
    const n = recs.filter(
      (r) => (r.m.author === 'bot' || r.m.author === 'operator') && r.m.createdAt > seen,
    ).length;
    $.badge.hidden = n === 0 || isOpen;
    $.badge.textContent = n > 9 ? '9+' : String(n);
    $.launcher.setAttribute(
      'aria-label',
      (isOpen ? 'Close chat' : 'Open chat: ' + title) + (n && !isOpen ? ` (${n} unread)` : ''),
    );
  }
  document.addEventListener('visibilitychange', updateUnread);
  function showPreview(m: LocalMessage): void {
    if (isOpen) return;
    const c = m.content;
    const text =
      c.type === 'text'
        ? c.text
        : c.type === 'media'
          ? c.caption || 'Sent an attachment'
          : c.type === 'card'
            ? (c.cards || [])[0]?.title
            : m.text;
    $.previewName.textContent = authorName(m);
    $.previewText.textContent = text || '';
    $.preview.hidden = !text;
  }

  // ---------- sending ----------
  function pressed(b: PostbackButton, rec?: Rec): void {
    if (rec?.qr) {
      rec.qrUsed = true;
      rec.qr.remove();
      rec.qr = null;
    }
    send({ postback: { payload: b.payload ?? b.title, title: b.title || b.payload } });
  }

  function send(body: Outgoing): void {
    start();
    const cid = uuid();
    const m: LocalMessage = {
      id: 'local:' + cid,
      author: 'customer',
      channel: 'web',
      clientMessageId: cid,
      createdAt: new Date().toISOString(),
      text: body.text || body.postback?.title || '',
      content: body.postback
        ? { type: 'postback', ...body.postback }
        : { type: 'text', text: body.text ?? '' },
    };
    const rec: Rec = { m, state: 'pending', body, btns: [] };
    byId.set(m.id, rec);
    byClientId.set(cid, rec);
    render(rec);
    place(rec);
    regroup();
    scrollToEnd();
    post(rec);
  }

  const setState = (rec: Rec, state: Rec['state'], error?: string) => {
    rec.state = state;
    rec.error = error;
    render(rec);
    regroup();
  };

  async function post(rec: Rec): Promise<void> {
    if (rec.state === 'failed') setState(rec, 'pending');
    const my = epoch;
    for (let attempt = 0; ; attempt++) {
      let res: Response | null = null;
      const body: WebPostBody = {
        visitorId: visitorId ?? '',
        ...rec.body,
        ...(rec.m.clientMessageId !== undefined && { clientMessageId: rec.m.clientMessageId }),
      };
      try {
        res = await fetch(api, {
          method: 'POST',
          headers: headers(true),
          body: JSON.stringify(body),
        });
      } catch {}
      if (my !== epoch || rec.state !== 'pending') return; // identity changed, or the echo already arrived
      if (res?.ok) {
        const j = (await res.json().catch(() => ({}))) as Partial<WebPostAnswer>;
        if (rec.state !== 'pending') return;
        if (j.messageId && !byId.has(j.messageId)) {
          byId.delete(rec.m.id);
          rec.m = { ...rec.m, id: j.messageId, conversationId: j.conversationId };
          byId.set(j.messageId, rec);
        }
        rec.state = null; // sent: the bubble moves into place when the server's copy arrives
        render(rec);
        regroup();
        if (!socketOpen && !polling) sync().catch(() => {});
        return;
      }
      if (res && res.status === 401 && identity) {
        dropIdentity();
        continue;
      }
      if (res && res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        const j = (await res.json().catch(() => ({}))) as Partial<WebErrorBody>;
        setState(rec, 'failed', j.error?.message || 'Not sent');
        return;
      }
      if (attempt >= 4) {
        setState(rec, 'failed', 'Not sent');
        return;
      }
      await sleep(backoff(attempt));
    }
  }

  // ---------- receiving: history, socket, long-poll fallback ----------
  async function sync(wait?: number, signal?: AbortSignal): Promise<void> {
    const after = cursor;
    const my = epoch;
    const q = new URLSearchParams({ visitorId: visitorId ?? '' });
    if (after != null) q.set('after', after);
    if (wait) q.set('wait', String(wait));
    const res = await fetch(api + '?' + q, {
      headers: headers(false),
      cache: 'no-store',
      ...(signal && { signal }),
    });
    if (my !== epoch) return;
    if (res.status === 401 && identity) {
      dropIdentity();
      throw new Error('identity rejected');
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const j = (await res.json()) as WebPage;
    if (my !== epoch) return;
    for (const m of j.messages || []) receive(m, after != null);
    // Two requests may overlap (socket gap-fill and a poll): only the one that started from the current cursor may move it.
    if (cursor === after && j.cursor != null) cursor = String(j.cursor);
    $.banner.hidden = true;
  }

  function connect(): void {
    if (!started || ws) return;
    if (typeof WebSocket !== 'function') {
      void poll();
      return;
    }
    const url = new URL(socketUrl);
    url.searchParams.set('visitorId', visitorId ?? '');
    if (identity) url.searchParams.set('identity', identity);
    const my = epoch;
    const sock = new WebSocket(url.href);
    ws = sock;
    let opened = false;
    sock.onopen = () => {
      if (ws !== sock) return;
      opened = true;
      socketOpen = true;
      socketFails = 0;
      if (pollAbort) pollAbort.abort();
      sync().catch(() => {}); // fill whatever was said while we were not connected
    };
    sock.onmessage = (ev) => {
      if (ws !== sock || my !== epoch) return;
      let f: WebServerFrame;
      try {
        f = JSON.parse(String(ev.data)) as WebServerFrame;
      } catch {
        return;
      }
      if (f.type === 'message') receive(f.message, true);
      else if (f.type === 'typing') setTyping(!!f.on);
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      socketOpen = false;
      if (!started) return;
      socketFails = opened ? 1 : socketFails + 1;
      void poll(); // keeps messages flowing while the socket is down (or was never possible: proxies)
      setTimeout(connect, backoff(socketFails));
    };
  }

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    let fails = 0;
    while (started && !socketOpen) {
      pollAbort = new AbortController();
      try {
        await sync(25, pollAbort.signal);
        fails = 0;
      } catch {
        if (socketOpen || !started) break;
        fails++;
        if (fails > 1) $.banner.hidden = false;
        await sleep(backoff(fails));
      }
    }
    polling = false;
  }

  function start(): void {
    if (started) return;
    started = true;
    if (!visitorId) {
      visitorId = uuid();
      store.setItem('switchboard.visitorId', visitorId);
    }
    const my = epoch;
    const history = async () => {
      for (let n = 0; my === epoch; n++) {
        try {
          await sync();
          if (isOpen) scrollToEnd();
          return;
        } catch {
          if (n > 0) $.banner.hidden = false;
          await sleep(backoff(n));
        }
      }
    };
    void history().then(connect);
  }

  function stop(): void {
    started = false;
    epoch++;
    if (ws) {
      const s = ws;
      ws = null;
      socketOpen = false;
      s.close();
    }
    if (pollAbort) pollAbort.abort();
  }

  window.addEventListener('online', () => {
    if (started && !ws) connect();
  });

  // ---------- composer ----------
  function grow(): void {
    $.input.style.height = 'auto';
    $.input.style.height = Math.min($.input.scrollHeight, 132) + 'px';
    $.send.disabled = !$.input.value.trim();
  }
  function typingSignal(on: boolean): void {
    if (!socketOpen || !ws) return;
    const frame: WebClientFrame = { type: 'typing', on };
    try {
      ws.send(JSON.stringify(frame));
    } catch {}
  }
  $.input.addEventListener('input', () => {
    grow();
    const now = Date.now();
    if (now - lastTypingSent > 3000 && $.input.value) {
      lastTypingSent = now;
      typingSignal(true);
    }
    clearTimeout(typingIdle);
    typingIdle = window.setTimeout(() => {
      lastTypingSent = 0;
      typingSignal(false);
    }, 4000);
  });
  $.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if (typeof $.form.requestSubmit === 'function') $.form.requestSubmit();
      else $.form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  $.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $.input.value.trim();
    if (!text) return;
    $.input.value = '';
    grow();
    clearTimeout(typingIdle);
    if (lastTypingSent) typingSignal(false);
    lastTypingSent = 0;
    send({ text });
    $.input.focus();
  });
  $.panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    }
  });

  // ---------- open / close ----------
  function open(): void {
    start();
    if (isOpen) return;
    isOpen = true;
    openState.set(true);
    $.root.classList.add('open');
    $.panel.hidden = false;
    $.preview.hidden = true;
    $.launcher.setAttribute('aria-expanded', 'true');
    scrollToEnd();
    updateUnread();
    // Only grab focus where it does not pop up a keyboard over the page.
    if (matchMedia('(pointer: fine)').matches || shadow.activeElement === $.launcher)
      $.input.focus({ preventScroll: true });
  }
  function close(): void {
    if (!isOpen) return;
    const hadFocus = $.panel.contains(shadow.activeElement);
    isOpen = false;
    openState.set(false);
    $.root.classList.remove('open');
    $.panel.hidden = true;
    $.launcher.setAttribute('aria-expanded', 'false');
    updateUnread();
    if (hadFocus) $.launcher.focus();
  }

  // ---------- triggers: open with a contextual greeting (page, time on page) ----------
  // The greeting is shown here, not stored: it becomes a conversation only if the visitor answers.
  const timers = new Map<string, number>();
  /** `/pricing` (exact, trailing slash ignored), `/docs/*` (prefix), or no page: every page. */
  function pageMatches(pattern: string | undefined, path: string): boolean {
    if (pattern == null || pattern === '*') return true;
    const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
    if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
    return trim(pattern) === trim(path);
  }
  function triggerKey(t: Trigger): string {
    return 'switchboard.trigger.' + (t.id || (t.page || '*') + '|' + t.greeting);
  }
  function fire(t: Trigger): void {
    timers.delete(triggerKey(t));
    if (isOpen) return; // already talking: no interruption
    if (t.once !== false) store.setItem(triggerKey(t), String(Date.now()));
    const rec: Rec = {
      m: {
        id: 'greeting:' + triggerKey(t),
        author: 'bot',
        authorName: cfg.botName || title,
        content: { type: 'text', text: t.greeting },
        text: t.greeting,
        createdAt: new Date().toISOString(),
      },
      state: null,
      server: true,
      btns: [],
    };
    if (byId.has(rec.m.id)) return;
    byId.set(rec.m.id, rec);
    render(rec);
    if (rec.row) rec.row.dataset.trigger = t.id || t.page || '*';
    place(rec);
    regroup();
    open();
  }
  /** Schedules the triggers that match this page; time on page counts from the page's load. */
  function initTriggers(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const t of list as Trigger[]) {
      if (!t || typeof t.greeting !== 'string' || !t.greeting.trim()) {
        console.warn('Switchboard: a trigger needs a greeting', t);
        continue;
      }
      const key = triggerKey(t);
      if (timers.has(key) || !pageMatches(t.page, location.pathname)) continue;
      if (t.once !== false && store.getItem(key)) continue; // once per visitor unless once: false
      const due = Math.max(0, (Number(t.afterSeconds) || 0) * 1000 - performance.now());
      timers.set(
        key,
        window.setTimeout(() => fire(t), due),
      );
    }
  }
  function dataTriggers(): unknown {
    if (!cfg.triggers) return [];
    try {
      return JSON.parse(cfg.triggers);
    } catch {
      console.warn('Switchboard: data-triggers is not valid JSON');
      return [];
    }
  }

  // The button colour is the host's choice: pick readable text for it.
  function applyAccent(): void {
    if (!cfg.accent) return;
    $.root.style.setProperty('--accent', cfg.accent);
    const rgb = getComputedStyle($.launcher).backgroundColor.match(/\d+(\.\d+)?/g);
    if (!rgb) return;
    const [r = 0, g = 0, b = 0] = rgb.slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    if (0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45) $.root.style.setProperty('--on-accent', '#15151a');
  }

  function mount(): void {
    (document.body || document.documentElement).append(host);
    applyAccent();
    if (visitorId) start(); // a returning visitor: fetch the conversation now so the badge can count replies
    if (cfg.open === 'true' || openState.get()) open();
    initTriggers(dataTriggers());
  }

  const previous = window.Switchboard;
  const publicApi: SwitchboardApi = {
    version: '1',
    open,
    close,
    /** Links this visitor to a customer of the host site; `null` signs out. Reloads the conversation. */
    identify(token?: string | null) {
      if ((token || null) === identity) return;
      identity = token || null;
      if (!started) return;
      stop();
      for (const r of recs.splice(0)) r.row?.remove();
      byId.clear();
      byClientId.clear();
      cursor = null;
      regroup();
      updateUnread();
      start();
    },
    send(text: string) {
      if (typeof text !== 'string' || !text.trim()) return;
      open();
      send({ text: text.trim() });
    },
    /** More settings from the host page: `{ triggers: [{ page, afterSeconds, greeting, id?, once? }] }`. */
    init(options?: { triggers?: unknown }) {
      const run = () => initTriggers(options?.triggers);
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
      else run();
    },
  };
  window.Switchboard = publicApi;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
  else mount();
  // Calls queued before the async script arrived: window.Switchboard = [['identify', token], ['open']]
  if (Array.isArray(previous))
    for (const [fn, ...args] of previous) {
      const call = publicApi[fn];
      if (typeof call === 'function') (call as (...a: unknown[]) => void)(...args);
    }
  window.dispatchEvent(new Event('switchboard:ready'));
}

boot();
