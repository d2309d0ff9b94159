/* control.c - the unix-socket server that vsctl talks to.
 *
 * Theory of operation.  One listening unix stream socket (owner root,
 * group --ctl-group, mode 0660; control_auth.c) on the libev loop.  Each
 * accepted connection is first checked with SO_PEERCRED; then it reads
 * newline-terminated JSON requests into a bounded buffer, checks each
 * (control_check.c: the envelope, then the command's argument table),
 * looks the command up in a hash of handlers that the modules registered,
 * and queues the one-line JSON reply; replies are written when the socket
 * is writable, so a client that stops reading never blocks the datapath.
 * Requests on one connection are answered in order.  The protocol is
 * described in doc/control-protocol.md.
 *
 * Bad clients.  Whatever a client sends, the daemon answers with an error
 * line where one can be sent and closes that connection, and only that
 * one.  A protocol error (a line that is not a JSON object with a string
 * "cmd", a NUL byte, text after the object, an argument of the wrong
 * type or unknown to the command, a line longer than CTL_MAX_REQ, a last
 * line without its newline) closes the connection after its error; a
 * command that fails (unknown name, network not found...) does not.  A
 * connection over CTL_MAX_CONNS, or from a peer that may not use the
 * switch, gets its error line at once and is closed.  A client that lets
 * more than CTL_MAX_OUT bytes of replies pile up unread is cut off (it
 * cannot read an error either): its replies are not kept forever.
 *
 * Fairness between clients (audit finding 15: 64 idle connections of one
 * group member locked root out).  The last CTL_ROOT_RESERVED of the
 * CTL_MAX_CONNS slots are root's alone; any other uid may hold at most
 * CTL_MAX_PER_UID; and a connection with nothing in progress (no partial
 * request, no reply waiting to be written) for the idle timeout
 * (--ctl-idle-timeout, default CTL_IDLE_DEFAULT_S) is told so and closed.
 * Commands run to completion before the next read, and streams (capture)
 * are detached and leave the table, so no legitimate client sits idle on
 * a slot.  The peer's uid is kept with the connection: commands that act
 * in a namespace check it (netns_access.c).
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <uthash.h>
#include "control.h"
#include "hash.h"
#include "log.h"

#define CTL_MAX_REQ (64 * 1024)
#define CTL_MAX_CONNS 64
#define CTL_MAX_OUT (1024 * 1024)
#define CTL_ACCEPT_BURST 16
#define CTL_REPLY_TIMEOUT_S 1    /* control_conn_reply's blocking write */
#define CTL_ROOT_RESERVED 8      /* slots only uid 0 may take */
#define CTL_MAX_PER_UID 16       /* connections of one non-root uid */
#define CTL_IDLE_DEFAULT_S 60

struct ctl_cmd {
	const char *name;        /* row->cmd */
	ctl_handler_fn *fn;
	const struct ctl_schema *row;
	UT_hash_handle hh;
};

struct ctl_conn {
	int fd;
	uid_t uid;               /* the peer's (SO_PEERCRED) */
	ev_io rio, wio;
	ev_timer idle;           /* restarted by every read (ev.pod, timeouts #2) */
	LIST_ENTRY(ctl_conn) link;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool closing;            /* close once the output is written */
	bool detached;           /* fd handed to a streaming command */
	/* A command waits for etcd (cluster_net.c): its reply comes with
	 * control_conn_resume(); later lines wait, and the connection stays
	 * until then even if the client goes (the reply has somewhere to go). */
	bool deferred;
};

static struct ctl_cmd *ctl_cmds;
static struct ev_loop *ctl_loop;
static ev_io ctl_accept_io;
static int ctl_listen_fd = -1;
static int ctl_spare_fd = -1;   /* given up to accept-and-close on EMFILE */
static char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static unsigned int ctl_n_conns;
static LIST_HEAD(, ctl_conn) ctl_conns = LIST_HEAD_INITIALIZER(ctl_conns);
static double ctl_idle_s = CTL_IDLE_DEFAULT_S;

/* control_set_idle_timeout() - Close connections idle for SECONDS (before
 * control_init()). */
void control_set_idle_timeout(double seconds)
{
	ctl_idle_s = seconds;
}

/* control_conn_uid() - The peer's uid; 0 for NULL (the daemon's own calls). */
uid_t control_conn_uid(const struct ctl_conn *c)
{
	return c ? c->uid : 0;
}

/**
 * control_register() - Serve a command of the schema
 * @row:	its row (ctl_schema.h): name and arguments
 * @fn:		its handler
 *
 * Called at start-up only; a row vsctl answers alone, or a command
 * registered twice, is a programming error and stops the daemon.
 */
void control_register(const struct ctl_schema *row, ctl_handler_fn *fn)
{
	struct ctl_cmd *c;

	if (!row->cmd)
		die("control: the schema row of \"%s\" has no request name", row->words);
	HASH_FIND_STR(ctl_cmds, row->cmd, c);
	if (c)
		die("control: command %s registered twice", row->cmd);
	c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory");
	c->name = row->cmd;
	c->fn = fn;
	c->row = row;
	HASH_ADD_KEYPTR(hh, ctl_cmds, c->name, strlen(c->name), c);
}

/**
 * control_check_registered() - Stop if a command of the schema has no handler
 *
 * Run once every module has registered its commands: a row that vsctl
 * would send but nobody serves is a programming error, found at start-up
 * rather than by the first user who types the command.
 */
void control_check_registered(void)
{
	size_t i;

	for (i = 0; i < ctl_schema_n_rows; i++) {
		const char *name = ctl_schema_rows[i]->cmd;

		if (name && !control_lookup(name))
			die("control: command %s is in the schema but has no handler", name);
	}
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
	ev_timer_stop(ctl_loop, &c->idle);
	LIST_REMOVE(c, link);
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

/**
 * control_conn_stream() - Take the connection over for a streamed reply
 * @c:	the connection of the running request
 *
 * As control_conn_detach(), but only when no earlier reply waits to be
 * written: the stream must come after them, and it will not wait.
 *
 * Return: the fd (the caller's to close), or -1 (nothing changed)
 */
int control_conn_stream(struct ctl_conn *c)
{
	if (!c || c->out_len > c->out_off)
		return -1;
	return control_conn_detach(c);
}

static struct json_object *ctl_error(const char *msg);
static int ctl_process(struct ctl_conn *c);
static void ctl_settle(struct ctl_conn *c);

/* control_conn_defer() - The running handler answers later: it returns 0
 * with no result, and calls control_conn_resume() exactly once. */
void control_conn_defer(struct ctl_conn *c)
{
	c->deferred = true;
}

/**
 * control_conn_resume() - The reply of a deferred command
 * @c:		the connection control_conn_defer() was given
 * @result:	the result (ownership passes), or NULL with ERR
 * @err:	the one-line error, or NULL
 *
 * Requests that arrived meanwhile run now, in order.
 */
void control_conn_resume(struct ctl_conn *c, struct json_object *result, const char *err)
{
	struct json_object *reply;

	if (err) {
		json_object_put(result);
		reply = ctl_error(err);
	} else {
		reply = json_object_new_object();
		json_object_object_add(reply, "ok", json_object_new_boolean(1));
		json_object_object_add(reply, "result", result ? result : json_object_new_object());
	}
	c->deferred = false;
	ctl_queue(c, reply);
	json_object_put(reply);
	if (!c->closing && ctl_process(c) < 0) {
		ctl_conn_free(c);
		return;
	}
	if (c->detached) {
		ctl_conn_free(c);
		return;
	}
	if (!c->closing && !c->deferred)
		ev_io_start(ctl_loop, &c->rio);
	ctl_settle(c);
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

/* Queue an error reply and close the connection once it is written. */
static void ctl_fail(struct ctl_conn *c, const char *msg)
{
	struct json_object *r = ctl_error(msg);

	ctl_queue(c, r);
	json_object_put(r);
	c->closing = true;
}

/* Run a checked request; returns the reply (NULL if the handler detached). */
static struct json_object *ctl_run(struct ctl_conn *c, const struct ctl_cmd *cmd,
				   struct json_object *args)
{
	struct json_object *result = NULL, *reply;
	char err[512] = "";

	if (cmd->fn(c, args, &result, err, sizeof(err))) {
		json_object_put(result);
		return ctl_error(*err ? err : "command failed");
	}
	if (c->detached || c->deferred) {
		json_object_put(result);
		return NULL;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "result", result ? result : json_object_new_object());
	return reply;
}

/* One request line (LEN bytes, NUL-terminated in place): check, run, and
 * return the reply (NULL if the handler detached).  A protocol error also
 * marks the connection closing. */
static struct json_object *ctl_dispatch(struct ctl_conn *c, const char *line, size_t len)
{
	struct json_object *req, *args, *reply;
	struct ctl_cmd *cmd = NULL;
	const char *name;
	char err[512];

	if (ctl_check_request(line, len, &req, &name, &args, err, sizeof(err))) {
		VLOG_RL(LOG_LVL_WARN, "control: %s; closing the connection", err);
		c->closing = true;
		return ctl_error(err);
	}
	HASH_FIND_STR(ctl_cmds, name, cmd);
	if (!cmd) {
		snprintf(err, sizeof(err), "unknown command \"%.64s\"", name);
		json_object_put(req);
		return ctl_error(err);
	}
	if (ctl_check_args(cmd->name, cmd->row, args, err, sizeof(err))) {
		VLOG_RL(LOG_LVL_WARN, "control: %s; closing the connection", err);
		json_object_put(req);
		c->closing = true;
		return ctl_error(err);
	}
	log_debug("control: %s", line);
	reply = ctl_run(c, cmd, args);
	json_object_put(req);
	return reply;
}

/* Handle every complete line in the input buffer, until the connection
 * closes or is handed over.  Return: -1 to drop the connection at once (a
 * client that does not read its replies), else 0. */
static int ctl_process(struct ctl_conn *c)
{
	char *nl;

	/* A malformed request closes the connection: what follows it in the
	 * buffer is not run (doc/control-protocol.md). */
	while (!c->detached && !c->closing && !c->deferred &&
	       (nl = memchr(c->in, '\n', c->in_len))) {
		struct json_object *reply;
		size_t used = (size_t)(nl - c->in) + 1;

		/* Over the limit: what the socket takes now goes first, so that
		 * pipelined requests with large replies (inspect of many
		 * networks) cut off only a client whose socket is full too. */
		if (c->out_len - c->out_off > CTL_MAX_OUT && ctl_flush(c) < 0)
			return -1;
		if (c->out_len - c->out_off > CTL_MAX_OUT) {
			VLOG_RL(LOG_LVL_WARN, "control: dropping a client that leaves %zu bytes "
				"of replies unread", c->out_len - c->out_off);
			return -1;
		}
		*nl = '\0';
		reply = ctl_dispatch(c, c->in, used - 1);
		if (reply) {
			ctl_queue(c, reply);
			json_object_put(reply);
		}
		if (c->detached)
			return 0;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	return 0;
}

/* A closing connection reads no more, and goes once its output is out. */
static void ctl_settle(struct ctl_conn *c)
{
	if (!c->closing)
		return;
	ev_io_stop(ctl_loop, &c->rio);
	if (c->deferred)
		return;		/* control_conn_resume() settles it */
	if (ctl_flush(c) != 0)
		ctl_conn_free(c);
}

/* The client closed its side: answer a half-sent line, then finish. */
static void ctl_eof(struct ctl_conn *c)
{
	if (c->in_len && !c->closing && !c->deferred)
		ctl_fail(c, "malformed request: end of input before the newline");
	c->closing = true;
	ctl_settle(c);
}

static void ctl_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = w->data;
	ssize_t n;

	n = read(c->fd, c->in + c->in_len, CTL_MAX_REQ - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 && c->deferred) {	/* freed when the reply comes */
		c->closing = true;
		ev_io_stop(ctl_loop, &c->rio);
		return;
	}
	if (n < 0) {
		ctl_conn_free(c);
		return;
	}
	if (n == 0) {
		ctl_eof(c);
		return;
	}
	c->in_len += (size_t)n;
	ev_timer_again(ctl_loop, &c->idle);
	if (ctl_process(c) < 0 || c->detached) {
		ctl_conn_free(c);
		return;
	}
	if (!c->closing && c->in_len == CTL_MAX_REQ) {
		VLOG_RL(LOG_LVL_WARN, "control: a request over 64 KiB; closing the connection");
		ctl_fail(c, "request too large (limit 64 KiB)");
	}
	ctl_settle(c);
}

static void ctl_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = w->data;
	int rc = ctl_flush(c);

	if (c->deferred && (rc < 0 || c->closing)) {
		ev_io_stop(ctl_loop, &c->wio);	/* control_conn_resume() ends it */
		c->closing = true;
		return;
	}
	if (rc < 0 || (rc == 1 && c->closing))
		ctl_conn_free(c);
}

/* Say why to a connection we will not serve, and close it.  The socket is
 * new and empty, so one short line never blocks. */
static void ctl_refuse(int fd, const char *why)
{
	struct json_object *r = ctl_error(why);
	const char *s = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
	char line[600];
	int n = snprintf(line, sizeof(line), "%s\n", s);

	if (n > 0 && send(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
			  MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("control: cannot send the refusal: %s", strerror(errno));
	json_object_put(r);
	close(fd);
}

/* Out of fds: accept with the spare one's slot and close at once, or the
 * level-triggered accept watcher would spin on a connection it cannot take. */
static void ctl_accept_emfile(void)
{
	int fd;

	VLOG_RL(LOG_LVL_WARN, "control: out of file descriptors; refusing a connection");
	if (ctl_spare_fd < 0)
		return;
	close(ctl_spare_fd);
	fd = accept(ctl_listen_fd, NULL, NULL);
	if (fd >= 0)
		close(fd);
	ctl_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* The idle timeout: a connection with nothing in progress is told why and
 * closed; one whose replies still wait for the client is left to the
 * CTL_MAX_OUT rule. */
static void ctl_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_conn *c = w->data;
	char msg[96];

	(void)loop; (void)revents;
	if (c->closing || c->deferred || c->in_len || c->out_len > c->out_off)
		return;	/* the timer repeats */
	snprintf(msg, sizeof(msg), "idle for %g s: connection closed", ctl_idle_s);
	ctl_fail(c, msg);
	ctl_settle(c);
}

static struct ctl_conn *ctl_conn_new(int fd, uid_t uid)
{
	struct ctl_conn *c = calloc(1, sizeof(*c));

	if (!c || !(c->in = malloc(CTL_MAX_REQ))) {
		free(c);
		return NULL;
	}
	ctl_n_conns++;
	c->fd = fd;
	c->uid = uid;
	LIST_INSERT_HEAD(&ctl_conns, c, link);
	ev_io_init(&c->rio, ctl_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, ctl_write_cb, fd, EV_WRITE);
	c->rio.data = c->wio.data = c;
	ev_io_start(ctl_loop, &c->rio);
	ev_init(&c->idle, ctl_idle_cb);
	c->idle.repeat = ctl_idle_s;
	c->idle.data = c;
	ev_timer_again(ctl_loop, &c->idle);
	return c;
}

/* Connections UID holds now (a scan of at most CTL_MAX_CONNS, per accept). */
static unsigned int ctl_conns_of(uid_t uid)
{
	struct ctl_conn *c;
	unsigned int n = 0;

	LIST_FOREACH(c, &ctl_conns, link)
		n += c->uid == uid;
	return n;
}

/* Is there room for a connection of UID?  Else the refusal in WHY. */
static bool ctl_room_for(uid_t uid, char *why, size_t whylen)
{
	if (ctl_n_conns >= CTL_MAX_CONNS ||
	    (uid != 0 && ctl_n_conns >= CTL_MAX_CONNS - CTL_ROOT_RESERVED)) {
		VLOG_RL(LOG_LVL_WARN, "control: refused a connection: %u already open",
			ctl_n_conns);
		snprintf(why, whylen, "too many control connections (limit %d, the last %d for root); "
			 "try again", CTL_MAX_CONNS, CTL_ROOT_RESERVED);
		return false;
	}
	if (uid != 0 && ctl_conns_of(uid) >= CTL_MAX_PER_UID) {
		VLOG_RL(LOG_LVL_WARN, "control: refused a connection: uid %u has %d open",
			(unsigned)uid, CTL_MAX_PER_UID);
		snprintf(why, whylen, "too many control connections of uid %u (limit %d); try again",
			 (unsigned)uid, CTL_MAX_PER_UID);
		return false;
	}
	return true;
}

/* Take one new connection: check who it is and that there is room. */
static void ctl_accept_one(int fd)
{
	char why[160];
	uid_t uid;

	if (control_auth_peer(fd, &uid, why, sizeof(why))) {
		VLOG_RL(LOG_LVL_WARN, "control: refused a connection: %s", why);
		ctl_refuse(fd, why);
		return;
	}
	if (!ctl_room_for(uid, why, sizeof(why))) {
		ctl_refuse(fd, why);
		return;
	}
	if (!ctl_conn_new(fd, uid)) {
		VLOG_RL(LOG_LVL_WARN, "control: refused a connection: out of memory");
		ctl_refuse(fd, "out of memory");
	}
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	int i, fd;

	for (i = 0; i < CTL_ACCEPT_BURST; i++) {
		fd = accept4(ctl_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				ctl_accept_emfile();
			return;
		}
		ctl_accept_one(fd);
	}
}

/* "commands": every registered command and the arguments it takes. */
static int ctl_commands_cmd(struct ctl_conn *c, struct json_object *args,
			    struct json_object **result, char *err, size_t errlen)
{
	struct ctl_cmd *cmd, *tmp;

	*result = json_object_new_array();
	HASH_ITER(hh, ctl_cmds, cmd, tmp) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cmd", json_object_new_string(cmd->name));
		json_object_object_add(o, "args", ctl_args_json(cmd->row));
		json_object_array_add(*result, o);
	}
	return 0;
}

/* Make the socket's directory if it is missing: 0755, so that members of
 * the socket's group can reach the socket (whose own mode guards it). */
static int ctl_mkparent(const char *path)
{
	char dir[sizeof(ctl_path)], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		return chmod(dir, 0755);   /* not the umask's 0750 */
	return errno == EEXIST ? 0 : -1;
}

/* Bind PATH, give it its owner, group and mode, then listen. */
static int ctl_listen(int fd, const struct sockaddr_un *sa, const char *path)
{
	char err[512];

	mode_t old;
	int rc;

	unlink(path);	/* stale: nobody answered */
	if (ctl_mkparent(path)) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		return -1;
	}
	/* The mode comes from the umask at bind() (0660), not from a chmod
	 * of the path afterwards, which would follow a symlink planted there
	 * meanwhile (audit finding 21); control_auth_socket() only changes
	 * the group, with lchown, after checking the path is our socket. */
	old = umask(0117);
	rc = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	umask(old);
	if (rc) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		return -1;
	}
	if (control_auth_socket(path, err, sizeof(err))) {
		log_err("%s", err);
		unlink(path);
		return -1;
	}
	if (listen(fd, 64) || fcntl(fd, F_SETFL, O_NONBLOCK)) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/**
 * control_init() - Listen on PATH, refusing if another daemon answers there
 * @loop:	the event loop
 * @path:	the socket's path
 * @group:	the socket's group (created if missing, when root)
 *
 * Return: 0, or -1 after logging why
 */
int control_init(struct ev_loop *loop, const char *path, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[512];
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket path %s is too long", path);
		return -1;
	}
	if (control_auth_init(group, err, sizeof(err))) {
		log_err("%s", err);
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
	if (ctl_listen(fd, &sa, path)) {
		close(fd);
		return -1;
	}
	snprintf(ctl_path, sizeof(ctl_path), "%s", path);
	ctl_listen_fd = fd;
	ctl_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ctl_loop = loop;
	ev_io_init(&ctl_accept_io, ctl_accept_cb, fd, EV_READ);
	ev_io_start(loop, &ctl_accept_io);
	control_register(&ctl_schema_commands, ctl_commands_cmd);
	return 0;
}

void control_fini(void)
{
	if (ctl_listen_fd < 0)
		return;
	ev_io_stop(ctl_loop, &ctl_accept_io);
	close(ctl_listen_fd);
	if (ctl_spare_fd >= 0)
		close(ctl_spare_fd);
	unlink(ctl_path);
	ctl_listen_fd = ctl_spare_fd = -1;
}

ctl_handler_fn *control_lookup(const char *cmd)
{
	struct ctl_cmd *c;

	HASH_FIND_STR(ctl_cmds, cmd, c);
	return c ? c->fn : NULL;
}
