// The running gateway answers as docs/openapi.yaml says: for real requests
// (good and bad), the status is one the document lists for the operation and
// the body validates against the documented schema (JSON Schema 2020-12,
// Ajv). Run by `make test-e2e` against the stack of deploy/env.sh.
import Ajv2020 from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const offset = Number(process.env.PORT_OFFSET || 0);
const BASE = (process.env.GATEWAY_URL || `http://127.0.0.1:${8080 + offset}`).replace(/\/+$/, '');
const doc = YAML.parse(readFileSync(join(here, '../../docs/openapi.yaml'), 'utf8'));
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(doc, 'openapi');

let passed = 0;
let failed = 0;
function check(cond, what, detail) {
	if (cond) {
		passed++;
		console.log(`  ok    ${what}`);
	} else {
		failed++;
		console.log(`  FAIL  ${what}${detail === undefined ? '' : ': ' + JSON.stringify(detail).slice(0, 600)}`);
	}
	return cond;
}

const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

// The documented response of (template, method, status): its JSON pointer.
function responsePointer(tpl, method, status) {
	const op = doc.paths[tpl] && doc.paths[tpl][method];
	if (!op)
		return null;
	const r = op.responses[String(status)];
	if (!r)
		return null;
	if (r.$ref)
		return r.$ref.slice(1);
	return `/paths/${esc(tpl)}/${method}/responses/${status}`;
}
function resolve(pointer) {
	return pointer.split('/').slice(1).reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

// Send a request, then check its answer against the document.
async function call(name, method, tpl, path, opts = {}) {
	const headers = { ...(opts.headers || {}) };
	if (opts.token)
		headers.Authorization = `Bearer ${opts.token}`;
	let body;
	if (opts.raw !== undefined)
		body = opts.raw;
	else if (opts.json !== undefined)
		body = JSON.stringify(opts.json);
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	const resp = await fetch(BASE + path, { method, headers, body });
	const text = await resp.text();
	const ptr = responsePointer(tpl, method.toLowerCase(), resp.status);
	check(ptr !== null, `${name}: HTTP ${resp.status} is documented for ${method} ${tpl}`, text);
	let json = null;
	const ct = (resp.headers.get('content-type') || '').split(';')[0];
	if (ct === 'application/json') {
		try { json = JSON.parse(text); } catch { /* checked below */ }
		check(json !== null, `${name}: the body is JSON`, text);
	}
	if (ptr && json !== null) {
		const r = resolve(ptr);
		const media = r.content && r.content['application/json'];
		if (check(!!media, `${name}: ${resp.status} is documented as application/json`)) {
			const v = ajv.getSchema(`openapi#${ptr}/content/application~1json/schema`);
			check(v(json), `${name}: the body matches the documented schema`, { errors: v.errors, body: json });
		}
	}
	if (ptr) {
		for (const h of Object.keys(resolve(ptr).headers || {}))
			check(resp.headers.get(h) !== null, `${name}: the documented ${h} header is there`);
	}
	return { status: resp.status, json, headers: resp.headers, text };
}

async function sse(name, sid, token, after) {
	const ctl = new AbortController();
	const resp = await fetch(`${BASE}/v1/sessions/${sid}/events?after=${after}`, {
		headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' }, signal: ctl.signal
	});
	check(resp.status === 200 && (resp.headers.get('content-type') || '').startsWith('text/event-stream'),
		`${name}: 200 text/event-stream`, resp.status);
	const reader = resp.body.getReader();
	const dec = new TextDecoder();
	let buf = '';
	for (;;) {
		const { value, done } = await reader.read();
		if (done)
			break;
		buf += dec.decode(value, { stream: true });
		const m = /id: (\d+)\nevent: (\w+)\ndata: (.*)\n\n/.exec(buf);
		if (m) {
			ctl.abort();
			const ev = JSON.parse(m[3]);
			const v = ajv.getSchema('openapi#/components/schemas/Event');
			check(v(ev), `${name}: the event matches the Event schema`, { errors: v.errors, ev });
			check(String(ev.seq) === m[1] && ev.type === m[2], `${name}: id and event fields carry seq and type`, m.slice(1, 3));
			return ev;
		}
	}
	check(false, `${name}: an event arrived`);
}

async function main() {
	console.log(`openapi: the gateway at ${BASE} against docs/openapi.yaml`);
	const s = await call('new session', 'POST', '/v1/sessions', '/v1/sessions', { json: { locale: 'en-MY' } });
	const sid = s.json.session_id;
	const token = s.json.token;
	const other = (await call('second session', 'POST', '/v1/sessions', '/v1/sessions', { raw: '' })).json;
	await call('bad assertion', 'POST', '/v1/sessions', '/v1/sessions', { json: { customer_assertion: 'not.a.jwt' } });
	await call('malformed JSON', 'POST', '/v1/sessions', '/v1/sessions', { raw: '{"locale":' });

	const tokTpl = '/v1/sessions/{session_id}/token';
	const fresh = await call('token refresh', 'POST', tokTpl, `/v1/sessions/${sid}/token`, { token });
	check(fresh.json.session_id === sid, 'token refresh: same session');
	await call('refresh without a token', 'POST', tokTpl, `/v1/sessions/${sid}/token`, {});
	await call('refresh with a bad token', 'POST', tokTpl, `/v1/sessions/${sid}/token`, { token: token.slice(0, -4) + 'AAAA' });
	await call("refresh with another session's token", 'POST', tokTpl, `/v1/sessions/${sid}/token`, { token: other.token });

	const msgTpl = '/v1/sessions/{session_id}/messages';
	const waited = await call('message with wait', 'POST', msgTpl, `/v1/sessions/${sid}/messages?wait=30000`,
		{ token, json: { text: 'hello', client_msg_id: 'openapi-1', channel: 'web' } });
	check(waited.status === 200 || waited.status === 504, 'message with wait: a reply or 504', waited.status);
	const acc = await call('message', 'POST', msgTpl, `/v1/sessions/${sid}/messages`, { token, json: { text: 'Is the sofa in stock?' } });
	check(acc.status === 202, 'message: 202', acc.status);
	await call('message without text', 'POST', msgTpl, `/v1/sessions/${sid}/messages`, { token, json: { message: 'hi' } });
	await call('message body too large', 'POST', msgTpl, `/v1/sessions/${sid}/messages`, { token, raw: JSON.stringify({ text: 'x'.repeat(1 << 20) }) });
	await call('message without a token', 'POST', msgTpl, `/v1/sessions/${sid}/messages`, { json: { text: 'hi' } });

	const evTpl = '/v1/sessions/{session_id}/events';
	const page = await call('events long-poll', 'GET', evTpl, `/v1/sessions/${sid}/events?after=0&wait=30000`, { token });
	check(page.json && page.json.events.length > 0, 'events long-poll: the replies are there', page.json);
	await call('events with a bad after', 'GET', evTpl, `/v1/sessions/${sid}/events?after=-1`, { token });
	await call("events with another session's token", 'GET', evTpl, `/v1/sessions/${sid}/events`, { token: other.token });
	await sse('events as SSE', sid, token, 0);

	const turn = (page.json.events.find((e) => e.type === 'final') || {}).turn_id || acc.json.turn_id;
	await call('feedback', 'POST', '/v1/feedback', '/v1/feedback', { token, json: { session_id: sid, turn_id: turn, rating: 'up' } });
	await call('feedback with a bad rating', 'POST', '/v1/feedback', '/v1/feedback', { token, json: { session_id: sid, turn_id: turn, rating: 'meh' } });
	await call('feedback without a token', 'POST', '/v1/feedback', '/v1/feedback', { json: { session_id: sid, turn_id: turn, rating: 'down' } });

	// More messages at once than a session's burst: some are refused with 429.
	const burst = Number(process.env.GATEWAY_RATE_SESSION_BURST || 10);
	const flood = await call('flood session', 'POST', '/v1/sessions', '/v1/sessions', { raw: '' });
	const results = await Promise.all(Array.from({ length: burst + 5 }, (_, i) =>
		fetch(`${BASE}/v1/sessions/${flood.json.session_id}/messages`, {
			method: 'POST', headers: { Authorization: `Bearer ${flood.json.token}`, 'Content-Type': 'application/json' },
			body: JSON.stringify({ text: `hello ${i}` })
		})));
	const limited = results.find((r) => r.status === 429);
	if (check(!!limited, `rate limit: one of ${burst + 5} messages at once is refused with 429`, results.map((r) => r.status))) {
		const v = ajv.getSchema('openapi#/components/schemas/Error');
		check(v(await limited.json()) && Number(limited.headers.get('retry-after')) >= 1, 'rate limit: an error body and Retry-After');
	}

	await call('widget', 'GET', '/widget.js', '/widget.js');
	await call('demo page', 'GET', '/', '/');

	// CORS preflight: from the first listed origin (deploy/env.sh lists one), and from elsewhere.
	const listed = (process.env.GATEWAY_ALLOWED_ORIGINS || '').split(',')[0].trim();
	if (listed && listed !== '*') {
		const pf = await call('preflight', 'OPTIONS', '/v1/sessions', '/v1/sessions',
			{ headers: { Origin: listed, 'Access-Control-Request-Method': 'POST' } });
		check(pf.status === 204 && pf.headers.get('access-control-allow-origin') === listed,
			'preflight: 204 allowing the listed origin', pf.status);
	}
	const refused = await call('preflight from elsewhere', 'OPTIONS', '/v1/sessions', '/v1/sessions',
		{ headers: { Origin: 'http://evil.invalid', 'Access-Control-Request-Method': 'POST' } });
	check(refused.status === 403, 'preflight from elsewhere: 403', refused.status);
}

try {
	await main();
} catch (e) {
	failed++;
	console.log(`  FAIL  ${e && e.stack ? e.stack : e}`);
}
console.log(`[====] Synthesis: Tested: ${passed + failed} | Passing: ${passed} | Failing: ${failed} | Crashing: 0 `);
process.exit(failed ? 1 : 0);
