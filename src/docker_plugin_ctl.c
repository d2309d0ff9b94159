/* docker_plugin_ctl.c - the plugin's client of vswitchd's control socket.
 *
 * One connection per request, as vsctl does: the plugin keeps nothing
 * between requests (not even a socket), so a vswitchd restart between two
 * Docker calls is invisible to it.  Every wait is bounded by poll(2) with
 * the --timeout deadline, because dockerd waits on us in turn and a stuck
 * vswitchd must become a clear {"Err"} rather than a hung `docker run`.
 * Replies are read into a growing buffer capped at 16 MiB.
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

#include "docker_plugin.h"

#define DKP_CTL_REPLY_MAX (16u << 20)

static const char *dkp_ctl_path = "/run/vswitch/vswitchd.sock";
static int dkp_ctl_timeout = 30;

void dkp_ctl_init(const char *socket_path, int timeout_sec)
{
	if (socket_path)
		dkp_ctl_path = socket_path;
	if (timeout_sec > 0)
		dkp_ctl_timeout = timeout_sec;
}

static long long dkp_ctl_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Wait until FD is ready for EVENTS or the deadline passes.  Return: 0 or -1. */
static int dkp_ctl_wait(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - dkp_ctl_now_ms();
	int rc;

	do {
		rc = poll(&p, 1, left < 0 ? 0 : (int)left);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

static int dkp_ctl_connect(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(dkp_ctl_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "vswitchd socket path too long: %s", dkp_ctl_path);
		return -1;
	}
	strcpy(sa.sun_path, dkp_ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "cannot reach vswitchd at %s: %s", dkp_ctl_path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int dkp_ctl_send(int fd, const char *buf, size_t len, long long deadline)
{
	ssize_t n;

	while (len) {
		if (dkp_ctl_wait(fd, POLLOUT, deadline) < 0)
			return -1;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one reply line into a malloc'd string.  Return: it, or NULL. */
static char *dkp_ctl_read_line(int fd, long long deadline)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl;
	ssize_t n;

	while (buf) {
		if (dkp_ctl_wait(fd, POLLIN, deadline) < 0)
			break;
		if (len + 1 >= cap) {
			char *nb = cap >= DKP_CTL_REPLY_MAX ? NULL : realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
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

/* Turn a reply line into *RESULT or ERR.  Return: 0 or -1. */
static int dkp_ctl_reply(const char *line, struct json_object **result, char *err, size_t errlen)
{
	struct json_object *r = json_tokener_parse(line), *ok, *v;
	int rc = -1;

	if (!r || !json_object_is_type(r, json_type_object) ||
	    !json_object_object_get_ex(r, "ok", &ok)) {
		snprintf(err, errlen, "vswitchd sent a reply that is not JSON");
	} else if (json_object_get_boolean(ok)) {
		if (json_object_object_get_ex(r, "result", &v) && v)
			*result = json_object_get(v);
		rc = 0;
	} else {
		snprintf(err, errlen, "%s", json_object_object_get_ex(r, "error", &v)
			 ? json_object_get_string(v) : "vswitchd refused the request");
	}
	json_object_put(r);
	return rc;
}

/**
 * dkp_ctl_call() - One request to vswitchd and its reply
 * @cmd:	control command ("network.create")
 * @args:	its arguments; consumed; NULL for none
 * @result:	the reply's result, a new reference the caller puts (or NULL)
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -1.
 */
int dkp_ctl_call(const char *cmd, struct json_object *args, struct json_object **result,
		 char *err, size_t errlen)
{
	long long deadline = dkp_ctl_now_ms() + dkp_ctl_timeout * 1000LL;
	struct json_object *req = json_object_new_object();
	const char *text;
	char *line = NULL, *msg;
	int fd, rc = -1;

	*result = NULL;
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "args", args ? args : json_object_new_object());
	fd = dkp_ctl_connect(err, errlen);
	if (fd < 0) {
		json_object_put(req);
		return -1;
	}
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	msg = malloc(strlen(text) + 2);
	if (msg) {
		sprintf(msg, "%s\n", text);
		if (dkp_ctl_send(fd, msg, strlen(msg), deadline) == 0)
			line = dkp_ctl_read_line(fd, deadline);
	}
	if (line)
		rc = dkp_ctl_reply(line, result, err, errlen);
	else
		snprintf(err, errlen, "no reply from vswitchd to %s: %s", cmd,
			 errno == ETIMEDOUT ? "timed out" : "connection lost");
	free(line);
	free(msg);
	close(fd);
	json_object_put(req);
	return rc;
}
