/* origin: the allowed-origin list and its checks. */
#include "origin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* The host name of an authority ("host", "host:port", "[v6]:port") into
 * out; 0, or -1 when it is malformed. */
static int authority_host(const char *a, size_t len, char *out, size_t outlen)
{
	size_t hl;
	if (len == 0)
		return -1;
	if (a[0] == '[') {
		const char *close = memchr(a, ']', len);
		if (!close)
			return -1;
		hl = (size_t)(close - a) + 1;
		if (hl < len && a[hl] != ':')
			return -1;
	} else {
		const char *colon = memchr(a, ':', len);
		hl = colon ? (size_t)(colon - a) : len;
	}
	if (hl == 0 || hl >= outlen)
		return -1;
	for (size_t i = 0; i < hl; i++) {
		unsigned char ch = (unsigned char)a[i];
		if (!isalnum(ch) && ch != '.' && ch != '-' && ch != '[' && ch != ']' && ch != ':')
			return -1;
	}
	if (hl < len) { /* a port: 1..65535 */
		size_t pl = len - hl - 1;
		long port = 0;
		if (pl == 0 || pl > 5)
			return -1;
		for (size_t i = hl + 1; i < len; i++) {
			if (!isdigit((unsigned char)a[i]))
				return -1;
			port = port * 10 + (a[i] - '0');
		}
		if (port < 1 || port > 65535)
			return -1;
	}
	memcpy(out, a, hl);
	out[hl] = '\0';
	return 0;
}

/* The authority part of "http://authority" or "https://authority" (no
 * path, query or fragment), or NULL. */
static const char *origin_authority(const char *origin)
{
	if (!strncasecmp(origin, "http://", 7))
		return origin + 7;
	if (!strncasecmp(origin, "https://", 8))
		return origin + 8;
	return NULL;
}

static int valid_origin(const char *origin)
{
	char host[GW_ORIGIN_MAX + 1];
	const char *a = origin_authority(origin);
	return a && strlen(origin) <= GW_ORIGIN_MAX && authority_host(a, strlen(a), host, sizeof(host)) == 0;
}

int gw_origins_init(struct gw_origins *o, const char *csv, char *errstr, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	const char *p = csv ? csv : "";
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *s = p;
		while (len && isspace((unsigned char)*s)) {
			s++;
			len--;
		}
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		p = end ? end + 1 : p + strlen(p);
		if (!len)
			continue;
		char *entry = xstrndup(s, len);
		if (!strcmp(entry, "*")) {
			o->any = 1;
			free(entry);
			continue;
		}
		if (!valid_origin(entry)) {
			snprintf(errstr, errlen,
				 "\"%.*s\" is not an origin: expected scheme://host[:port] (http or https, no path)",
				 (int)(len > 96 ? 96 : len), s);
			free(entry);
			gw_origins_release(o);
			return -1;
		}
		if (o->n == GW_ORIGINS_MAX) {
			snprintf(errstr, errlen, "more than %d origins", GW_ORIGINS_MAX);
			free(entry);
			gw_origins_release(o);
			return -1;
		}
		o->list = xrealloc(o->list, (o->n + 1) * sizeof(*o->list));
		o->list[o->n++] = entry;
	}
	return 0;
}

void gw_origins_release(struct gw_origins *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->list[i]);
	free(o->list);
	memset(o, 0, sizeof(*o));
}

int gw_origin_same_host(const char *origin, const char *host)
{
	char oh[GW_ORIGIN_MAX + 1], hh[GW_ORIGIN_MAX + 1];
	const char *a = origin ? origin_authority(origin) : NULL;
	if (!a || !host || authority_host(a, strlen(a), oh, sizeof(oh)) ||
	    authority_host(host, strlen(host), hh, sizeof(hh)))
		return 0;
	return !strcasecmp(oh, hh);
}

int gw_origin_allowed(const struct gw_origins *o, const char *origin, const char *host)
{
	if (!origin)
		return 0;
	if (o && o->any)
		return 1;
	for (size_t i = 0; o && i < o->n; i++)
		if (!strcasecmp(o->list[i], origin))
			return 1;
	return gw_origin_same_host(origin, host);
}
