/* ctl_client.c - one request and its reply over vswitchd's control socket.
 *
 * The runtime plugins are short-lived clients of the same protocol as vsctl
 * (doc/control-protocol.md): one JSON line per request, one per reply.
 * Every wait is bounded by poll(2) against one deadline, because a runtime
 * waits on the plugin in turn, and a stuck vswitchd must become a clear
 * error rather than a hung `docker run` or CNI ADD.  Replies are read into
 * a buffer that grows to at most CTL_CLIENT_REPLY_MAX.  Failures are kinds,
 * not text: CNI maps them to its error codes, the Docker plugin to "Err".
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "ctl_client.h"

static int ctl_client_fail(struct ctl_client_status *st, enum ctl_client_fail f, int err)
{
	st->fail = f;
	st->err = err;
	return -1;
}

/* ctl_client_now_ms() - Monotonic milliseconds, for deadlines. */
long long ctl_client_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/**
 * ctl_client_open() - Connect to vswitchd's control socket
 * @path:	socket path
 * @st:		the failure (PATH_LONG, SOCKET, CONNECT with errno)
 *
 * Return: the fd, or -1 with @st set.
 */
int ctl_client_open(const char *path, struct ctl_client_status *st)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	*st = (struct ctl_client_status){ 0 };
	if (strlen(path) >= sizeof(sa.sun_path))
		return ctl_client_fail(st, CTL_CLIENT_PATH_LONG, 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctl_client_fail(st, CTL_CLIENT_SOCKET, errno);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		return ctl_client_fail(st, CTL_CLIENT_CONNECT, err);
	}
	return fd;
}

/* Wait until FD is ready for EVENTS or DEADLINE passes: 1 ready, 0 timed
 * out, -1 on error (errno). */
static int ctl_client_wait(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int rc;

	do {
		left = deadline - ctl_client_now_ms();
		rc = poll(&p, 1, left < 0 ? 0 : (int)left);
	} while (rc < 0 && errno == EINTR);
	return rc;
}

static int ctl_client_send(int fd, const char *buf, size_t len, long long deadline,
			   struct ctl_client_status *st)
{
	ssize_t n;
	int rc;

	while (len) {
		rc = ctl_client_wait(fd, POLLOUT, deadline);
		if (rc <= 0)
			return ctl_client_fail(st, rc ? CTL_CLIENT_SEND : CTL_CLIENT_TIMEOUT,
					       rc ? errno : 0);
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ctl_client_fail(st, CTL_CLIENT_SEND, n < 0 ? errno : 0);
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Grow BUF (of *CAP bytes) twice over, up to the reply cap; 0 or -1. */
static int ctl_client_grow(char **buf, size_t *cap, struct ctl_client_status *st)
{
	char *nb;

	if (*cap >= CTL_CLIENT_REPLY_MAX)
		return ctl_client_fail(st, CTL_CLIENT_TOO_LARGE, 0);
	nb = realloc(*buf, *cap * 2);
	if (!nb)
		return ctl_client_fail(st, CTL_CLIENT_NOMEM, 0);
	*buf = nb;
	*cap *= 2;
	return 0;
}

/* Read one reply line into a malloc'd string; NULL with ST set. */
static char *ctl_client_read_line(int fd, long long deadline, struct ctl_client_status *st)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl;
	ssize_t n;
	int rc;

	if (!buf) {
		ctl_client_fail(st, CTL_CLIENT_NOMEM, 0);
		return NULL;
	}
	for (;;) {
		rc = ctl_client_wait(fd, POLLIN, deadline);
		if (rc <= 0) {
			ctl_client_fail(st, rc ? CTL_CLIENT_CLOSED : CTL_CLIENT_TIMEOUT, rc ? errno : 0);
			break;
		}
		if (len + 1 >= cap && ctl_client_grow(&buf, &cap, st) < 0)
			break;
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ctl_client_fail(st, CTL_CLIENT_CLOSED, n < 0 ? errno : 0);
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

/* The reply's result (a new reference; {} when it has none), or NULL with
 * ST set: BAD_REPLY, or REFUSED with vswitchd's reason. */
static struct json_object *ctl_client_reply(const char *line, struct ctl_client_status *st)
{
	struct json_object *r = json_tokener_parse(line), *ok, *v;

	if (!r || !json_object_is_type(r, json_type_object) ||
	    !json_object_object_get_ex(r, "ok", &ok)) {
		json_object_put(r);
		ctl_client_fail(st, CTL_CLIENT_BAD_REPLY, 0);
		return NULL;
	}
	if (!json_object_get_boolean(ok)) {
		ctl_client_fail(st, CTL_CLIENT_REFUSED, 0);
		st->reply = r;
		st->error = json_object_object_get_ex(r, "error", &v) ? json_object_get_string(v)
								       : NULL;
		return NULL;
	}
	v = json_object_object_get_ex(r, "result", &v) && v ? json_object_get(v)
							     : json_object_new_object();
	json_object_put(r);
	return v;
}

/**
 * ctl_client_call() - One request, one reply
 * @fd:		connected socket
 * @cmd:	command name ("network.connect")
 * @args:	its arguments; consumed; NULL for none
 * @deadline_ms: ctl_client_now_ms() by which the whole reply must be in
 * @st:		the failure; call ctl_client_done() after reading it
 *
 * Return: the reply's "result" (the caller puts it; {} when the reply has
 * none), or NULL with @st set.
 */
struct json_object *ctl_client_call(int fd, const char *cmd, struct json_object *args,
				    long long deadline_ms, struct ctl_client_status *st)
{
	struct json_object *req = json_object_new_object(), *res = NULL;
	char *text = NULL, *line = NULL;

	*st = (struct ctl_client_status){ 0 };
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "args", args ? args : json_object_new_object());
	if (asprintf(&text, "%s\n", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN)) < 0) {
		text = NULL;
		ctl_client_fail(st, CTL_CLIENT_NOMEM, 0);
	} else if (ctl_client_send(fd, text, strlen(text), deadline_ms, st) == 0) {
		line = ctl_client_read_line(fd, deadline_ms, st);
	}
	if (line)
		res = ctl_client_reply(line, st);
	free(line);
	free(text);
	json_object_put(req);
	return res;
}

/* ctl_client_done() - Release what a failed call's status holds. */
void ctl_client_done(struct ctl_client_status *st)
{
	json_object_put(st->reply);
	st->reply = NULL;
	st->error = NULL;
}
