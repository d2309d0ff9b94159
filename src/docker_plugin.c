/* docker_plugin.c - vswitch-docker-plugin: main, and HTTP on a unix socket.
 *
 * Theory of Operation
 *
 * dockerd finds a legacy plugin by its socket's file name
 * (/run/docker/plugins/NAME.sock: `docker network create -d NAME`) and
 * speaks HTTP/1.1 to it: POST /Plugin.Activate, /NetworkDriver.*, each
 * with a JSON body of known Content-Length, over connections it keeps
 * alive.  The HTTP itself (framing, keep-alive, limits) is libmicrohttpd's,
 * a well-kept library from Debian; this file binds the unix socket, hands
 * it to the library, collects each request's body and passes it, parsed,
 * to the method named by the path (docker_plugin_net.c).
 *
 * Answers: 200 with the method's JSON object; a method's failure is 200
 * with {"Err": "one line"}, which Docker prints as "remote: one line"; a
 * body that is not a JSON object is 400 with an Err; an unknown path is
 * 404, which Docker reads as "not implemented" for optional methods.
 *
 * One thread serves every connection (MHD's internal polling thread), so
 * requests are answered one at a time, in the order they complete.  That
 * is enough for dockerd, which serialises a container's calls anyway, and
 * vswitchd answers each in milliseconds.  Bodies are capped at 1 MiB.
 *
 * The socket's peer is dockerd: SO_PEERCRED gives its pid, and so the
 * namespace where Docker wants the endpoint's device made.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <microhttpd.h>

#include "docker_plugin.h"

#define DKP_BODY_MAX (1u << 20)
#define DKP_DEFAULT_LISTEN "/run/docker/plugins/vswitch.sock"
#define DKP_CONTENT_TYPE "application/vnd.docker.plugins.v1.2+json"

/* One request's body as it arrives. */
struct dkp_body {
	char *data;
	size_t len, cap;
	bool too_big;
};

static void dkp_usage(FILE *f)
{
	fprintf(f,
		"usage: vswitch-docker-plugin [--listen PATH] [--socket VSWITCHD_SOCKET]\n"
		"                             [--timeout SEC] [--docker-host unix://PATH]\n"
		"  --listen PATH    unix socket dockerd connects to (default %s);\n"
		"                   its file name without .sock is the driver name\n"
		"  --socket PATH    vswitchd's control socket (default $VSWITCH_SOCKET,\n"
		"                   else /run/vswitch/vswitchd.sock)\n"
		"  --timeout SEC    longest wait for vswitchd (default 30)\n"
		"  --docker-host unix://PATH  dockerd's API, asked for container names\n"
		"                   (default $DOCKER_HOST, else unix:///run/docker.sock;\n"
		"                   \"\" asks nothing)\n",
		DKP_DEFAULT_LISTEN);
}

static void dkp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void dkp_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vswitch-docker-plugin: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Append a chunk of the body; past the cap, remember only that it was. */
static void dkp_body_add(struct dkp_body *b, const char *data, size_t len)
{
	if (b->too_big || b->len + len > DKP_BODY_MAX) {
		b->too_big = true;
		return;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *nd;

		while (cap < b->len + len + 1)
			cap *= 2;
		nd = realloc(b->data, cap);
		if (!nd) {
			b->too_big = true;
			return;
		}
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static enum MHD_Result dkp_send(struct MHD_Connection *conn, unsigned int status,
				struct json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, DKP_CONTENT_TYPE);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result dkp_send_err(struct MHD_Connection *conn, unsigned int status,
				    const char *msg)
{
	struct json_object *o = json_object_new_object();
	enum MHD_Result ret;

	json_object_object_add(o, "Err", json_object_new_string(msg));
	ret = dkp_send(conn, status, o);
	json_object_put(o);
	return ret;
}

static pid_t dkp_peer_pid(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 0;
	return cr.pid;
}

/* Exactly one JSON value, then only white space (dockerd ends with \n);
 * a NUL byte inside is an error too.  Return: the value, or NULL. */
static struct json_object *dkp_parse(const struct dkp_body *b, enum json_tokener_error *jerr)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	size_t off;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, b->data, (int)b->len);
	*jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o)
		return NULL;
	for (; off < b->len; off++)
		if (!strchr(" \t\r\n", b->data[off]) || !b->data[off]) {
			json_object_put(o);
			*jerr = json_tokener_error_parse_unexpected;
			return NULL;
		}
	return o;
}

/**
 * dkp_dispatch() - Answer one complete request
 * @conn:	the connection
 * @url:	the path, which names the method
 * @b:		the body as received
 *
 * Return: MHD_YES if a response was queued.
 */
static enum MHD_Result dkp_dispatch(struct MHD_Connection *conn, const char *url,
				    const struct dkp_body *b)
{
	const struct dkp_method *m = dkp_net_find(url) ? dkp_net_find(url) : dkp_ipam_find(url);
	struct json_object *reply = NULL;
	struct dkp_req req = { .peer_pid = dkp_peer_pid(conn) };
	enum json_tokener_error jerr = json_tokener_success;
	enum MHD_Result ret;
	char err[512];

	if (!m)
		return dkp_send_err(conn, MHD_HTTP_NOT_FOUND, "method not implemented by vswitch");
	if (b->too_big)
		return dkp_send_err(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body over 1 MiB");
	/* Activate and GetCapabilities come with an empty body. */
	req.body = b->len ? dkp_parse(b, &jerr) : json_object_new_object();
	if (!req.body || !json_object_is_type(req.body, json_type_object)) {
		snprintf(err, sizeof(err), "request body is not a JSON object%s%s",
			 jerr != json_tokener_success ? ": " : "",
			 jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "");
		json_object_put(req.body);
		dkp_log("%s: %s", url, err);
		return dkp_send_err(conn, MHD_HTTP_BAD_REQUEST, err);
	}
	if (m->fn(&req, &reply, err, sizeof(err)) < 0) {
		dkp_err_oneline(err);
		dkp_log("%s: %s", url, err);
		ret = dkp_send_err(conn, MHD_HTTP_OK, err);
	} else {
		ret = dkp_send(conn, MHD_HTTP_OK, reply);
	}
	json_object_put(reply);
	json_object_put(req.body);
	return ret;
}

/* MHD calls this first with no body (allocate), then with each chunk of
 * the body, then once more with nothing left: then we answer. */
static enum MHD_Result dkp_access(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct dkp_body *b = *con_cls;

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return MHD_NO;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size) {
		dkp_body_add(b, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST))
		return dkp_send_err(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only POST is served");
	return dkp_dispatch(conn, url, b);
}

static void dkp_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		     enum MHD_RequestTerminationCode toe)
{
	struct dkp_body *b = *con_cls;

	if (b) {
		free(b->data);
		free(b);
		*con_cls = NULL;
	}
}

/* A socket file left by a plugin that died may be replaced; one that a
 * live plugin answers on may not.  Return: 0 when PATH is free now. */
static int dkp_clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		dkp_log("%s exists and is not a socket; not replacing it", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		close(fd);
		dkp_log("another plugin is serving %s", path);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return unlink(path);
}

/* Make the directory of PATH (0755) if missing, one level: /run/docker/plugins. */
static void dkp_mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno == ENOENT) {
		dkp_mkdir_parent(dir);
		mkdir(dir, 0755);
	}
}

static int dkp_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		dkp_log("listen path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	dkp_mkdir_parent(path);
	if (dkp_clear_stale(path, &sa) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0660) < 0 || listen(fd, 64) < 0) {
		dkp_log("cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "docker-host", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_path = DKP_DEFAULT_LISTEN, *ctl = getenv("VSWITCH_SOCKET");
	const char *docker = getenv("DOCKER_HOST");
	struct MHD_Daemon *d;
	int c, fd, sig, timeout = 30;
	sigset_t set;
	char *end;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_path = optarg; break;
		case 's': ctl = optarg; break;
		case 'd': docker = optarg; break;
		case 't':
			timeout = (int)strtol(optarg, &end, 10);
			if (*end || timeout < 1 || timeout > 3600) {
				dkp_log("--timeout: a number of seconds from 1 to 3600");
				return 2;
			}
			break;
		case 'h': dkp_usage(stdout); return 0;
		default: dkp_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		dkp_usage(stderr);
		return 2;
	}
	dkp_ctl_init(ctl && *ctl ? ctl : NULL, timeout);
	/* A DOCKER_HOST of another kind (tcp://) is for the docker CLI. */
	if (!docker || (docker == getenv("DOCKER_HOST") && strncmp(docker, "unix://", 7)))
		docker = "unix:///run/docker.sock";
	if (*docker && strncmp(docker, "unix://", 7)) {
		dkp_log("--docker-host: only unix://PATH is supported, not %s", docker);
		return 2;
	}
	dkp_names_init(*docker ? docker + 7 : "");
	/* Signals are taken by sigwait() below; MHD's thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = dkp_listen(listen_path);
	if (fd < 0)
		return 1;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, dkp_access, NULL,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_NOTIFY_COMPLETED, dkp_done, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, 64U,
			     MHD_OPTION_CONNECTION_TIMEOUT, 300U,
			     MHD_OPTION_END);
	if (!d) {
		dkp_log("cannot start the HTTP server on %s", listen_path);
		unlink(listen_path);
		return 1;
	}
	dkp_log("serving %s for vswitchd at %s", listen_path,
		ctl && *ctl ? ctl : "/run/vswitch/vswitchd.sock");
	do {
		if (sigwait(&set, &sig))
			break;
	} while (sig == SIGHUP);
	MHD_stop_daemon(d);
	close(fd);
	unlink(listen_path);
	dkp_log("stopped (signal %d)", sig);
	return 0;
}
