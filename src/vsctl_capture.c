/* vsctl_capture.c - `vsctl capture`: request a capture, write the pcap.
 *
 * After the usual request and one-line JSON reply, vswitchd streams
 * framed messages (doc/capture.md): DATA chunks of pcap bytes, which go
 * to the output unchanged and whole, and one END trailer with the counts.
 * Writing each DATA payload whole with write(2) (no stdio buffering) is
 * what makes `-w - | tcpdump -r -` live and keeps the file a valid pcap
 * wherever we stop.
 *
 * Ctrl-C: SIGINT and SIGTERM are blocked except while we wait in ppoll(),
 * so a signal can only land there (no lost-wakeup race).  The first one
 * shuts down our write side of the socket; vswitchd sees EOF, stops the
 * capture, sends what it still holds and the trailer, and we exit 0 with
 * its counts.  A second one stops at once, after the last whole message.
 * A reader that goes away (EPIPE on standard output) ends it the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "capture_internal.h"
#include "capture_client.h"

#define VSCTL_CAPTURE_LINE_MAX 65536
#define VSCTL_CAPTURE_MSG_MAX (CAPTURE_SNAPLEN + 64)

struct vsctl_capture {
	int fd, out;
	bool out_dead;
	int out_errno;           /* why writing the output failed */
	uint8_t *buf;            /* received, not yet consumed bytes */
	size_t have, off;
	uint64_t frames;         /* records written, for an abrupt end */
};

static volatile sig_atomic_t vsctl_capture_signals;

static void vsctl_capture_on_signal(int sig)
{
	vsctl_capture_signals++;
}

static int vsctl_capture_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int vsctl_capture_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vsctl: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int vsctl_capture_write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

/**
 * vsctl_capture_fill() - Wait for and read more bytes from vswitchd
 * @v:    client state
 * @mask: signal mask to wait under (SIGINT unblocked)
 *
 * Return: >0 bytes read, 0 on EOF, -1 on error; -2 once twice interrupted
 */
static int vsctl_capture_fill(struct vsctl_capture *v, const sigset_t *mask)
{
	struct pollfd pfd = { .fd = v->fd, .events = POLLIN };
	static bool shut;
	ssize_t r;

	if (v->off) {
		memmove(v->buf, v->buf + v->off, v->have - v->off);
		v->have -= v->off;
		v->off = 0;
	}
	for (;;) {
		if (vsctl_capture_signals >= 2)
			return -2;
		if (vsctl_capture_signals && !shut) {
			shutdown(v->fd, SHUT_WR);
			shut = true;
		}
		if (ppoll(&pfd, 1, NULL, mask) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		r = read(v->fd, v->buf + v->have, VSCTL_CAPTURE_MSG_MAX + CAPTURE_MSG_HDR - v->have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			v->have += (size_t)r;
		return r < 0 ? -1 : (int)r;
	}
}

/* Make N bytes available at v->buf + v->off; 0, or vsctl_capture_fill's failure. */
static int vsctl_capture_need(struct vsctl_capture *v, size_t n, const sigset_t *mask)
{
	while (v->have - v->off < n) {
		int r = vsctl_capture_fill(v, mask);

		if (r <= 0)
			return r == 0 ? -1 : r;
	}
	return 0;
}

static int vsctl_capture_send_request(int fd, struct json_object *args)
{
	struct json_object *req = json_object_new_object();
	const char *s;
	char *line;
	int rc = -1;

	json_object_object_add(req, "cmd", json_object_new_string("capture"));
	json_object_object_add(req, "args", json_object_get(args));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	/* One write for the whole line: the daemon may answer and stream as
	 * soon as it has the line. */
	if (asprintf(&line, "%s\n", s) >= 0) {
		rc = vsctl_capture_write_all(fd, line, strlen(line));
		free(line);
	}
	json_object_put(req);
	return rc;
}

/* Read the one-line reply; 0 if ok, else 1 after printing the error. */
static int vsctl_capture_reply(struct vsctl_capture *v, const sigset_t *mask)
{
	struct json_object *rep, *ok, *e;
	uint8_t *nl;
	int rc = 0;

	while (!(nl = memchr(v->buf + v->off, '\n', v->have - v->off))) {
		if (v->have >= VSCTL_CAPTURE_LINE_MAX || vsctl_capture_fill(v, mask) <= 0)
			return vsctl_capture_err("%s", "no reply from vswitchd to the capture request");
	}
	*nl = '\0';
	rep = json_tokener_parse((char *)v->buf + v->off);
	v->off = (size_t)(nl + 1 - v->buf);
	if (!rep || !json_object_object_get_ex(rep, "ok", &ok))
		rc = vsctl_capture_err("%s", "vswitchd sent a reply that is not JSON");
	else if (!json_object_get_boolean(ok))
		rc = vsctl_capture_err("%s", json_object_object_get_ex(rep, "error", &e)
				     ? json_object_get_string(e) : "capture refused");
	json_object_put(rep);
	return rc;
}

static void vsctl_capture_data(struct vsctl_capture *v, const uint8_t *p, uint32_t len)
{
	if (v->out_dead)
		return;
	if (vsctl_capture_write_all(v->out, p, len) < 0) {
		/* The reader is gone (tcpdump quit) or the disk is full: end
		 * the capture politely either way, but only EPIPE is success. */
		v->out_errno = errno;
		v->out_dead = true;
		if (!vsctl_capture_signals)
			vsctl_capture_signals = 1;
		return;
	}
}

static void vsctl_capture_trailer(const uint8_t *p, uint32_t len)
{
	char js[512];
	struct json_object *t, *c, *d;

	snprintf(js, sizeof(js), "%.*s", (int)len, (const char *)p);
	t = json_tokener_parse(js);
	if (t && json_object_object_get_ex(t, "captured", &c) &&
	    json_object_object_get_ex(t, "dropped", &d))
		fprintf(stderr, "%lld captured, %lld dropped\n",
			(long long)json_object_get_int64(c),
			(long long)json_object_get_int64(d));
	json_object_put(t);
}

/**
 * vsctl_capture_stream() - Copy DATA messages to the output until END
 *
 * Return: exit status
 */
static int vsctl_capture_stream(struct vsctl_capture *v, const sigset_t *mask)
{
	bool first = true;

	for (;;) {
		const uint8_t *h;
		uint32_t len;
		int r = vsctl_capture_need(v, CAPTURE_MSG_HDR, mask);

		if (r < 0)
			break;
		h = v->buf + v->off;
		len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
		      (uint32_t)h[6] << 8 | h[7];
		if (len > VSCTL_CAPTURE_MSG_MAX || (h[0] != CAPTURE_MSG_DATA && h[0] != CAPTURE_MSG_END))
			return vsctl_capture_err("%s", "malformed capture stream from vswitchd");
		if (vsctl_capture_need(v, CAPTURE_MSG_HDR + len, mask) < 0)
			break;
		h = v->buf + v->off;
		v->off += CAPTURE_MSG_HDR + len;
		if (h[0] == CAPTURE_MSG_END) {
			vsctl_capture_trailer(h + CAPTURE_MSG_HDR, len);
			return 0;
		}
		vsctl_capture_data(v, h + CAPTURE_MSG_HDR, len);
		if (!first)              /* the first DATA is the file header */
			v->frames++;
		first = false;
	}
	/* Ended without a trailer: twice interrupted, or vswitchd went away. */
	fprintf(stderr, "%llu captured, ? dropped\n", (unsigned long long)v->frames);
	if (vsctl_capture_signals)
		return 0;
	return vsctl_capture_err("%s", "vswitchd closed the capture before its end");
}

static int vsctl_capture_open_out(const char *path)
{
	if (!strcmp(path, "-"))
		return STDOUT_FILENO;
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/**
 * vsctl_capture_run() - Run `vsctl capture` on a connected socket
 * @fd:       connection to vswitchd
 * @args:     the request's arguments (network|container|uplink, stage,
 *            filter, count, duration, recorder)
 * @out_path: pcap file to write, "-" for standard output
 *
 * Return: exit status, 0 or 1
 */
int vsctl_capture_run(int fd, struct json_object *args, const char *out_path)
{
	struct vsctl_capture v = { .fd = fd };
	struct sigaction sa = { .sa_handler = vsctl_capture_on_signal };
	struct sigaction old_int, old_term, old_pipe;
	sigset_t block, orig, wait;
	int rc;

	v.out = vsctl_capture_open_out(out_path);
	if (v.out < 0)
		return vsctl_capture_err("cannot open %s for writing", out_path);
	v.buf = malloc(VSCTL_CAPTURE_MSG_MAX + CAPTURE_MSG_HDR);
	if (!v.buf)
		return vsctl_capture_err("%s", "out of memory");
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	wait = orig;
	sigdelset(&wait, SIGINT);
	sigdelset(&wait, SIGTERM);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);

	if (vsctl_capture_send_request(fd, args) < 0)
		rc = vsctl_capture_err("%s", "cannot send the capture request to vswitchd");
	else
		rc = vsctl_capture_reply(&v, &wait);
	if (!rc)
		rc = vsctl_capture_stream(&v, &wait);

	if (!rc && v.out_errno && v.out_errno != EPIPE)
		rc = vsctl_capture_err("cannot write %s: %s", out_path, strerror(v.out_errno));
	if (v.out != STDOUT_FILENO && close(v.out) < 0 && !rc)
		rc = vsctl_capture_err("cannot write %s: %s", out_path, strerror(errno));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	free(v.buf);
	return rc;
}
