/* wsclient: minimal RFC 6455 client. */
#include "wsclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { fd, ev, 0 };
	return poll(&p, 1, timeout_ms) > 0 ? 0 : -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, 5000))
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int wsc_connect(struct wsc *w, const char *host, int port, const char *path, const char *src, int timeout_ms,
		char *errstr, size_t errlen)
{
	return wsc_connect_hdrs(w, host, port, path, NULL, src, timeout_ms, errstr, errlen);
}

int wsc_connect_hdrs(struct wsc *w, const char *host, int port, const char *path, const char *headers,
		     const char *src, int timeout_ms, char *errstr, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (w->fd < 0) {
		snprintf(errstr, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_in sa = { 0 };
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (src) {
		struct sockaddr_in ss = { 0 };
		ss.sin_family = AF_INET;
		inet_pton(AF_INET, src, &ss.sin_addr);
		if (bind(w->fd, (struct sockaddr *)&ss, sizeof(ss))) {
			snprintf(errstr, errlen, "bind %s: %s", src, strerror(errno));
			goto fail;
		}
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(w->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(w->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(errstr, errlen, "connect %s:%d: %s", host, port, strerror(errno));
		goto fail;
	}
	unsigned char nonce[16], md[20];
	char key[32], expect[40];
	RAND_bytes(nonce, sizeof(nonce));
	EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce));
	char *acc = xasprintf("%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	unsigned int mdlen = 0;
	EVP_Digest(acc, strlen(acc), md, &mdlen, EVP_sha1(), NULL);
	free(acc);
	EVP_EncodeBlock((unsigned char *)expect, md, 20);
	char *req = xasprintf("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
			      path, host, port, key, headers ? headers : "");
	int rc = write_all(w->fd, req, strlen(req));
	free(req);
	if (rc) {
		snprintf(errstr, errlen, "cannot send the upgrade request");
		goto fail;
	}
	/* Read the response head (and, when refused, what follows). */
	char *end = NULL;
	while (!end) {
		if (w->incap - w->inlen < 2048) {
			w->incap = w->incap * 2 + 4096;
			w->in = xrealloc(w->in, w->incap);
		}
		ssize_t n = recv(w->fd, w->in + w->inlen, w->incap - w->inlen - 1, 0);
		if (n <= 0) {
			snprintf(errstr, errlen, "no upgrade response");
			goto fail;
		}
		w->inlen += (size_t)n;
		w->in[w->inlen] = '\0';
		end = strstr(w->in, "\r\n\r\n");
	}
	if (sscanf(w->in, "HTTP/1.%*d %d", &w->status) != 1) {
		snprintf(errstr, errlen, "not an HTTP response");
		goto fail;
	}
	if (w->status != 101) {
		/* The refusal's body: read until the server closes (bounded). */
		for (int i = 0; i < 20; i++) {
			if (w->incap - w->inlen < 2048) {
				w->incap = w->incap * 2 + 4096;
				w->in = xrealloc(w->in, w->incap);
			}
			ssize_t n = recv(w->fd, w->in + w->inlen, w->incap - w->inlen - 1, 0);
			if (n <= 0)
				break;
			w->inlen += (size_t)n;
			w->in[w->inlen] = '\0';
		}
		end = strstr(w->in, "\r\n\r\n");
		w->body = xstrdup(end + 4);
		snprintf(errstr, errlen, "upgrade refused with HTTP %d: %s", w->status, w->body);
		goto fail;
	}
	*end = '\0';
	const char *h = strcasestr(w->in, "\r\nSec-WebSocket-Accept:");
	if (!h || !strstr(h, expect)) {
		snprintf(errstr, errlen, "bad Sec-WebSocket-Accept");
		goto fail;
	}
	size_t head = (size_t)(end + 4 - w->in);
	memmove(w->in, w->in + head, w->inlen - head);
	w->inlen -= head;
	return 0;
fail:
	close(w->fd);
	w->fd = -1;
	return -1;
}

static int send_frame(struct wsc *w, int opcode, const char *data, size_t len)
{
	unsigned char hdr[14];
	size_t h = 0;
	hdr[h++] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		hdr[h++] = (unsigned char)(0x80 | len);
	} else if (len < 65536) {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (unsigned char)(len >> 8);
		hdr[h++] = (unsigned char)len;
	} else {
		hdr[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			hdr[h++] = (unsigned char)((uint64_t)len >> (8 * i));
	}
	unsigned char mask[4];
	RAND_bytes(mask, 4);
	memcpy(hdr + h, mask, 4);
	h += 4;
	unsigned char *buf = xmalloc(h + len);
	memcpy(buf, hdr, h);
	for (size_t i = 0; i < len; i++)
		buf[h + i] = (unsigned char)data[i] ^ mask[i & 3];
	int rc = write_all(w->fd, buf, h + len);
	free(buf);
	return rc;
}

int wsc_send(struct wsc *w, const char *text, size_t len)
{
	return send_frame(w, 1, text, len);
}

void wsc_nonblock(struct wsc *w)
{
	fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
}

int wsc_fill(struct wsc *w)
{
	if (w->incap - w->inlen < 4096) {
		w->incap = w->incap * 2 + 8192;
		w->in = xrealloc(w->in, w->incap);
	}
	ssize_t n = recv(w->fd, w->in + w->inlen, w->incap - w->inlen, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
	w->inlen += (size_t)n;
	return (int)n;
}

char *wsc_next(struct wsc *w)
{
	for (;;) {
		const unsigned char *p = (const unsigned char *)w->in;
		if (w->inlen < 2)
			return NULL;
		int opcode = p[0] & 0x0f;
		uint64_t len = p[1] & 0x7f;
		size_t h = 2;
		if (len == 126) {
			if (w->inlen < 4)
				return NULL;
			len = ((uint64_t)p[2] << 8) | p[3];
			h = 4;
		} else if (len == 127) {
			if (w->inlen < 10)
				return NULL;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = (len << 8) | p[2 + i];
			h = 10;
		}
		if (p[1] & 0x80)
			h += 4; /* a server never masks; skip it if one does */
		if (w->inlen < h + len)
			return NULL;
		char *msg = NULL;
		if (opcode == 1 || opcode == 0) {
			msg = xstrndup(w->in + h, (size_t)len);
		} else if (opcode == 9) {
			w->pings++;
			send_frame(w, 10, w->in + h, (size_t)len);
		} else if (opcode == 8) {
			w->closed = 1;
		}
		memmove(w->in, w->in + h + len, w->inlen - h - (size_t)len);
		w->inlen -= h + (size_t)len;
		if (msg)
			return msg;
		if (w->closed)
			return NULL;
	}
}

char *wsc_recv(struct wsc *w, int timeout_ms)
{
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		char *m = wsc_next(w);
		if (m || w->closed)
			return m;
		int64_t left = (deadline - util_mono_us()) / 1000;
		if (left <= 0 || wait_fd(w->fd, POLLIN, (int)left))
			return NULL;
		int n = wsc_fill(w);
		if (n == 0 || n == -1) {
			w->closed = 1;
			return NULL;
		}
	}
}

void wsc_close(struct wsc *w)
{
	if (w->fd >= 0) {
		if (!w->closed)
			send_frame(w, 8, "\x03\xe8", 2);
		close(w->fd);
	}
	w->fd = -1;
	free(w->in);
	free(w->body);
	w->in = w->body = NULL;
}
