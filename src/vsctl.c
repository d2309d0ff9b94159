/* vsctl.c - vsctl's main: parse, connect, one request, one reply.
 *
 * The command line is parsed completely (vsctl_parse.c) before the socket
 * is touched, so a usage error never reaches the daemon.  Then one
 * connection carries one request line and its reply line, as
 * doc/control-protocol.md frames them.  The reply may be large (inspect of
 * many networks), so it is read into a growing buffer, capped so that a
 * runaway peer cannot make vsctl eat the machine.
 *
 * --timeout bounds the connect and the wait for the reply with poll(2); a
 * stuck daemon gives a clear error rather than a hung shell.  Capture is
 * the exception: it streams until it is done, under its own control.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "vsctl.h"

#define VSCTL_REPLY_MAX (64u << 20)

/* Milliseconds left before the deadline, -1 if none. */
static int vsctl_ms_left(const struct vsctl_ctx *ctx, const struct timespec *t0)
{
	struct timespec now;
	long long ms;

	if (ctx->timeout <= 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = ctx->timeout * 1000LL - ((now.tv_sec - t0->tv_sec) * 1000LL +
				      (now.tv_nsec - t0->tv_nsec) / 1000000);
	return ms < 0 ? 0 : (int)ms;
}

/**
 * vsctl_connect() - Open the control socket
 * @ctx:	socket path
 *
 * Return: connected fd, or -1 after printing the error.
 */
int vsctl_connect(struct vsctl_ctx *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(ctx->socket_path) >= sizeof(sa.sun_path)) {
		vsctl_error(ctx, "socket path too long: %s", ctx->socket_path);
		return -1;
	}
	strcpy(sa.sun_path, ctx->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		vsctl_error(ctx, "socket: %s", strerror(errno));
		return -1;
	}
	/* A unix connect completes or fails at once; no need to poll it. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		vsctl_error(ctx, "cannot connect to vswitchd at %s: %s (%s)",
			    ctx->socket_path, strerror(e),
			    e == EACCES || e == EPERM ? "only root and members of the socket's "
			    "group may use it" : "is vswitchd running?");
		close(fd);
		return -1;
	}
	return fd;
}

static int vsctl_send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * vsctl_read_line() - Read one reply line, honouring the timeout
 * @ctx:	timeout
 * @fd:		socket
 * @t0:		when the request started
 * @out:	the line, NUL-terminated, malloc'd (caller frees)
 *
 * Return: 0, or -1 after printing the error.
 */
static int vsctl_read_line(struct vsctl_ctx *ctx, int fd,
			   const struct timespec *t0, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl;

	if (!buf)
		abort();
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, vsctl_ms_left(ctx, t0));
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			vsctl_error(ctx, "no reply from vswitchd at %s within %d s",
				    ctx->socket_path, ctx->timeout);
			goto fail;
		}
		if (len + 1 >= cap) {
			if (cap >= VSCTL_REPLY_MAX) {
				vsctl_error(ctx, "reply from vswitchd larger than %u bytes",
					    VSCTL_REPLY_MAX);
				goto fail;
			}
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vsctl_error(ctx, "connection to vswitchd closed before its reply%s%s",
				    n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			goto fail;
		}
		len += n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			*out = buf;
			return 0;
		}
	}
fail:
	free(buf);
	return -1;
}

/**
 * vsctl_read_pending() - Read a line already waiting on a closed socket
 * @fd:		socket whose peer has gone
 * @out:	the line, NUL-terminated, malloc'd (caller frees)
 *
 * Return: 0, or -1 if no whole line is there (nothing printed).
 */
static int vsctl_read_pending(int fd, char **out)
{
	char *buf = malloc(4096), *nl;
	ssize_t n;

	if (!buf)
		abort();
	n = recv(fd, buf, 4095, MSG_DONTWAIT);
	if (n > 0) {
		buf[n] = '\0';
		nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			*nl = '\0';
			*out = buf;
			return 0;
		}
	}
	free(buf);
	return -1;
}

/**
 * vsctl_reply_parse() - Check a reply line and take its result
 * @ctx:	for errors
 * @line:	the reply
 * @result:	the "result" member, with a reference the caller puts
 *
 * Return: 0, or 1 after printing the error (daemon errors verbatim).
 */
static int vsctl_reply_parse(struct vsctl_ctx *ctx, const char *line,
			     struct json_object **result)
{
	struct json_object *rep = json_tokener_parse(line), *ok, *res = NULL;

	if (!rep || !json_object_is_type(rep, json_type_object) ||
	    !json_object_object_get_ex(rep, "ok", &ok)) {
		vsctl_error(ctx, "malformed reply from vswitchd");
		json_object_put(rep);
		return VSCTL_EXIT_ERROR;
	}
	if (!json_object_get_boolean(ok)) {
		vsctl_error(ctx, "%s", vsctl_jstr(rep, "error", "vswitchd refused the request"));
		json_object_put(rep);
		return VSCTL_EXIT_ERROR;
	}
	json_object_object_get_ex(rep, "result", &res);
	*result = json_object_get(res);
	json_object_put(rep);
	return 0;
}

int vsctl_transact(struct vsctl_ctx *ctx, const char *cmd,
		   struct json_object *args, struct json_object **result)
{
	struct json_object *req = json_object_new_object();
	struct timespec t0;
	const char *s;
	char *line = NULL;
	int fd, rc = VSCTL_EXIT_ERROR;

	*result = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = vsctl_connect(ctx);
	if (fd < 0) {
		json_object_put(req);
		return VSCTL_EXIT_ERROR;
	}
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "args", json_object_get(args));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (vsctl_send_all(fd, s, strlen(s)) < 0 || vsctl_send_all(fd, "\n", 1) < 0) {
		/* A daemon that refused the connection (permission, too many
		 * connections) wrote why before closing: show that if it is there. */
		int e = errno;

		if ((e == EPIPE || e == ECONNRESET) && vsctl_read_pending(fd, &line) == 0)
			rc = vsctl_reply_parse(ctx, line, result);
		else
			vsctl_error(ctx, "cannot send to vswitchd at %s: %s",
				    ctx->socket_path, strerror(e));
	} else if (vsctl_read_line(ctx, fd, &t0, &line) == 0) {
		rc = vsctl_reply_parse(ctx, line, result);
	}
	free(line);
	close(fd);
	json_object_put(req);
	return rc;
}

int main(int argc, char **argv)
{
	struct vsctl_ctx ctx;
	int rc;

	vsctl_ctx_init(&ctx);
	switch (vsctl_parse(&ctx, argc, argv)) {
	case VSCTL_DONE:
		rc = VSCTL_EXIT_OK;
		break;
	case VSCTL_USAGE:
		rc = VSCTL_EXIT_USAGE;
		break;
	default:
		rc = ctx.cmd->handler(&ctx, ctx.cmd, ctx.args);
		break;
	}
	vsctl_ctx_fini(&ctx);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "vsctl: error: writing output: %s\n", strerror(errno));
		rc = VSCTL_EXIT_ERROR;
	}
	return rc;
}
