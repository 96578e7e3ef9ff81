/*
 * Retail assistant chat widget: one self-contained script, no dependencies.
 *
 *   <script src="https://GATEWAY/widget.js" data-tenant="demo" async></script>
 *
 * Renders a launcher button and a chat panel inside a Shadow DOM (the page's
 * CSS cannot reach it), creates a session (POST /v1/sessions), talks over the
 * WebSocket (/v1/ws) and falls back to Server-Sent Events / long-poll on the
 * REST API (/v1/sessions/{id}/events) when the socket cannot connect. Text
 * from the network is only ever put in the page as text nodes.
 *
 * data- attributes: see README.md, "Web chat widget". window.RetailAssistantConfig (an
 * object set before the script runs) overrides them, key by key.
 */
(function () {
	'use strict';

	if (window.RetailAssistant && window.RetailAssistant.version)
		return; /* embedded twice: keep the first */

	var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
	var ds = (script && script.dataset) || {};
	var over = window.RetailAssistantConfig || {};
	function opt(name, def) {
		if (over[name] !== undefined && over[name] !== null)
			return String(over[name]);
		if (ds[name] !== undefined && ds[name] !== '')
			return ds[name];
		return def;
	}

	/* --- configuration ---------------------------------------------------- */
	var scriptUrl = new URL((script && script.src) || window.location.href, window.location.href);
	var API = opt('api', scriptUrl.origin).replace(/\/+$/, '');
	var apiUrl = new URL(API, window.location.href);
	var WS_URL = wsUrlFrom(opt('ws', ''));
	var TENANT = opt('tenant', 'demo');
	var LOCALE = opt('locale', document.documentElement.lang || navigator.language || 'en-MY');
	var LANG = /^ms\b/i.test(LOCALE) ? 'ms' : /^zh\b/i.test(LOCALE) ? 'zh' : 'en';
	var TRANSPORT = opt('transport', 'auto'); /* auto | ws | http */
	var ASSERTION = opt('customerAssertion', '');
	var POLL_WAIT_MS = 25000;

	/* ws URL from data-ws: a full ws(s):// URL, a port, or (empty) the REST
	 * host with the port after the REST port (8080 -> 8081); without an
	 * explicit REST port, the REST host and port (behind a proxy). */
	function wsUrlFrom(v) {
		var scheme = apiUrl.protocol === 'https:' ? 'wss:' : 'ws:';
		if (/^wss?:\/\//i.test(v))
			return v;
		var port = /^\d{1,5}$/.test(v) ? v : apiUrl.port ? String(Number(apiUrl.port) + 1) : '';
		return scheme + '//' + apiUrl.hostname + (port ? ':' + port : '') + '/v1/ws';
	}

	/* --- strings ----------------------------------------------------------- */
	var STR = {
		en: {
			title: 'Chat with us', open: 'Open chat', close: 'Close chat', placeholder: 'Type your message…',
			send: 'Send', message: 'Message', typing: 'Assistant is typing', you: 'You', bot: 'Assistant',
			connecting: 'Connecting…', online: 'Online', reconnecting: 'Reconnecting…', offline: 'Offline',
			helpful: 'Helpful', unhelpful: 'Not helpful', thanks: 'Thanks for your feedback!',
			fbfail: 'Could not send your feedback; please try again.', sources: 'Sources',
			suggestions: 'Suggested replies', instock: 'In stock', fewleft: 'Only {n} left',
			outofstock: 'Out of stock', view: 'View product', sendfail: 'Your message could not be sent. Please try again.',
			slow: 'You are sending messages too quickly; please wait {n} s.', unread: 'New message',
			greeting: 'Hi! Ask me about products, stock, orders, delivery or returns.'
		},
		ms: {
			title: 'Sembang dengan kami', open: 'Buka sembang', close: 'Tutup sembang', placeholder: 'Taip mesej anda…',
			send: 'Hantar', message: 'Mesej', typing: 'Pembantu sedang menaip', you: 'Anda', bot: 'Pembantu',
			connecting: 'Menyambung…', online: 'Dalam talian', reconnecting: 'Menyambung semula…', offline: 'Luar talian',
			helpful: 'Membantu', unhelpful: 'Tidak membantu', thanks: 'Terima kasih atas maklum balas anda!',
			fbfail: 'Maklum balas tidak dapat dihantar; sila cuba lagi.', sources: 'Sumber',
			suggestions: 'Cadangan balasan', instock: 'Ada stok', fewleft: 'Tinggal {n} sahaja',
			outofstock: 'Kehabisan stok', view: 'Lihat produk', sendfail: 'Mesej anda tidak dapat dihantar. Sila cuba lagi.',
			slow: 'Anda menghantar mesej terlalu cepat; sila tunggu {n} s.', unread: 'Mesej baharu',
			greeting: 'Hai! Tanya saya tentang produk, stok, pesanan, penghantaran atau pemulangan.'
		},
		zh: {
			title: '在线咨询', open: '打开聊天', close: '关闭聊天', placeholder: '请输入消息…',
			send: '发送', message: '消息', typing: '助手正在输入', you: '您', bot: '助手',
			connecting: '连接中…', online: '在线', reconnecting: '重新连接中…', offline: '离线',
			helpful: '有帮助', unhelpful: '没有帮助', thanks: '感谢您的反馈！',
			fbfail: '反馈发送失败，请重试。', sources: '来源',
			suggestions: '推荐回复', instock: '有货', fewleft: '仅剩 {n} 件',
			outofstock: '缺货', view: '查看商品', sendfail: '消息发送失败，请重试。',
			slow: '您发送得太快了，请等待 {n} 秒。', unread: '新消息',
			greeting: '您好！可以问我商品、库存、订单、配送或退货的问题。'
		}
	};
	function t(key, n) {
		var s = (STR[LANG] && STR[LANG][key]) || STR.en[key] || key;
		return n === undefined ? s : s.replace('{n}', String(n));
	}

	/* --- small helpers ------------------------------------------------------ */
	function el(tag, attrs, children) {
		var e = document.createElement(tag);
		if (attrs)
			Object.keys(attrs).forEach(function (k) {
				if (k === 'text')
					e.textContent = attrs[k];
				else if (k === 'class')
					e.className = attrs[k];
				else
					e.setAttribute(k, attrs[k]);
			});
		(children || []).forEach(function (c) {
			if (c)
				e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
		});
		return e;
	}
	function svg(path) {
		var ns = 'http://www.w3.org/2000/svg';
		var s = document.createElementNS(ns, 'svg');
		s.setAttribute('viewBox', '0 0 24 24');
		s.setAttribute('aria-hidden', 'true');
		s.setAttribute('focusable', 'false');
		var p = document.createElementNS(ns, 'path');
		p.setAttribute('d', path);
		s.appendChild(p);
		return s;
	}
	function sleep(ms) {
		return new Promise(function (r) { setTimeout(r, ms); });
	}
	/* Exponential backoff with jitter: half fixed, half random, capped. */
	function backoff(attempt) {
		var base = Math.min(30000, 500 * Math.pow(2, Math.min(attempt, 10)));
		return Math.round(base / 2 + Math.random() * base / 2);
	}
	function randomId(prefix) {
		var a = new Uint8Array(12);
		(window.crypto || window.msCrypto).getRandomValues(a);
		return prefix + Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
	}
	function safeUrl(u) {
		try {
			var url = new URL(u, window.location.href);
			return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
		} catch (e) {
			return null;
		}
	}
	function formatPrice(sen, currency) {
		var amount = sen / 100;
		try {
			return new Intl.NumberFormat(LANG === 'ms' ? 'ms-MY' : LANG === 'zh' ? 'zh-MY' : 'en-MY', {
				style: 'currency', currency: currency || 'MYR'
			}).format(amount);
		} catch (e) {
			return (currency === 'MYR' || !currency ? 'RM ' : currency + ' ') + amount.toFixed(2);
		}
	}

	/* --- markdown subset, built as DOM nodes (never innerHTML) --------------
	 * Paragraphs, line breaks, "- " / "1. " lists, "#" headings as bold lines,
	 * **bold**, *italic* / _italic_, `code`, [text](https://…) and bare
	 * http(s) links. */
	var INLINE = /(\*\*([^*\n]+)\*\*)|(`([^`\n]+)`)|(\[([^\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\))|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])|(\*([^*\s][^*\n]*?)\*)|(\b_([^_\n]+)_\b)/g;
	function inline(text, parent) {
		var last = 0, m;
		var re = new RegExp(INLINE.source, 'g'); /* own state: inline() recurses */
		while ((m = re.exec(text))) {
			if (m.index > last)
				parent.appendChild(document.createTextNode(text.slice(last, m.index)));
			if (m[1]) {
				var b = el('strong');
				inline(m[2], b);
				parent.appendChild(b);
			} else if (m[3]) {
				parent.appendChild(el('code', { text: m[4] }));
			} else if (m[5]) {
				var href = safeUrl(m[7]);
				parent.appendChild(href ? link(href, m[6]) : document.createTextNode(m[6]));
			} else if (m[8]) {
				var h = safeUrl(m[8]);
				parent.appendChild(h ? link(h, m[8]) : document.createTextNode(m[8]));
			} else if (m[9]) {
				parent.appendChild(el('em', { text: m[10] }));
			} else if (m[11]) {
				parent.appendChild(el('em', { text: m[12] }));
			}
			last = re.lastIndex;
		}
		if (last < text.length)
			parent.appendChild(document.createTextNode(text.slice(last)));
	}
	function link(href, label) {
		return el('a', { href: href, target: '_blank', rel: 'noopener noreferrer nofollow', text: label });
	}
	function markdown(text) {
		var frag = document.createDocumentFragment();
		var lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
		var para = null, list = null;
		lines.forEach(function (line) {
			var ul = /^\s*(?:[-*•])\s+(.*)$/.exec(line);
			var ol = /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line);
			var hd = /^\s*#{1,6}\s+(.*)$/.exec(line);
			if (ul || ol) {
				var tag = ul ? 'ul' : 'ol';
				if (!list || list.tagName.toLowerCase() !== tag) {
					list = el(tag);
					frag.appendChild(list);
				}
				var li = el('li');
				inline((ul || ol)[1], li);
				list.appendChild(li);
				para = null;
				return;
			}
			list = null;
			if (!line.trim()) {
				para = null;
				return;
			}
			if (hd) {
				var p = el('p', { class: 'h' });
				var s = el('strong');
				inline(hd[1], s);
				p.appendChild(s);
				frag.appendChild(p);
				para = null;
				return;
			}
			if (para)
				para.appendChild(el('br'));
			else {
				para = el('p');
				frag.appendChild(para);
			}
			inline(line, para);
		});
		return frag;
	}

	/* --- styles --------------------------------------------------------------- */
	var accent = opt('accent', '#2f5d50');
	if (!(window.CSS && CSS.supports && CSS.supports('color', accent)))
		accent = '#2f5d50';
	var side = opt('position', 'right') === 'left' ? 'left' : 'right';
	var CSS_TEXT = [
		':host{all:initial;}',
		'*{box-sizing:border-box;}',
		'.root{--accent:' + accent + ';font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1d2320;}',
		'.launcher{position:fixed;bottom:20px;' + side + ':20px;width:60px;height:60px;border-radius:50%;border:0;background:var(--accent);color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;z-index:2147483000;}',
		'.launcher svg{width:28px;height:28px;fill:currentColor;}',
		'.launcher:focus-visible,button:focus-visible,textarea:focus-visible,a:focus-visible,.log:focus-visible{outline:3px solid #f0b429;outline-offset:2px;}',
		'.badge{position:absolute;top:4px;right:4px;width:14px;height:14px;border-radius:50%;background:#d64545;border:2px solid #fff;}',
		'.panel{position:fixed;bottom:92px;' + side + ':20px;width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 120px);background:#fff;border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.28);display:flex;flex-direction:column;overflow:hidden;z-index:2147483001;}',
		'.panel[hidden]{display:none;}',
		'header{background:var(--accent);color:#fff;padding:12px 14px;display:flex;align-items:center;gap:10px;}',
		'header h2{font-size:16px;margin:0;font-weight:600;flex:1;}',
		'.status{font-size:12px;opacity:.9;display:block;font-weight:400;}',
		'.root[data-state="online"] .status::before{content:"";display:inline-block;width:7px;height:7px;border-radius:50%;background:#7ee08a;margin-right:5px;vertical-align:1px;}',
		'header button{background:transparent;border:0;color:#fff;cursor:pointer;width:36px;height:36px;border-radius:8px;display:flex;align-items:center;justify-content:center;}',
		'header button svg{width:22px;height:22px;fill:currentColor;}',
		'.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;background:#f6f7f5;}',
		'.msg{max-width:85%;padding:9px 12px;border-radius:14px;word-wrap:break-word;overflow-wrap:anywhere;}',
		'.msg p{margin:0 0 6px;}.msg p:last-child{margin-bottom:0;}',
		'.msg ul,.msg ol{margin:4px 0 6px;padding-left:20px;}',
		'.msg code{background:rgba(0,0,0,.06);padding:0 4px;border-radius:4px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;}',
		'.msg a{color:var(--accent);}',
		'.user{align-self:flex-end;background:var(--accent);color:#fff;border-bottom-right-radius:4px;white-space:pre-wrap;}',
		'.bot{align-self:flex-start;background:#fff;border:1px solid #e2e5e1;border-bottom-left-radius:4px;}',
		'.bot.streaming .body{white-space:pre-wrap;}',
		'.sys{align-self:center;font-size:12px;color:#6b716d;text-align:center;}',
		'.sys.err{color:#b42318;}',
		'.cards{display:flex;gap:8px;overflow-x:auto;margin-top:8px;padding-bottom:4px;}',
		'.card{flex:0 0 170px;border:1px solid #e2e5e1;border-radius:10px;padding:8px;background:#fafbf9;display:flex;flex-direction:column;gap:3px;}',
		'.card img{width:100%;height:100px;object-fit:cover;border-radius:6px;background:#eee;}',
		'.card .name{font-weight:600;font-size:13px;}',
		'.card .price{color:var(--accent);font-weight:700;}',
		'.card .stock{font-size:12px;color:#3c6e3c;}.card .stock.low{color:#9a6700;}.card .stock.out{color:#b42318;}',
		'.card .sku{font-size:11px;color:#6b716d;}',
		'.cites{margin-top:8px;font-size:12px;color:#4a504c;}',
		'.cites ul{margin:2px 0 0;padding-left:18px;}',
		'.fb{display:flex;gap:6px;margin-top:6px;align-items:center;}',
		'.fb button{border:1px solid #d5d9d4;background:#fff;color:#4a504c;border-radius:999px;padding:3px 10px;cursor:pointer;min-height:28px;display:flex;align-items:center;}',
		'.fb svg{width:15px;height:15px;fill:currentColor;}.fb .down svg{transform:rotate(180deg);}',
		'.fb button[aria-pressed="true"]{background:var(--accent);border-color:var(--accent);color:#fff;}',
		'.fb button:disabled{cursor:default;opacity:.85;}',
		'.fb .note{font-size:12px;color:#6b716d;}',
		'.qr{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start;}',
		'.qr button{border:1px solid var(--accent);color:var(--accent);background:#fff;border-radius:999px;padding:6px 12px;cursor:pointer;font:inherit;min-height:36px;}',
		'.qr button:hover{background:var(--accent);color:#fff;}',
		'.typing{align-self:flex-start;background:#fff;border:1px solid #e2e5e1;border-radius:14px;padding:10px 14px;display:flex;gap:4px;}',
		'.typing[hidden]{display:none;}',
		'.typing span{width:7px;height:7px;border-radius:50%;background:#9aa19c;animation:b 1.2s infinite ease-in-out;}',
		'.typing span:nth-child(2){animation-delay:.15s;}.typing span:nth-child(3){animation-delay:.3s;}',
		'@keyframes b{0%,80%,100%{transform:translateY(0);opacity:.5;}40%{transform:translateY(-4px);opacity:1;}}',
		'@media (prefers-reduced-motion:reduce){.typing span{animation:none;}}',
		'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e5e1;background:#fff;}',
		'textarea{flex:1;resize:none;border:1px solid #cfd4ce;border-radius:10px;padding:9px 10px;font:inherit;color:inherit;max-height:120px;min-height:40px;}',
		'form button{border:0;background:var(--accent);color:#fff;border-radius:10px;width:44px;cursor:pointer;display:flex;align-items:center;justify-content:center;}',
		'form button svg{width:20px;height:20px;fill:currentColor;}',
		'form button:disabled{opacity:.5;cursor:default;}',
		'.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;}',
		'@media (max-width:480px){.panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0;}.panel:not([hidden])~.launcher{display:none;}.msg{max-width:92%;}textarea{font-size:16px;}}'
	].join('\n');

	/* --- DOM --------------------------------------------------------------------- */
	var host = el('div', { id: 'retail-assistant-widget' });
	var shadow = host.attachShadow({ mode: 'open' });
	var style = el('style', { text: CSS_TEXT });
	var root = el('div', { class: 'root', lang: LANG === 'zh' ? 'zh' : LANG });
	var title = opt('title', t('title'));

	var statusEl = el('span', { class: 'status', role: 'status', text: '' });
	var titleEl = el('h2', { id: 'ra-title' }, [title, statusEl]);
	var closeBtn = el('button', { type: 'button', class: 'close', 'aria-label': t('close') },
		[svg('M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z')]);
	var log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': title, tabindex: '0' });
	var typing = el('div', { class: 'typing', role: 'status', 'aria-label': t('typing'), hidden: '' },
		[el('span'), el('span'), el('span'), el('span', { class: 'sr', text: t('typing') })]);
	var input = el('textarea', { rows: '1', placeholder: t('placeholder'), 'aria-label': t('message'), maxlength: '2000', enterkeyhint: 'send' });
	var sendBtn = el('button', { type: 'submit', class: 'send', 'aria-label': t('send') },
		[svg('M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z')]);
	var form = el('form', { autocomplete: 'off' }, [input, sendBtn]);
	var panel = el('div', { class: 'panel', id: 'ra-panel', role: 'dialog', 'aria-labelledby': 'ra-title', hidden: '' },
		[el('header', null, [titleEl, closeBtn]), log, form]);
	var badge = el('span', { class: 'badge', hidden: '' }, [el('span', { class: 'sr', text: t('unread') })]);
	var launcher = el('button', { type: 'button', class: 'launcher', 'aria-label': t('open'), 'aria-expanded': 'false', 'aria-controls': 'ra-panel' },
		[svg('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z'), badge]);
	log.appendChild(typing);
	root.appendChild(panel);
	root.appendChild(launcher);
	shadow.appendChild(style);
	shadow.appendChild(root);

	function mount() {
		document.body.appendChild(host);
	}
	if (document.body)
		mount();
	else
		document.addEventListener('DOMContentLoaded', mount);

	/* --- state ----------------------------------------------------------------- */
	var STORE_KEY = 'retail-assistant:' + TENANT + ':' + API;
	var st = {
		session: null,       /* {id, token, expiresAt} */
		lastSeq: 0,
		transport: null,     /* 'ws' | 'http' */
		httpMode: null,      /* 'sse' | 'poll': what the events endpoint answered */
		state: 'idle',       /* idle | connecting | online | reconnecting | offline */
		ws: null,
		wsEverOpen: false,
		wsFailures: 0,
		httpAbort: null,
		pending: 0,
		outbox: [],
		bubbles: {},         /* turn_id -> bot bubble */
		started: false,
		refreshTimer: null,
		epoch: 0             /* bumps when the session is replaced */
	};

	function save() {
		try {
			if (!st.session)
				sessionStorage.removeItem(STORE_KEY);
			else
				sessionStorage.setItem(STORE_KEY, JSON.stringify({ s: st.session, seq: st.lastSeq }));
		} catch (e) { /* storage may be disabled */ }
	}
	function load() {
		try {
			var v = JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null');
			if (v && v.s && v.s.id && v.s.token && v.s.expiresAt > Date.now() + 30000) {
				st.session = v.s;
				st.lastSeq = v.seq || 0;
			}
		} catch (e) { /* ignore */ }
	}

	function setState(s) {
		st.state = s;
		statusEl.textContent = s === 'idle' ? '' : t(s);
		root.setAttribute('data-state', s);
		if (st.transport)
			root.setAttribute('data-transport', st.transport);
	}

	/* --- REST ---------------------------------------------------------------- */
	function authHeaders(extra) {
		var h = extra || {};
		if (st.session && st.session.token)
			h.Authorization = 'Bearer ' + st.session.token;
		return h;
	}
	function api(method, path, body, headers, signal) {
		var h = authHeaders(headers || {});
		if (body !== undefined)
			h['Content-Type'] = 'application/json';
		return fetch(API + path, {
			method: method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
			signal: signal, credentials: 'omit', cache: 'no-store'
		});
	}
	function errorOf(resp) {
		return resp.json().then(function (j) { return (j && j.error) || resp.statusText; },
			function () { return resp.statusText; });
	}

	function adopt(j) {
		st.session = {
			id: j.session_id, token: j.token,
			expiresAt: Date.now() + Math.max(30, Number(j.expires_in) || 900) * 1000
		};
		save();
		scheduleRefresh();
	}

	/* A session from POST /v1/sessions: a guest, or the customer that the
	 * retailer's signed assertion names. */
	function createSession() {
		var body = { locale: LOCALE };
		if (ASSERTION)
			body.customer_assertion = ASSERTION;
		return api('POST', '/v1/sessions', body).then(function (resp) {
			if (resp.status === 201 || resp.status === 200)
				return resp.json().then(function (j) {
					st.lastSeq = 0;
					st.bubbles = {};
					adopt(j);
				});
			return errorOf(resp).then(function (e) { throw new Error(e); });
		});
	}

	function scheduleRefresh() {
		clearTimeout(st.refreshTimer);
		if (!st.session)
			return;
		var left = st.session.expiresAt - Date.now();
		var at = Math.max(1000, Math.min(left - 60000, left * 0.8));
		st.refreshTimer = setTimeout(function () { refreshToken(0); }, at);
	}

	/* Fresh token before the old one expires; a session the gateway no longer
	 * knows (or a token it refuses) means starting a new one. */
	function refreshToken(attempt) {
		if (!st.session)
			return Promise.resolve();
		var epoch = st.epoch;
		return api('POST', '/v1/sessions/' + encodeURIComponent(st.session.id) + '/token').then(function (resp) {
			if (epoch !== st.epoch)
				return;
			if (resp.ok)
				return resp.json().then(adopt);
			if (resp.status === 401 || resp.status === 403 || resp.status === 404)
				return renewSession();
			throw new Error('refresh: HTTP ' + resp.status);
		}).catch(function () {
			if (epoch !== st.epoch || !st.session)
				return;
			if (st.session.expiresAt <= Date.now())
				return renewSession();
			clearTimeout(st.refreshTimer);
			st.refreshTimer = setTimeout(function () { refreshToken(attempt + 1); }, backoff(attempt));
		});
	}

	function renewSession() {
		st.epoch++;
		st.session = null;
		save();
		closeTransports();
		return createSession().then(connect);
	}

	/* --- events --------------------------------------------------------------- */
	function handleEvent(ev) {
		if (!ev || typeof ev !== 'object')
			return;
		var seq = Number(ev.seq);
		if (seq > 0) {
			if (seq <= st.lastSeq)
				return; /* delivered already */
			st.lastSeq = seq;
			save();
		}
		if (ev.type === 'delta')
			onDelta(ev);
		else if (ev.type === 'final')
			onFinal(ev);
		else if (ev.type === 'error')
			onErrorEvent(ev);
	}

	function scrollDown() {
		log.scrollTop = log.scrollHeight;
	}
	function append(node) {
		log.insertBefore(node, typing);
		scrollDown();
	}
	function showTyping() {
		var streaming = log.querySelector('.bot.streaming');
		if (st.pending > 0 && !streaming)
			typing.removeAttribute('hidden');
		else
			typing.setAttribute('hidden', '');
		scrollDown();
	}
	function system(text, isErr) {
		append(el('div', { class: 'sys' + (isErr ? ' err' : ''), role: isErr ? 'alert' : 'note', text: text }));
	}

	function botBubble(turnId) {
		var b = turnId && st.bubbles[turnId];
		if (b)
			return b;
		var body = el('div', { class: 'body' });
		var node = el('div', { class: 'msg bot', 'aria-label': t('bot') }, [body]);
		b = { node: node, body: body, text: '', final: false, turnId: turnId };
		if (turnId) {
			st.bubbles[turnId] = b;
			node.setAttribute('data-turn', turnId);
		}
		append(node);
		return b;
	}

	function onDelta(ev) {
		var b = botBubble(ev.turn_id);
		if (b.final)
			return;
		b.node.classList.add('streaming');
		b.text += String(ev.text || '');
		b.body.textContent = b.text;
		showTyping();
		scrollDown();
	}

	function onFinal(ev) {
		var b = botBubble(ev.turn_id);
		b.final = true;
		b.node.classList.remove('streaming');
		b.node.classList.add('final');
		b.node.setAttribute('data-action', String(ev.action || 'answer'));
		while (b.node.firstChild)
			b.node.removeChild(b.node.firstChild);
		b.body = el('div', { class: 'body' });
		b.body.appendChild(markdown(ev.text));
		b.node.appendChild(b.body);
		if (Array.isArray(ev.cards) && ev.cards.length)
			b.node.appendChild(cards(ev.cards));
		if (Array.isArray(ev.citations) && ev.citations.length)
			b.node.appendChild(citations(ev.citations));
		if (ev.turn_id)
			b.node.appendChild(feedback(ev.turn_id));
		clearQuickReplies();
		if (Array.isArray(ev.quick_replies) && ev.quick_replies.length)
			append(quickReplies(ev.quick_replies));
		st.pending = Math.max(0, st.pending - 1);
		showTyping();
		if (panel.hasAttribute('hidden'))
			badge.removeAttribute('hidden');
	}

	function onErrorEvent(ev) {
		var text = ev.message ? String(ev.message) : ev.code === 'rate_limited' ? t('slow', 1) : t('sendfail');
		system(text, true);
		st.pending = Math.max(0, st.pending - 1);
		showTyping();
	}

	function cards(list) {
		var wrap = el('div', { class: 'cards', role: 'list' });
		list.forEach(function (c) {
			if (!c || typeof c !== 'object')
				return;
			var card = el('div', { class: 'card', role: 'listitem', 'data-sku': String(c.sku || '') });
			var img = c.image_url && safeUrl(c.image_url);
			if (img)
				card.appendChild(el('img', { src: img, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer' }));
			card.appendChild(el('div', { class: 'name', text: String(c.name || c.sku || '') }));
			if (typeof c.price_sen === 'number')
				card.appendChild(el('div', { class: 'price', text: formatPrice(c.price_sen, c.currency) }));
			if (typeof c.stock === 'number') {
				var n = c.stock;
				var cls = n <= 0 ? 'stock out' : n <= 3 ? 'stock low' : 'stock';
				var txt = n <= 0 ? t('outofstock') : n <= 3 ? t('fewleft', n) : t('instock') + ' (' + n + ')';
				card.appendChild(el('div', { class: cls, text: txt }));
			}
			if (c.sku)
				card.appendChild(el('div', { class: 'sku', text: String(c.sku) }));
			var href = c.url && safeUrl(c.url);
			if (href)
				card.appendChild(link(href, t('view')));
			wrap.appendChild(card);
		});
		return wrap;
	}

	function citations(list) {
		var ul = el('ul');
		list.forEach(function (c) {
			if (c && (c.title || c.id))
				ul.appendChild(el('li', { text: String(c.title || c.id) }));
		});
		return el('div', { class: 'cites' }, [el('span', { text: t('sources') + ':' }), ul]);
	}

	function feedback(turnId) {
		var note = el('span', { class: 'note', role: 'status' });
		/* Drawn, not emoji: every system shows them the same. */
		var thumb = 'M2 21h3V10H2v11zm20-10a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 2 6.6 8.6c-.4.4-.6.9-.6 1.4v9a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z';
		var up = el('button', { type: 'button', class: 'up', 'aria-label': t('helpful'), title: t('helpful'), 'aria-pressed': 'false' }, [svg(thumb)]);
		var down = el('button', { type: 'button', class: 'down', 'aria-label': t('unhelpful'), title: t('unhelpful'), 'aria-pressed': 'false' }, [svg(thumb)]);
		function rate(rating, btn) {
			up.disabled = down.disabled = true;
			var body = { session_id: st.session && st.session.id, turn_id: turnId, rating: rating };
			api('POST', '/v1/feedback', body).then(function (resp) {
				if (!resp.ok)
					throw new Error('HTTP ' + resp.status);
				btn.setAttribute('aria-pressed', 'true');
				note.textContent = t('thanks');
				note.className = 'note done';
			}).catch(function () {
				up.disabled = down.disabled = false;
				note.textContent = t('fbfail');
				note.className = 'note failed';
			});
		}
		up.addEventListener('click', function () { rate('up', up); });
		down.addEventListener('click', function () { rate('down', down); });
		return el('div', { class: 'fb' }, [up, down, note]);
	}

	function clearQuickReplies() {
		Array.prototype.forEach.call(log.querySelectorAll('.qr'), function (q) { q.remove(); });
	}
	function quickReplies(list) {
		var g = el('div', { class: 'qr', role: 'group', 'aria-label': t('suggestions') });
		list.forEach(function (q) {
			if (!q || !(q.title || q.payload))
				return;
			var b = el('button', { type: 'button', text: String(q.title || q.payload) });
			b.addEventListener('click', function () {
				send(String(q.payload || q.title), String(q.title || q.payload));
				input.focus();
			});
			g.appendChild(b);
		});
		return g;
	}

	/* --- transports -------------------------------------------------------- */
	function closeTransports() {
		if (st.ws) {
			st.ws.onclose = st.ws.onerror = st.ws.onmessage = st.ws.onopen = null;
			try { st.ws.close(); } catch (e) { /* ignore */ }
			st.ws = null;
		}
		if (st.httpAbort) {
			st.httpAbort.abort();
			st.httpAbort = null;
		}
	}

	function connect() {
		if (!st.session)
			return;
		var useWs = TRANSPORT === 'ws' || (TRANSPORT === 'auto' && st.transport !== 'http' &&
			typeof WebSocket === 'function');
		st.transport = useWs ? 'ws' : 'http';
		setState(st.state === 'online' ? 'reconnecting' : 'connecting');
		if (useWs)
			connectWs(st.epoch);
		else
			httpLoop(st.epoch);
	}

	function connectWs(epoch) {
		var ws;
		try {
			ws = new WebSocket(WS_URL + '?token=' + encodeURIComponent(st.session.token));
		} catch (e) {
			return wsClosed(epoch, false);
		}
		var opened = false;
		st.ws = ws;
		ws.onopen = function () {
			opened = true;
			st.wsEverOpen = true;
			st.wsFailures = 0;
			ws.send(JSON.stringify({ type: 'resume', after: st.lastSeq }));
			setState('online');
			flushOutbox();
		};
		ws.onmessage = function (m) {
			var ev;
			try { ev = JSON.parse(m.data); } catch (e) { return; }
			handleEvent(ev);
		};
		ws.onclose = function () {
			if (st.ws === ws)
				st.ws = null;
			wsClosed(epoch, opened);
		};
		ws.onerror = function () { /* onclose follows */ };
	}

	/* Reconnect with backoff; a socket that never opened twice in a row (and
	 * never did on this page) means WebSockets do not get through: use the
	 * REST transport instead. The browser cannot tell a refused token (401)
	 * from a network failure, so after a failed attempt, or with a token close
	 * to expiry, the token is refreshed first (which starts a new session when
	 * the gateway no longer knows this one). */
	function wsClosed(epoch, wasOpen) {
		if (epoch !== st.epoch)
			return;
		if (!wasOpen)
			st.wsFailures++;
		if (TRANSPORT === 'auto' && !st.wsEverOpen && st.wsFailures >= 2) {
			st.transport = 'http';
			root.setAttribute('data-transport', 'http');
			httpLoop(epoch);
			return;
		}
		setState('reconnecting');
		var delay = wasOpen ? backoff(0) : backoff(st.wsFailures);
		sleep(delay).then(function () {
			if (epoch !== st.epoch)
				return;
			var renew = st.wsFailures > 0 || (st.session && st.session.expiresAt - Date.now() < 90000);
			return (renew ? refreshToken(0) : Promise.resolve()).then(function () {
				if (epoch === st.epoch && !st.ws)
					connectWs(epoch);
			});
		});
	}

	/* REST events: asks for Server-Sent Events and reads whichever comes back
	 * (a text/event-stream, or a long-poll JSON page). */
	function httpLoop(epoch) {
		var attempt = 0;
		flushOutbox();
		function once() {
			if (epoch !== st.epoch || !st.session)
				return;
			var ctl = new AbortController();
			st.httpAbort = ctl;
			var path = '/v1/sessions/' + encodeURIComponent(st.session.id) + '/events?after=' + st.lastSeq +
				'&wait=' + POLL_WAIT_MS;
			api('GET', path, undefined, { Accept: 'text/event-stream, application/json;q=0.9' }, ctl.signal)
				.then(function (resp) {
					if (resp.status === 401 || resp.status === 403 || resp.status === 404)
						return renewSession().then(function () { epoch = -1; });
					if (resp.status === 429) {
						var ra = Number(resp.headers.get('Retry-After')) || 1;
						return sleep(ra * 1000);
					}
					if (!resp.ok)
						throw new Error('events: HTTP ' + resp.status);
					setState('online');
					attempt = 0;
					var ct = resp.headers.get('Content-Type') || '';
					st.httpMode = ct.indexOf('text/event-stream') === 0 ? 'sse' : 'poll';
					if (st.httpMode === 'sse')
						return readSse(resp).then(function () {
							/* the server ended the stream: reconnect, not at once */
							return sleep(backoff(attempt++));
						});
					return resp.json().then(function (page) {
						(page.events || []).forEach(handleEvent);
						if (Number(page.next) > st.lastSeq) {
							st.lastSeq = Number(page.next);
							save();
						}
					});
				})
				.catch(function (e) {
					if (ctl.signal.aborted)
						return;
					setState('reconnecting');
					return sleep(backoff(attempt++));
				})
				.then(once);
		}
		once();
	}

	function readSse(resp) {
		var reader = resp.body.getReader();
		var dec = new TextDecoder();
		var buf = '';
		function dispatch(block) {
			var data = [];
			block.split('\n').forEach(function (line) {
				if (!line || line[0] === ':')
					return;
				var i = line.indexOf(':');
				var field = i < 0 ? line : line.slice(0, i);
				var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
				if (field === 'data')
					data.push(value);
			});
			if (data.length) {
				try { handleEvent(JSON.parse(data.join('\n'))); } catch (e) { /* not ours */ }
			}
		}
		function pump() {
			return reader.read().then(function (r) {
				if (r.done)
					return;
				buf += dec.decode(r.value, { stream: true }).replace(/\r\n?/g, '\n');
				var i;
				while ((i = buf.indexOf('\n\n')) >= 0) {
					dispatch(buf.slice(0, i));
					buf = buf.slice(i + 2);
				}
				return pump();
			});
		}
		return pump();
	}

	/* --- sending --------------------------------------------------------------- */
	function send(text, shown) {
		text = String(text || '').trim();
		if (!text)
			return;
		append(el('div', { class: 'msg user', 'aria-label': t('you'), text: shown || text }));
		clearQuickReplies();
		st.pending++;
		showTyping();
		var m = { text: text, id: randomId('m-'), tries: 0 };
		st.outbox.push(m);
		start().then(flushOutbox, function () {
			var i = st.outbox.indexOf(m);
			if (i >= 0)
				st.outbox.splice(i, 1);
			failed(t('sendfail'));
		});
	}

	function flushOutbox() {
		if (!st.session)
			return;
		while (st.outbox.length) {
			var m = st.outbox[0];
			if (st.transport === 'ws') {
				if (!st.ws || st.ws.readyState !== 1)
					return; /* sent when the socket opens */
				st.ws.send(JSON.stringify({ type: 'message', text: m.text, client_msg_id: m.id }));
				st.outbox.shift();
			} else {
				st.outbox.shift();
				postMessage(m);
			}
		}
	}

	function postMessage(m) {
		var epoch = st.epoch;
		var path = '/v1/sessions/' + encodeURIComponent(st.session.id) + '/messages';
		api('POST', path, { text: m.text, client_msg_id: m.id, channel: 'web' }).then(function (resp) {
			if (resp.status === 202 || resp.status === 200)
				return;
			if ((resp.status === 401 || resp.status === 404) && m.tries++ < 1) {
				st.outbox.unshift(m);
				return renewSession();
			}
			if (resp.status === 429) {
				failed(t('slow', Number(resp.headers.get('Retry-After')) || 1));
				return;
			}
			if (resp.status >= 500 && m.tries++ < 3) {
				return sleep(backoff(m.tries)).then(function () {
					if (epoch === st.epoch)
						postMessage(m);
				});
			}
			return errorOf(resp).then(function (e) { failed(resp.status < 500 ? e : t('sendfail')); });
		}, function () {
			if (m.tries++ < 3)
				return sleep(backoff(m.tries)).then(function () { postMessage(m); });
			failed(t('sendfail'));
		});
	}

	function failed(text) {
		system(text, true);
		st.pending = Math.max(0, st.pending - 1);
		showTyping();
	}

	/* --- start, open, close ------------------------------------------------- */
	var starting = null;
	function start() {
		if (starting)
			return starting;
		setState('connecting');
		load();
		starting = (st.session ? Promise.resolve() : createSession()).then(function () {
			scheduleRefresh();
			connect();
		}, function (e) {
			starting = null;
			setState('offline');
			throw e;
		});
		return starting;
	}

	function open() {
		panel.removeAttribute('hidden');
		badge.setAttribute('hidden', '');
		launcher.setAttribute('aria-expanded', 'true');
		launcher.setAttribute('aria-label', t('close'));
		if (!log.querySelector('.msg'))
			append(el('div', { class: 'msg bot greeting' }, [el('div', { class: 'body', text: opt('greeting', t('greeting')) })]));
		start().catch(function () {
			system(t('offline'), true);
		});
		setTimeout(function () { input.focus(); }, 0);
	}
	function close() {
		panel.setAttribute('hidden', '');
		launcher.setAttribute('aria-expanded', 'false');
		launcher.setAttribute('aria-label', t('open'));
		launcher.focus();
	}

	launcher.addEventListener('click', function () {
		if (panel.hasAttribute('hidden'))
			open();
		else
			close();
	});
	closeBtn.addEventListener('click', close);
	panel.addEventListener('keydown', function (e) {
		if (e.key === 'Escape')
			close();
	});
	form.addEventListener('submit', function (e) {
		e.preventDefault();
		var v = input.value;
		input.value = '';
		autosize();
		send(v);
	});
	input.addEventListener('keydown', function (e) {
		if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
			e.preventDefault();
			form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
		}
	});
	function autosize() {
		input.style.height = 'auto';
		input.style.height = Math.min(120, input.scrollHeight) + 'px';
	}
	input.addEventListener('input', autosize);
	window.addEventListener('online', function () {
		if (st.session && st.transport === 'ws' && !st.ws) {
			st.wsFailures = 0;
			connectWs(st.epoch);
		}
	});

	/* A page with a session from an earlier page view picks it up at once,
	 * so replies that arrived meanwhile are not lost. */
	load();
	if (opt('open', '') === 'true')
		open();
	else if (st.session)
		start().catch(function () { /* shown when the panel opens */ });

	window.RetailAssistant = {
		version: '1',
		open: open,
		close: close,
		send: function (text) { send(text); },
		state: function () {
			return {
				session_id: st.session && st.session.id, transport: st.transport, http_mode: st.httpMode, state: st.state,
				last_seq: st.lastSeq, ws_url: WS_URL, api: API
			};
		}
	};
})();
