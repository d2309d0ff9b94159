/* control.c - the unix-socket server that vsctl talks to.
 *
 * Theory of operation.  One listening unix stream socket (mode 0660) on the
 * libev loop.  Each connection reads newline-terminated JSON requests into
 * a bounded buffer, looks the command up in a hash of handlers that the
 * modules registered, and queues the one-line JSON reply; replies are
 * written when the socket is writable, so a client that stops reading
 * never blocks the datapath.  Requests on one connection are answered in
 * order.  The protocol is described in doc/control-protocol.md.
 *
 * Limits: a request is at most CTL_MAX_REQ bytes; a larger one, or one
 * that is not a JSON object with a string "cmd", is answered with an error
 * and the connection closed.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <uthash.h>
#include "control.h"
#include "log.h"

#define CTL_MAX_REQ (64 * 1024)
#define CTL_MAX_CONNS 64
#define CTL_REPLY_TIMEOUT_S 1    /* control_conn_reply's blocking write */

struct ctl_cmd {
	char name[48];
	ctl_handler_fn *fn;
	UT_hash_handle hh;
};

struct ctl_conn {
	int fd;
	ev_io rio, wio;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool closing;            /* close once the output is written */
	bool detached;           /* fd handed to a streaming command */
};

static struct ctl_cmd *ctl_cmds;
static struct ev_loop *ctl_loop;
static ev_io ctl_accept_io;
static int ctl_listen_fd = -1;
static char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static unsigned int ctl_n_conns;

void control_register(const char *cmd, ctl_handler_fn *fn)
{
	struct ctl_cmd *c = calloc(1, sizeof(*c));

	if (!c)
		die("out of memory");
	snprintf(c->name, sizeof(c->name), "%s", cmd);
	c->fn = fn;
	HASH_ADD_STR(ctl_cmds, name, c);
}

const char *ctl_arg_str(struct json_object *args, const char *key)
{
	struct json_object *v;

	if (!args || !json_object_object_get_ex(args, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int ctl_arg_bool(struct json_object *args, const char *key, int dflt)
{
	struct json_object *v;

	if (!args || !json_object_object_get_ex(args, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

long long ctl_arg_int(struct json_object *args, const char *key, long long dflt)
{
	struct json_object *v;

	if (!args || !json_object_object_get_ex(args, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

static void ctl_conn_free(struct ctl_conn *c)
{
	ev_io_stop(ctl_loop, &c->rio);
	ev_io_stop(ctl_loop, &c->wio);
	if (!c->detached)
		close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	ctl_n_conns--;
}

/* Append one reply line to the connection's output and start writing. */
static int ctl_queue(struct ctl_conn *c, struct json_object *reply)
{
	const char *s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s);
	char *p = realloc(c->out, c->out_len + len + 1);

	if (!p)
		return -1;
	memcpy(p + c->out_len, s, len);
	p[c->out_len + len] = '\n';
	c->out = p;
	c->out_len += len + 1;
	ev_io_start(ctl_loop, &c->wio);
	return 0;
}

/* Write what can be written now; 1 when all is out, 0 later, -1 error. */
static int ctl_flush(struct ctl_conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	ev_io_stop(ctl_loop, &c->wio);
	return 1;
}

int control_conn_reply(struct ctl_conn *c, struct json_object *reply)
{
	struct timeval tv = { .tv_sec = CTL_REPLY_TIMEOUT_S };
	int fl = fcntl(c->fd, F_GETFL), rc;

	/* Replies to earlier requests that the client has not read yet:
	 * waiting for it would stop the whole daemon (one loop), so the
	 * streaming command is refused instead. */
	if (ctl_flush(c) != 1)
		return -1;
	if (ctl_queue(c, reply))
		return -1;
	/* A streaming command needs its first line out before it takes the fd:
	 * write it in blocking mode (one short line), bounded in time for a
	 * client whose socket buffer is full. */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	rc = ctl_flush(c);
	fcntl(c->fd, F_SETFL, fl);
	return rc == 1 ? 0 : -1;
}

int control_conn_detach(struct ctl_conn *c)
{
	c->detached = true;
	c->closing = true;
	ev_io_stop(ctl_loop, &c->rio);
	return c->fd;
}

static struct json_object *ctl_error(const char *msg)
{
	struct json_object *r = json_object_new_object();
	char line[1024], *c;

	/* Errors quote what the client sent (names, commands): the error is
	 * one line for vsctl to print, without the client's control bytes. */
	snprintf(line, sizeof(line), "%s", msg);
	for (c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(line));
	return r;
}

/* Run one request line; returns the reply (NULL if the handler detached). */
static struct json_object *ctl_dispatch(struct ctl_conn *c, const char *line)
{
	struct json_object *req = json_tokener_parse(line), *cmdv, *args = NULL;
	struct json_object *result = NULL, *reply;
	struct ctl_cmd *cmd = NULL;
	char err[512] = "";

	if (!req || !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &cmdv) ||
	    !json_object_is_type(cmdv, json_type_string)) {
		json_object_put(req);
		c->closing = true;
		return ctl_error("malformed request: expected a JSON object with a string \"cmd\"");
	}
	json_object_object_get_ex(req, "args", &args);
	if (args && !json_object_is_type(args, json_type_object)) {
		json_object_put(req);
		return ctl_error("malformed request: \"args\" must be an object");
	}
	HASH_FIND_STR(ctl_cmds, json_object_get_string(cmdv), cmd);
	if (!cmd) {
		snprintf(err, sizeof(err), "unknown command \"%s\"", json_object_get_string(cmdv));
		json_object_put(req);
		return ctl_error(err);
	}
	log_debug("control: %s", line);
	if (cmd->fn(c, args, &result, err, sizeof(err))) {
		json_object_put(req);
		json_object_put(result);
		return ctl_error(*err ? err : "command failed");
	}
	json_object_put(req);
	if (c->detached) {
		json_object_put(result);
		return NULL;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "result", result ? result : json_object_new_object());
	return reply;
}

/* Handle every complete line in the input buffer. */
static void ctl_process(struct ctl_conn *c)
{
	char *nl;

	/* A malformed request closes the connection: what follows it in the
	 * buffer is not run (doc/control-protocol.md). */
	while (!c->detached && !c->closing && (nl = memchr(c->in, '\n', c->in_len))) {
		struct json_object *reply;
		size_t used = (size_t)(nl - c->in) + 1;

		*nl = '\0';
		reply = ctl_dispatch(c, c->in);
		if (reply) {
			ctl_queue(c, reply);
			json_object_put(reply);
		}
		if (c->detached)
			return;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
}

static void ctl_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = w->data;
	ssize_t n;

	n = read(c->fd, c->in + c->in_len, CTL_MAX_REQ - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0 && c->out_len > c->out_off) {
		/* The client shut its side after its requests (socat does):
		 * answer them, then close (ctl_write_cb). */
		c->closing = true;
		ev_io_stop(loop, &c->rio);
		return;
	}
	if (n <= 0) {
		ctl_conn_free(c);
		return;
	}
	c->in_len += (size_t)n;
	ctl_process(c);
	if (c->detached) {
		ctl_conn_free(c);
		return;
	}
	if (c->in_len == CTL_MAX_REQ) {
		struct json_object *r = ctl_error("request too large (limit 64 KiB)");

		ctl_queue(c, r);
		json_object_put(r);
		c->closing = true;
	}
	if (c->closing)
		ev_io_stop(loop, &c->rio);
	if (c->closing && ctl_flush(c) != 0)
		ctl_conn_free(c);
}

static void ctl_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = w->data;
	int rc = ctl_flush(c);

	if (rc < 0 || (rc == 1 && c->closing))
		ctl_conn_free(c);
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = NULL;
	int fd = accept4(ctl_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (ctl_n_conns >= CTL_MAX_CONNS || !(c = calloc(1, sizeof(*c))) ||
	    !(c->in = malloc(CTL_MAX_REQ))) {
		VLOG_RL(LOG_LVL_WARN, "control: refusing a connection (limit or memory)");
		if (c)
			free(c);
		close(fd);
		return;
	}
	ctl_n_conns++;
	c->fd = fd;
	ev_io_init(&c->rio, ctl_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, ctl_write_cb, fd, EV_WRITE);
	c->rio.data = c->wio.data = c;
	ev_io_start(loop, &c->rio);
}

static int ctl_mkparent(const char *path)
{
	char dir[sizeof(ctl_path)], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

/**
 * control_init() - Listen on PATH, refusing if another daemon answers there
 * Return: 0, or -1 after logging why
 */
int control_init(struct ev_loop *loop, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket path %s is too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		log_err("another vswitchd is already listening on %s", path);
		close(fd);
		return -1;
	}
	unlink(path);	/* stale: nobody answered */
	if (ctl_mkparent(path) || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0660) || listen(fd, 16) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(ctl_path, sizeof(ctl_path), "%s", path);
	ctl_listen_fd = fd;
	ctl_loop = loop;
	ev_io_init(&ctl_accept_io, ctl_accept_cb, fd, EV_READ);
	ev_io_start(loop, &ctl_accept_io);
	return 0;
}

void control_fini(void)
{
	if (ctl_listen_fd < 0)
		return;
	ev_io_stop(ctl_loop, &ctl_accept_io);
	close(ctl_listen_fd);
	unlink(ctl_path);
	ctl_listen_fd = -1;
}

ctl_handler_fn *control_lookup(const char *cmd)
{
	struct ctl_cmd *c;

	HASH_FIND_STR(ctl_cmds, cmd, c);
	return c ? c->fn : NULL;
}
