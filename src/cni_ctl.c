/* cni_ctl.c - the plugin's side of vswitchd's control socket.
 *
 * One connection per plugin run, one JSON line per request and per reply
 * (doc/control-protocol.md).  A socket that is missing or refuses is CNI's
 * "try again later" (11): vswitchd may be restarting, and the runtime may
 * retry.  A reply that does not come within CNI_CTL_TIMEOUT_MS is an I/O
 * error rather than a runtime hung on a stuck daemon; a daemon refusal is
 * passed on with vswitchd's own one-line reason.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "cni.h"

#define CNI_CTL_TIMEOUT_MS 30000
#define CNI_CTL_REPLY_MAX (16u << 20)

/**
 * cni_ctl_open() - Connect to vswitchd's control socket
 * @path:	socket path
 * @e:		the error: 11 when nobody listens there
 *
 * Return: the fd, or -1 with @e set.
 */
int cni_ctl_open(const char *path, struct cni_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return cni_error_set(e, CNI_ERR_CONFIG, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cni_error_set(e, CNI_ERR_IO, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		if (err == ENOENT || err == ECONNREFUSED || err == EAGAIN)
			return cni_error_set(e, CNI_ERR_TRY_LATER,
					     "vswitchd is not reachable at %s: %s", path, strerror(err));
		return cni_error_set(e, CNI_ERR_IO, "cannot connect to vswitchd at %s: %s",
				     path, strerror(err));
	}
	return fd;
}

static int cni_ctl_send(int fd, const char *line, struct cni_error *e)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cni_error_set(e, CNI_ERR_TRY_LATER, "vswitchd closed the connection: %s",
					     n < 0 ? strerror(errno) : "end of file");
		off += (size_t)n;
	}
	return 0;
}

/* Read one line (the reply); NULL with E set. */
static char *cni_ctl_read_line(int fd, struct cni_error *e)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl;
	ssize_t n;

	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, CNI_CTL_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			cni_error_set(e, CNI_ERR_IO, "vswitchd did not answer within %d s",
				      CNI_CTL_TIMEOUT_MS / 1000);
			break;
		}
		if (len + 1 >= cap) {
			char *nb = cap < CNI_CTL_REPLY_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				cni_error_set(e, CNI_ERR_IO, "vswitchd's reply is too large");
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cni_error_set(e, CNI_ERR_TRY_LATER, "vswitchd closed the connection");
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
	if (!buf)
		cni_error_set(e, CNI_ERR_IO, "out of memory");
	free(buf);
	return NULL;
}

/**
 * cni_ctl_call() - One request, one reply
 * @fd:		connected socket
 * @cmd:	command name (network.connect, ...)
 * @args:	its arguments (taken: freed here)
 * @e:		the error; vswitchd's refusal is code 100 with its reason
 *
 * Return: the reply's "result" (the caller frees it), or NULL with @e set.
 */
struct json_object *cni_ctl_call(int fd, const char *cmd, struct json_object *args,
				 struct cni_error *e)
{
	struct json_object *req = json_object_new_object(), *rep, *v, *res = NULL;
	char *line;
	char *text;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "args", args);
	if (asprintf(&text, "%s\n", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN)) < 0)
		text = NULL;
	json_object_put(req);
	if (!text) {
		cni_error_set(e, CNI_ERR_IO, "out of memory");
		return NULL;
	}
	if (cni_ctl_send(fd, text, e)) {
		free(text);
		return NULL;
	}
	free(text);
	line = cni_ctl_read_line(fd, e);
	if (!line)
		return NULL;
	rep = json_tokener_parse(line);
	free(line);
	if (!rep || !json_object_is_type(rep, json_type_object)) {
		cni_error_set(e, CNI_ERR_IO, "vswitchd's reply to %s is not JSON", cmd);
	} else if (!json_object_object_get_ex(rep, "ok", &v) || !json_object_get_boolean(v)) {
		cni_error_set(e, CNI_ERR_REFUSED, "vswitchd: %s",
			      json_object_object_get_ex(rep, "error", &v) ?
			      json_object_get_string(v) : "request refused");
	} else if (json_object_object_get_ex(rep, "result", &v) && v) {
		res = json_object_get(v);
	} else {
		res = json_object_new_object();
	}
	json_object_put(rep);
	return res;
}
