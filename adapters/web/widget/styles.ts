/** The widget's styles, inside its Shadow DOM (nothing leaks into the host page, nothing in). */
export const CSS = `
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
