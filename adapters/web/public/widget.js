/*! Switchboard web chat widget. Plain ES2020, no dependencies, everything inside an open Shadow DOM.
 * Embed: <script src="https://bot.example.com/widget.js" data-title="Acme" async></script>
 * Options (data-*): title, subtitle, accent, greeting, open, identity-token, triggers (adapters/web/README.md).
 * API: window.Switchboard.open() / .close() / .identify(token) / .send(text) / .init({ triggers })
 * Triggers (data-triggers='[…]' JSON, or init): [{ page: '/pricing' | '/docs/*', afterSeconds: 20, greeting: '…' }]
 * Server side: adapters/web/index.ts (POST/GET /web/messages, WebSocket /web/socket). */
(() => {
  if (window.Switchboard?.version) return; // loaded twice: keep the first
  const script =
    document.currentScript ||
    [...document.querySelectorAll('script[src]')].find((s) => /\/widget\.js(\?|$)/.test(s.src));
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
      const m = new Map(); // storage blocked (private mode, sandboxed iframe): remember for this page only
      return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, String(v)) };
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
    set: (on) => {
      try {
        if (on) sessionStorage.setItem('switchboard.open', '1');
        else sessionStorage.removeItem('switchboard.open');
      } catch {}
    },
  };
  // randomUUID exists only in secure contexts; a host page on plain http still needs ids.
  const uuid = () =>
    crypto.randomUUID
      ? crypto.randomUUID()
      : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
          (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
        );
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const backoff = (n) => Math.min(30000, 500 * 2 ** Math.min(n, 6)) * (0.75 + Math.random() / 2);
  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
  const initials = (name) =>
    (name || '?')
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0].toUpperCase())
      .join('');
  /** Builds an element. Children are nodes or strings (always text nodes: message text never becomes HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c != null && c !== false) el.append(c);
    return el;
  }
  /** Only http(s) URLs, resolved against the bot's origin; anything else (javascript:, data:) is dropped. */
  function safeUrl(u) {
    try {
      const url = new URL(u, base);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch {
      return null;
    }
  }
  /** Text with http(s) URLs turned into links, built from text nodes only. */
  function linkify(text) {
    const out = [];
    const re = /\bhttps?:\/\/[^\s<>"]+/gi;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      let url = m[0];
      const trail = /[.,;:!?'"\]]+$|\)+$/.exec(url);
      if (trail && !(trail[0][0] === ')' && url.includes('('))) url = url.slice(0, -trail[0].length);
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
  const icon = (name, cls) => {
    const s = h('span', { class: 'ic ' + (cls || '') });
    s.innerHTML = I[name]; // static markup from this file, never message data
    return s;
  };

  // ---------- styles ----------
  const CSS = `
:host{all:initial}
[hidden]{display:none!important}
.sb{--accent:#4f46e5;--on-accent:#fff;--link:var(--accent);--bg:#fff;--log:#f7f7f9;--bubble:#fff;--text:#17171c;--muted:#6e6e7a;--line:rgba(20,20,40,.09);--chip:#fff;--shadow:0 12px 48px rgba(16,16,40,.18),0 2px 8px rgba(16,16,40,.08);
font:14.5px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--text);-webkit-font-smoothing:antialiased}
@media (prefers-color-scheme:dark){.sb{--bg:#1d1d23;--log:#16161b;--bubble:#2a2a33;--text:#ececf2;--muted:#9d9dab;--line:rgba(255,255,255,.09);--chip:#22222a;--link:color-mix(in srgb,var(--accent) 50%,#fff);--shadow:0 12px 48px rgba(0,0,0,.55),0 2px 8px rgba(0,0,0,.3)}}
*{box-sizing:border-box}
button,textarea{font:inherit;color:inherit}
button{cursor:pointer;border:0;background:none;padding:0}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.ic{display:inline-flex;width:1em;height:1em;flex:none}.ic svg{width:100%;height:100%}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:58px;height:58px;border-radius:50%;background:var(--accent);color:var(--on-accent);box-shadow:0 6px 20px rgba(16,16,40,.25);display:grid;place-items:center;font-size:28px;transition:transform .2s ease}
.launcher:hover{transform:scale(1.06)}
.launcher .ic{position:absolute;transition:transform .25s ease,opacity .2s}
.launcher .i-down{opacity:0;transform:rotate(-90deg);font-size:26px}
.open .launcher .i-chat{opacity:0;transform:rotate(90deg) scale(.6)}
.open .launcher .i-down{opacity:1;transform:none}
.badge{position:absolute;top:-3px;right:-3px;min-width:21px;height:21px;padding:0 6px;border-radius:11px;background:#e5484d;color:#fff;font:600 12px/21px system-ui,sans-serif;text-align:center;box-shadow:0 0 0 2px var(--bg)}
.badge[hidden],.preview[hidden]{display:none}
.preview{position:fixed;right:20px;bottom:90px;z-index:2147483000;max-width:300px;padding:12px 14px;border-radius:14px;background:var(--bg);box-shadow:var(--shadow),0 0 0 1px var(--line);text-align:left;animation:pop .25s ease}
.preview b{display:block;font-size:12.5px;color:var(--muted);font-weight:600;margin-bottom:2px}
.preview span{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:380px;height:min(660px,calc(100vh - 116px));border-radius:18px;background:var(--log);box-shadow:var(--shadow);display:flex;flex-direction:column;overflow:hidden;transform-origin:bottom right;animation:pop .22s cubic-bezier(.2,.8,.3,1)}
.panel[hidden]{display:none}
@keyframes pop{from{opacity:0;transform:translateY(12px) scale(.97)}}
header{display:flex;align-items:center;gap:12px;padding:16px 14px 16px 18px;background:var(--accent);color:var(--on-accent)}
.avatar{flex:none;width:28px;height:28px;border-radius:50%;display:grid;place-items:center;background:var(--accent);color:var(--on-accent);font-size:12px;font-weight:650}
header .avatar{width:40px;height:40px;font-size:16px;background:rgba(255,255,255,.2);box-shadow:inset 0 0 0 1px rgba(255,255,255,.25)}
.avatar.op{background:#3b3b48;color:#fff}
.hd{flex:1;min-width:0}
.hd h2{margin:0;font-size:16.5px;font-weight:650;letter-spacing:-.01em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.hd p{margin:1px 0 0;font-size:12.5px;opacity:.85;display:flex;align-items:center;gap:6px}
.hd p:before{content:"";width:7px;height:7px;border-radius:50%;background:#3ddc84;box-shadow:0 0 0 2px rgba(255,255,255,.35)}
.x{width:34px;height:34px;border-radius:10px;display:grid;place-items:center;font-size:20px;color:inherit}
.x:hover{background:rgba(255,255,255,.16)}
.banner{padding:6px 12px;font-size:12.5px;text-align:center;background:#fff4d6;color:#6b4e00}
.banner[hidden]{display:none}
.logwrap{position:relative;flex:1;min-height:0}
.log{height:100%;overflow-y:auto;overscroll-behavior:contain;padding:18px 14px 8px;display:flex;flex-direction:column}
.intro{margin:auto 6px 16px;padding:18px;border-radius:14px;background:var(--bubble);box-shadow:0 1px 2px var(--line)}
.intro h3{margin:0 0 4px;font-size:16px}.intro p{margin:0;color:var(--muted)}
.row{display:flex;flex-direction:column;margin-top:2px}
.row.first{margin-top:12px}
.row.customer{align-items:flex-end}
.divider{align-self:center;margin:14px 0 4px;font-size:11.5px;font-weight:600;color:var(--muted);letter-spacing:.02em}
.name{margin:0 0 3px 38px;font-size:12px;color:var(--muted);font-weight:600}
.line{display:flex;align-items:flex-end;gap:10px;width:100%}
.customer .line{justify-content:flex-end}
.line>.avatar{visibility:hidden}
.last .line>.avatar{visibility:visible}
.col{display:flex;flex-direction:column;gap:6px;min-width:0;max-width:80%}
.customer .col{align-items:flex-end}
.col.wide{max-width:calc(100% - 38px)}
.bubble{padding:9px 13px;border-radius:18px;background:var(--bubble);box-shadow:0 1px 2px var(--line);white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
.bot .bubble,.operator .bubble{border-bottom-left-radius:6px;border-top-left-radius:6px}
.first:not(.customer) .bubble{border-top-left-radius:18px}
.customer .bubble{background:var(--accent);color:var(--on-accent);box-shadow:none;border-bottom-right-radius:6px;border-top-right-radius:6px}
.customer.first .bubble{border-top-right-radius:18px}
.bubble a{color:inherit;text-decoration:underline;text-underline-offset:2px}
.pending .bubble{opacity:.65}
.failed .bubble{opacity:.65;background:#b4232a;color:#fff}
.meta{font-size:11.5px;color:var(--muted);margin:4px 4px 0;display:none}
.last .meta,.failed .meta,.pending .meta{display:block}
.bot .meta,.operator .meta{margin-left:42px}
.meta button{color:var(--link);font-weight:600;text-decoration:underline;font-size:inherit}
.failed .meta{color:#c4333a}
.row.system{margin:12px 0}.system .line{justify-content:center}
.system .bubble{background:none;box-shadow:none;padding:2px 12px;font-size:12.5px;color:var(--muted);text-align:center}
.media{padding:0;overflow:hidden;background:none}
.media img,.media video{display:block;max-width:100%;max-height:260px}
.media img{min-width:60px;min-height:40px;background:var(--line)}
.media audio{display:block;max-width:260px}
.media .cap{padding:7px 12px;background:var(--bubble)}
.filelink,.loc{display:flex;align-items:center;gap:10px;text-decoration:none!important}
.filelink .ic,.loc .ic{font-size:22px;color:var(--link)}
.customer .filelink .ic{color:inherit}
.loc small{display:block;color:var(--muted)}
.btns{display:flex;flex-direction:column;gap:6px;min-width:200px}
.btn{display:flex;align-items:center;justify-content:center;gap:6px;padding:8px 14px;border-radius:12px;background:var(--chip);color:var(--link);font-weight:600;font-size:14px;text-decoration:none;box-shadow:inset 0 0 0 1.5px var(--line);transition:background .15s}
.btn:hover{background:color-mix(in srgb,var(--accent) 9%,var(--chip))}
.btn:disabled{opacity:.5;cursor:default;background:var(--chip)}
.btn .ic{font-size:13px}
.qr{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:7px;margin:10px 0 2px 38px}
.chip{padding:7px 14px;border-radius:999px;background:var(--chip);color:var(--link);font-weight:600;font-size:14px;box-shadow:inset 0 0 0 1.5px var(--link);transition:background .15s,color .15s}
.chip:hover{background:var(--accent);color:var(--on-accent)}
.cards{display:flex;gap:10px;overflow-x:auto;scroll-snap-type:x mandatory;scrollbar-width:none;padding:2px 2px 6px;scroll-padding:0 2px}
.cards::-webkit-scrollbar{display:none}
.carousel{position:relative;min-width:0}
.card{flex:none;width:232px;scroll-snap-align:start;border-radius:16px;background:var(--bubble);box-shadow:0 1px 3px var(--line),0 0 0 1px var(--line);overflow:hidden;display:flex;flex-direction:column}
.card img{display:block;width:100%;aspect-ratio:16/10;object-fit:cover;background:var(--line)}
.card .body{padding:11px 13px;flex:1}
.card h4{margin:0;font-size:14.5px;font-weight:650}
.card p{margin:2px 0 0;color:var(--muted);font-size:13px;white-space:pre-wrap}
.card .btn{border-radius:0;box-shadow:none;border-top:1px solid var(--line)}
.nav{position:absolute;top:38%;width:30px;height:30px;border-radius:50%;background:var(--bg);color:var(--text);box-shadow:0 2px 8px rgba(0,0,0,.2);display:grid;place-items:center;font-size:16px}
.nav[hidden]{display:none}
.nav.p{left:-6px}.nav.n{right:-6px}
@media (hover:none){.nav{display:none}}
.typing .bubble{display:flex;gap:4px;padding:13px 14px}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--muted);animation:blink 1.2s infinite ease-in-out}
.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}
@keyframes blink{0%,60%,100%{opacity:.3;transform:none}30%{opacity:1;transform:translateY(-3px)}}
.typing[hidden]{display:none}
.jump{position:absolute;left:50%;bottom:10px;transform:translateX(-50%);padding:6px 14px;border-radius:999px;background:var(--accent);color:var(--on-accent);font-size:12.5px;font-weight:600;box-shadow:0 4px 14px rgba(0,0,0,.2)}
.jump[hidden]{display:none}
form{margin:0;padding:10px 12px 6px;background:var(--bg);border-top:1px solid var(--line)}
.box{display:flex;align-items:flex-end;gap:8px;padding:6px 6px 6px 14px;border-radius:16px;background:var(--log);box-shadow:inset 0 0 0 1px var(--line);transition:box-shadow .15s}
.box:focus-within{box-shadow:inset 0 0 0 1.5px var(--accent)}
textarea{flex:1;resize:none;border:0;outline:0!important;background:none;padding:7px 0;max-height:132px;min-height:22px;line-height:1.45;font-size:15px}
textarea::placeholder{color:var(--muted)}
.send{flex:none;width:36px;height:36px;border-radius:12px;background:var(--accent);color:var(--on-accent);display:grid;place-items:center;font-size:19px;transition:opacity .15s,transform .15s}
.send:disabled{opacity:.35;cursor:default}
.send:not(:disabled):hover{transform:translateY(-1px)}
.foot{padding:6px 0 0;text-align:center;font-size:11px;color:var(--muted)}
.foot b{font-weight:650}
@media (max-width:480px){
.panel{inset:0;width:100%;height:100%;border-radius:0;animation:none}
.open .launcher,.open .preview{display:none}
textarea{font-size:16px}
.col{max-width:85%}
}
@media (prefers-reduced-motion:reduce){*,*:before{animation:none!important;transition:none!important}.typing i{opacity:.6}}
`;

  // ---------- DOM ----------
  const host = h('div', { id: 'switchboard-widget' });
  const shadow = host.attachShadow({ mode: 'open' });
  const $ = {};
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
  let identity = cfg.identityToken || null;
  let isOpen = false;
  let started = false;
  let epoch = 0; // bumped by identify(): responses from an older identity are ignored
  let cursor = null;
  let ws = null;
  let socketOpen = false;
  let socketFails = 0;
  let polling = false;
  let pollAbort = null;
  let atBottom = true;
  let typingTimer = 0;
  let lastTypingSent = 0;
  let typingIdle = 0;
  const recs = []; // rendered messages, in display order
  const byId = new Map();
  const byClientId = new Map();

  const headers = (json) => {
    const hd = {};
    if (json) hd['Content-Type'] = 'application/json';
    if (identity) hd['X-Switchboard-Identity'] = identity;
    return hd;
  };
  function dropIdentity() {
    console.warn('[switchboard] the identity token was rejected (401); continuing as an anonymous visitor');
    identity = null;
  }

  // ---------- rendering ----------
  const authorName = (m) =>
    m.author === 'customer'
      ? 'You'
      : m.author === 'operator'
        ? m.authorName || 'Agent'
        : m.author === 'system'
          ? ''
          : title; // a bot speaks as the host site's brand (data-title), not as its server-side name

  function buttonEl(b, rec) {
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
  const buttonsEl = (list, rec) =>
    list?.length
      ? h(
          'div',
          { class: 'btns' },
          list.map((b) => buttonEl(b, rec)),
        )
      : null;

  function mediaEl(c) {
    const href = safeUrl(c.url);
    const cap = c.caption ? h('div', { class: 'cap' }, linkify(c.caption)) : null;
    if (!href)
      return [
        h('div', { class: 'bubble', 'data-testid': 'sb-message' }, c.caption || c.filename || 'Attachment'),
      ];
    let inner;
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

  function cardsEl(c, rec) {
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
    const step = (dir) => list.scrollBy({ left: dir * 242, behavior: 'smooth' });
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

  function bodyEls(rec) {
    const c = rec.m.content || { type: 'text', text: rec.m.text || '' };
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
      default:
        return [
          h('div', { class: 'bubble', 'data-testid': 'sb-message' }, linkify(c.text ?? rec.m.text ?? '')),
          buttonsEl(c.buttons, rec),
        ];
    }
  }

  function render(rec) {
    const m = rec.m;
    const c = m.content || {};
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
    main.title = timeFmt.format(time);
    const col = h('div', { class: 'col' + (c.type === 'card' ? ' wide' : '') }, els);
    let meta = null;
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
      ].filter(Boolean),
    );
    rec.divider = row.firstChild;
    rec.name = m.author === 'operator' ? row.children[1] : null;
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
  function regroup() {
    let prev = null;
    recs.forEach((rec, i) => {
      const m = rec.m;
      const t = Date.parse(m.createdAt) || Date.now();
      const next = recs[i + 1];
      const gap = !prev || t - (Date.parse(prev.m.createdAt) || t) > 15 * 60e3;
      const same = (a, b) =>
        a &&
        b &&
        a.m.author === b.m.author &&
        (a.m.authorName || '') === (b.m.authorName || '') &&
        a.m.author !== 'system';
      const first = gap || !same(prev, rec);
      const nt = next && Date.parse(next.m.createdAt);
      const last = !next || !same(rec, next) || (nt && nt - t > 15 * 60e3) || !!next.state !== !!rec.state;
      rec.row.classList.toggle('first', first);
      rec.row.classList.toggle('last', last);
      if (rec.name) rec.name.hidden = !first;
      const d = new Date(t);
      const today = new Date().toDateString() === d.toDateString();
      rec.divider.textContent = gap ? (today ? 'Today' : dayFmt.format(d)) + ' · ' + timeFmt.format(d) : '';
      rec.divider.hidden = !gap;
      // Quick replies are offered until the customer says anything after them; buttons stay
      // visible (what was asked) but cannot be pressed again: the question was answered.
      const answered = recs.slice(i + 1).some((r) => r.m.author === 'customer');
      if (rec.qr) rec.qr.hidden = answered;
      for (const b of rec.btns || []) b.disabled = answered;
      prev = rec;
    });
    $.intro.hidden = recs.length > 0;
  }

  const order = (a, b) =>
    a.state && !b.state
      ? 1
      : b.state && !a.state
        ? -1
        : a.m.conversationId === b.m.conversationId && a.m.seq != null && b.m.seq != null
          ? a.m.seq - b.m.seq
          : (Date.parse(a.m.createdAt) || 0) - (Date.parse(b.m.createdAt) || 0);

  function place(rec) {
    const old = recs.indexOf(rec);
    if (old >= 0) recs.splice(old, 1);
    let i = recs.length;
    while (i > 0 && order(recs[i - 1], rec) > 0) i--;
    recs.splice(i, 0, rec);
    $.log.insertBefore(rec.row, recs[i + 1] ? recs[i + 1].row : $.typing);
  }

  /** A message from the server (history, poll or socket). Deduped by id; merges our own pending copy. */
  function receive(m, live) {
    if (!m?.id) return;
    if (m.content && m.content.type === 'typing') return setTyping(m.content.on);
    let rec = byId.get(m.id) || (m.clientMessageId && byClientId.get(m.clientMessageId));
    if (rec?.server) return; // already shown
    const wasBottom = atBottom;
    if (rec) {
      byId.delete(rec.m.id);
      rec.m = m;
      rec.state = null;
    } else {
      rec = { m, state: null };
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

  function setTyping(on) {
    clearTimeout(typingTimer);
    const wasBottom = atBottom;
    $.typing.hidden = !on;
    if (on) typingTimer = setTimeout(() => setTyping(false), 20000); // a lost "off" frame must not leave dots forever
    if (on && wasBottom) scrollToEnd();
  }

  function scrollToEnd(smooth) {
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
  function showPreview(m) {
    if (isOpen) return;
    const c = m.content || {};
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
  function pressed(b, rec) {
    if (rec?.qr) {
      rec.qrUsed = true;
      rec.qr.remove();
      rec.qr = null;
    }
    send({ postback: { payload: b.payload ?? b.title, title: b.title || b.payload } });
  }

  function send(body) {
    start();
    const cid = uuid();
    const m = {
      id: 'local:' + cid,
      author: 'customer',
      channel: 'web',
      clientMessageId: cid,
      createdAt: new Date().toISOString(),
      text: body.text || body.postback?.title || '',
      content: body.text != null ? { type: 'text', text: body.text } : { type: 'postback', ...body.postback },
    };
    const rec = { m, state: 'pending', body };
    byId.set(m.id, rec);
    byClientId.set(cid, rec);
    render(rec);
    place(rec);
    regroup();
    scrollToEnd();
    post(rec);
  }

  const setState = (rec, state, error) => {
    rec.state = state;
    rec.error = error;
    render(rec);
    regroup();
  };

  async function post(rec) {
    if (rec.state === 'failed') setState(rec, 'pending');
    const my = epoch;
    for (let attempt = 0; ; attempt++) {
      let res = null;
      try {
        res = await fetch(api, {
          method: 'POST',
          headers: headers(true),
          body: JSON.stringify({ visitorId, ...rec.body, clientMessageId: rec.m.clientMessageId }),
        });
      } catch {}
      if (my !== epoch || rec.state !== 'pending') return; // identity changed, or the echo already arrived
      if (res?.ok) {
        const j = await res.json().catch(() => ({}));
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
        const j = await res.json().catch(() => ({}));
        return setState(rec, 'failed', j.error?.message || 'Not sent');
      }
      if (attempt >= 4) return setState(rec, 'failed', 'Not sent');
      await sleep(backoff(attempt));
    }
  }

  // ---------- receiving: history, socket, long-poll fallback ----------
  async function sync(wait, signal) {
    const after = cursor;
    const my = epoch;
    const q = new URLSearchParams({ visitorId });
    if (after != null) q.set('after', after);
    if (wait) q.set('wait', String(wait));
    const res = await fetch(api + '?' + q, { headers: headers(false), signal, cache: 'no-store' });
    if (my !== epoch) return;
    if (res.status === 401 && identity) {
      dropIdentity();
      throw new Error('identity rejected');
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const j = await res.json();
    if (my !== epoch) return;
    for (const m of j.messages || []) receive(m, after != null);
    // Two requests may overlap (socket gap-fill and a poll): only the one that started from the current cursor may move it.
    if (cursor === after && j.cursor != null) cursor = String(j.cursor);
    $.banner.hidden = true;
  }

  function connect() {
    if (!started || ws) return;
    if (typeof WebSocket !== 'function') return poll();
    const url = new URL(socketUrl);
    url.searchParams.set('visitorId', visitorId);
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
      let f;
      try {
        f = JSON.parse(ev.data);
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
      poll(); // keeps messages flowing while the socket is down (or was never possible: proxies)
      setTimeout(connect, backoff(socketFails));
    };
  }

  async function poll() {
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

  function start() {
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
    history().then(connect);
  }

  function stop() {
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
  function grow() {
    $.input.style.height = 'auto';
    $.input.style.height = Math.min($.input.scrollHeight, 132) + 'px';
    $.send.disabled = !$.input.value.trim();
  }
  function typingSignal(on) {
    if (!socketOpen || !ws) return;
    try {
      ws.send(JSON.stringify({ type: 'typing', on }));
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
    typingIdle = setTimeout(() => {
      lastTypingSent = 0;
      typingSignal(false);
    }, 4000);
  });
  $.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if ($.form.requestSubmit) $.form.requestSubmit();
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
  function open() {
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
  function close() {
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
  const timers = new Map();
  /** `/pricing` (exact, trailing slash ignored), `/docs/*` (prefix), or no page: every page. */
  function pageMatches(pattern, path) {
    if (pattern == null || pattern === '*') return true;
    const trim = (p) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
    if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
    return trim(pattern) === trim(path);
  }
  function triggerKey(t) {
    return 'switchboard.trigger.' + (t.id || (t.page || '*') + '|' + t.greeting);
  }
  function fire(t) {
    timers.delete(triggerKey(t));
    if (isOpen) return; // already talking: no interruption
    if (t.once !== false) store.setItem(triggerKey(t), String(Date.now()));
    const rec = {
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
    };
    if (byId.has(rec.m.id)) return;
    byId.set(rec.m.id, rec);
    render(rec);
    rec.row.dataset.trigger = t.id || t.page || '*';
    place(rec);
    regroup();
    open();
  }
  /** Schedules the triggers that match this page; time on page counts from the page's load. */
  function initTriggers(list) {
    if (!Array.isArray(list)) return;
    for (const t of list) {
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
        setTimeout(() => fire(t), due),
      );
    }
  }
  function dataTriggers() {
    if (!cfg.triggers) return [];
    try {
      return JSON.parse(cfg.triggers);
    } catch {
      console.warn('Switchboard: data-triggers is not valid JSON');
      return [];
    }
  }

  // The button colour is the host's choice: pick readable text for it.
  function applyAccent() {
    if (!cfg.accent) return;
    $.root.style.setProperty('--accent', cfg.accent);
    const rgb = getComputedStyle($.launcher).backgroundColor.match(/\d+(\.\d+)?/g);
    if (!rgb) return;
    const [r, g, b] = rgb.slice(0, 3).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    if (0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45) $.root.style.setProperty('--on-accent', '#15151a');
  }

  function mount() {
    (document.body || document.documentElement).append(host);
    applyAccent();
    if (visitorId) start(); // a returning visitor: fetch the conversation now so the badge can count replies
    if (cfg.open === 'true' || openState.get()) open();
    initTriggers(dataTriggers());
  }

  const previous = window.Switchboard;
  window.Switchboard = {
    version: '1',
    open,
    close,
    /** Links this visitor to a customer of the host site; `null` signs out. Reloads the conversation. */
    identify(token) {
      if ((token || null) === identity) return;
      identity = token || null;
      if (!started) return;
      stop();
      for (const r of recs.splice(0)) r.row.remove();
      byId.clear();
      byClientId.clear();
      cursor = null;
      regroup();
      updateUnread();
      start();
    },
    send(text) {
      if (typeof text !== 'string' || !text.trim()) return;
      open();
      send({ text: text.trim() });
    },
    /** More settings from the host page: `{ triggers: [{ page, afterSeconds, greeting, id?, once? }] }`. */
    init(options) {
      const run = () => initTriggers(options?.triggers);
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
      else run();
    },
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
  else mount();
  // Calls queued before the async script arrived: window.Switchboard = [['identify', token], ['open']]
  if (Array.isArray(previous)) for (const [fn, ...args] of previous) window.Switchboard[fn]?.(...args);
  window.dispatchEvent(new Event('switchboard:ready'));
})();
