/* fake_graph: a local WhatsApp Cloud API for the integration tests. */
#include "fake_graph.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct fake_graph {
	struct MHD_Daemon *mhd;
	char *version, *token;
	pthread_mutex_t lock;
	struct fg_record recs[FG_MAX_RECORDS];
	size_t n;
};

struct upload {
	char *buf;
	size_t len;
};

static int all_digits(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Characters as WhatsApp counts them (UTF-16 units). */
static size_t wa_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n += *p >= 0xF0 ? 2 : 1;
	return n;
}

static const char *check_interactive(json_t *in)
{
	const char *t = json_string_value(json_object_get(in, "type"));
	const char *body = json_string_value(json_object_get(json_object_get(in, "body"), "text"));
	json_t *action = json_object_get(in, "action");
	if (!body || !*body || wa_chars(body) > 1024)
		return "interactive.body.text must be 1..1024 characters";
	if (t && !strcmp(t, "button")) {
		json_t *b = json_object_get(action, "buttons");
		if (!json_is_array(b) || json_array_size(b) < 1 || json_array_size(b) > 3)
			return "interactive button: 1..3 buttons";
		size_t i;
		json_t *v;
		json_array_foreach(b, i, v)
		{
			json_t *r = json_object_get(v, "reply");
			const char *title = json_string_value(json_object_get(r, "title"));
			const char *id = json_string_value(json_object_get(r, "id"));
			if (!title || !*title || wa_chars(title) > 20 || !id || !*id || wa_chars(id) > 256)
				return "interactive button: reply title 1..20, id 1..256 characters";
		}
		return "";
	}
	if (t && !strcmp(t, "list")) {
		const char *btn = json_string_value(json_object_get(action, "button"));
		if (!btn || !*btn || wa_chars(btn) > 20)
			return "interactive list: action.button 1..20 characters";
		json_t *secs = json_object_get(action, "sections");
		size_t rows = 0, i, k;
		json_t *s, *r;
		json_array_foreach(secs, i, s)
		{
			json_array_foreach(json_object_get(s, "rows"), k, r)
			{
				const char *title = json_string_value(json_object_get(r, "title"));
				const char *d = json_string_value(json_object_get(r, "description"));
				if (!title || !*title || wa_chars(title) > 24 || (d && wa_chars(d) > 72))
					return "interactive list: row title 1..24, description up to 72 characters";
				rows++;
			}
		}
		if (rows < 1 || rows > 10)
			return "interactive list: 1..10 rows";
		return "";
	}
	return "interactive.type must be button or list";
}

const char *fg_check(const char *path, const char *auth, const char *body, size_t len, const char *version,
		     const char *token, char *pnid, size_t pnidlen, char *to, size_t tolen, char *type,
		     size_t typelen)
{
	char want_auth[512];
	snprintf(want_auth, sizeof(want_auth), "Bearer %s", token);
	if (!auth || strcmp(auth, want_auth))
		return "bad or missing bearer token";
	/* /{version}/{phone_number_id}/messages */
	size_t vl = strlen(version);
	if (path[0] != '/' || strncmp(path + 1, version, vl) || path[1 + vl] != '/')
		return "wrong API version in the path";
	const char *p = path + 2 + vl;
	const char *slash = strchr(p, '/');
	if (!slash || strcmp(slash, "/messages") || (size_t)(slash - p) >= pnidlen)
		return "path is not /{version}/{phone_number_id}/messages";
	memcpy(pnid, p, (size_t)(slash - p));
	pnid[slash - p] = '\0';
	if (!all_digits(pnid, 32))
		return "phone_number_id is not a number";
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *problem = "";
	const char *mp = json_string_value(json_object_get(j, "messaging_product"));
	const char *rt = json_string_value(json_object_get(j, "recipient_type"));
	const char *t = json_string_value(json_object_get(j, "to"));
	const char *ty = json_string_value(json_object_get(j, "type"));
	if (!json_is_object(j))
		problem = "body is not a JSON object";
	else if (!mp || strcmp(mp, "whatsapp"))
		problem = "messaging_product must be \"whatsapp\"";
	else if (rt && strcmp(rt, "individual"))
		problem = "recipient_type must be \"individual\"";
	else if (!t || !all_digits(t, 32))
		problem = "\"to\" must be a phone number";
	else if (!ty)
		problem = "\"type\" is required";
	else if (!strcmp(ty, "text")) {
		const char *b = json_string_value(json_object_get(json_object_get(j, "text"), "body"));
		if (!b || !*b || wa_chars(b) > 4096)
			problem = "text.body must be 1..4096 characters";
	} else if (!strcmp(ty, "interactive"))
		problem = check_interactive(json_object_get(j, "interactive"));
	else
		problem = "unexpected message type";
	if (t)
		util_strlcpy(to, t, tolen);
	if (ty)
		util_strlcpy(type, ty, typelen);
	json_decref(j);
	return problem;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
								 MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result q = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return q;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *data, size_t *data_len, void **req)
{
	struct fake_graph *fg = cls;
	struct upload *u = *req;
	(void)version;
	if (!u) {
		*req = xcalloc(1, sizeof(*u));
		return MHD_YES;
	}
	if (*data_len) {
		if (u->len + *data_len <= 1 << 20) {
			u->buf = xrealloc(u->buf, u->len + *data_len + 1);
			memcpy(u->buf + u->len, data, *data_len);
			u->len += *data_len;
			u->buf[u->len] = '\0';
		}
		*data_len = 0;
		return MHD_YES;
	}
	struct fg_record rec;
	memset(&rec, 0, sizeof(rec));
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *problem = strcmp(method, "POST") ? "method must be POST"
						     : fg_check(url, auth, u->buf ? u->buf : "", u->len, fg->version,
								fg->token, rec.phone_number_id, sizeof(rec.phone_number_id),
								rec.to, sizeof(rec.to), rec.type, sizeof(rec.type));
	rec.ok = !*problem;
	util_strlcpy(rec.problem, problem, sizeof(rec.problem));
	rec.body = xstrdup(u->buf ? u->buf : "");
	free(u->buf);
	free(u);
	*req = NULL;
	pthread_mutex_lock(&fg->lock);
	if (fg->n < FG_MAX_RECORDS)
		fg->recs[fg->n++] = rec;
	else
		free(rec.body);
	pthread_mutex_unlock(&fg->lock);
	if (!rec.ok) {
		json_t *e = json_pack("{s:{s:s,s:s,s:i}}", "error", "message", problem, "type", "OAuthException", "code",
				      100);
		char *s = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		enum MHD_Result q = reply(conn, strstr(problem, "token") ? 401 : 400, s);
		free(s);
		return q;
	}
	char ok[256];
	snprintf(ok, sizeof(ok),
		 "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"%s\",\"wa_id\":\"%s\"}],"
		 "\"messages\":[{\"id\":\"wamid.fake%zu\"}]}",
		 rec.to, rec.to, fg->n);
	return reply(conn, 200, ok);
}

struct fake_graph *fg_start(int port, const char *version, const char *token)
{
	struct fake_graph *fg = xcalloc(1, sizeof(*fg));
	fg->version = xstrdup(version);
	fg->token = xstrdup(token);
	pthread_mutex_init(&fg->lock, NULL);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fg->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handle, fg,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	if (!fg->mhd) {
		fg_stop(fg);
		return NULL;
	}
	return fg;
}

void fg_stop(struct fake_graph *fg)
{
	if (!fg)
		return;
	if (fg->mhd)
		MHD_stop_daemon(fg->mhd);
	for (size_t i = 0; i < fg->n; i++)
		free(fg->recs[i].body);
	pthread_mutex_destroy(&fg->lock);
	free(fg->version);
	free(fg->token);
	free(fg);
}

size_t fg_records(struct fake_graph *fg, const char *to, struct fg_record *out, size_t n)
{
	size_t m = 0;
	pthread_mutex_lock(&fg->lock);
	for (size_t i = 0; i < fg->n; i++) {
		if (to && strcmp(fg->recs[i].to, to))
			continue;
		if (m < n) {
			out[m] = fg->recs[i];
			out[m].body = xstrdup(fg->recs[i].body);
		}
		m++;
	}
	pthread_mutex_unlock(&fg->lock);
	return m;
}

void fg_records_free(struct fg_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(recs[i].body);
}

size_t fg_wait(struct fake_graph *fg, const char *to, size_t want, int timeout_ms)
{
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		size_t n = fg_records(fg, to, NULL, 0);
		if (n >= want || util_mono_us() > deadline)
			return n;
		util_sleep_ms(50, NULL);
	}
}
