/* The admin server answers its probes even when the process holds more
 * descriptors than select() can watch (a gateway with thousands of
 * WebSockets). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"

static int get_status(int port, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	char req[128];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	cr_assert_eq(write(fd, req, (size_t)n), n);
	char buf[256] = "";
	ssize_t got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	int status = 0;
	if (got > 0)
		sscanf(buf, "HTTP/%*s %d", &status);
	return status;
}

Test(admin, probes_answered_with_descriptors_past_fd_setsize)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < FD_SETSIZE + 64)
		cr_skip_test("open-file limit %lu is too low for this test", (unsigned long)rl.rlim_max);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	/* Fill every descriptor below FD_SETSIZE, so the server's listening
	 * socket and each accepted connection land past it. */
	static int fds[FD_SETSIZE + 8];
	int nfds = 0;
	while (nfds < FD_SETSIZE + 8) {
		int fd = open("/dev/null", O_RDONLY);
		cr_assert_geq(fd, 0, "cannot open descriptor %d", nfds);
		fds[nfds++] = fd;
		if (fd >= FD_SETSIZE)
			break;
	}
	int port = 20000 + (int)(getpid() % 20000);
	char err[256];
	struct admin *adm = admin_start("127.0.0.1", port, err, sizeof(err));
	cr_assert_not_null(adm, "%s", err);
	cr_assert_eq(get_status(port, "/healthz"), 200);
	cr_assert_eq(get_status(port, "/metrics"), 200);
	cr_assert_eq(get_status(port, "/nowhere"), 404);
	admin_stop(adm);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}
