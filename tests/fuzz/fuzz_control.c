/* fuzz_control.c - libFuzzer target for the control protocol.
 *
 * The input is what a client writes on the control socket: it goes, as a
 * byte stream, through the real server (control.c: accept, bounded line
 * buffer, JSON dispatch, queued replies) to every handler vswitchd
 * registers, on a fresh model per input: the fuzz world of fuzz_world.c
 * (networks fz1 and fz2, containers c1-c4 on fake ports, an uplink with
 * published ports) plus the default network, saved to the state dir as
 * vswitchd's start-up does.  A real unix socket in a temp dir carries the
 * bytes, so partial lines, pipelined requests, the size limit and a client
 * that half-closes are the server's to handle, as in production; the
 * harness plays the client and drains the replies as it writes.
 *
 * There is no kernel (fuzz_world.c): connecting a new container, making
 * an interface or a proxy listener fails with an error, as it does when
 * the kernel refuses; nothing is faked into success.
 *
 * Checked after every input (a breach aborts):
 *  - every reply line is a JSON object with a boolean "ok" and, when not
 *    ok, a one-line "error" (until a capture stream takes the socket);
 *    a complete request line gets at least one reply, also from a client
 *    that shut its side of the socket after writing (socat does); after
 *    the reply to a malformed or oversized request, which closes the
 *    connection, nothing more is answered (nor executed);
 *  - the server closes the connection once the client has, within a
 *    bounded number of loop turns (no hang, no leaked connection);
 *  - the model on disk (state.json and its journal) equals the model in
 *    memory: a command
 *    that failed changed nothing, one that succeeded saved what it did
 *    (DESIGN.md: nothing is half-applied).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <ev.h>
#include <json-c/json.h>
#include "capture.h"
#include "cmd.h"
#include "control.h"
#include "fuzz_world.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ROUNDS 256          /* loop turns before the server must let go */

static char fuzz_sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char fuzz_state[200];

/* What vswitchd_start() does before the loop, minus the kernel parts. */
static void fuzz_init(void)
{
	static bool done;
	char err[512];

	if (done)
		return;
	done = true;
	fw_init();
	snprintf(fuzz_state, sizeof(fuzz_state), "%s/state", fw.tmpdir);
	snprintf(fuzz_sock, sizeof(fuzz_sock), "%s/ctl.sock", fw.tmpdir);
	if (state_init(fuzz_state, err, sizeof(err)) || control_init(fw.loop, fuzz_sock, "root")) {
		fprintf(stderr, "fuzz_control: %s\n", err);
		abort();
	}
	cmd_init_all(&fw.dp);		/* every handler vswitchd has */
}

static unsigned int fuzz_n_replies;
static bool fuzz_closed;	/* the server said it closes the connection */

/* Check the complete reply lines in BUF; keep a partial last line. */
static void fuzz_replies(char *buf, size_t *len, bool *streaming)
{
	char *line = buf, *nl;

	while (!*streaming && (nl = memchr(line, '\n', *len - (size_t)(line - buf)))) {
		struct json_object *r, *ok, *e;

		*nl = '\0';
		if (getenv("VSW_FUZZ_VERBOSE"))
			fprintf(stderr, "reply %.300s\n", line);
		r = json_tokener_parse(line);
		if (!r) {
			/* a capture's pcap stream follows its one reply line */
			*streaming = true;
			break;
		}
		FUZZ_CHECK(json_object_is_type(r, json_type_object) &&
			   json_object_object_get_ex(r, "ok", &ok) &&
			   json_object_is_type(ok, json_type_boolean), "reply without ok: %s", line);
		FUZZ_CHECK(json_object_get_boolean(ok) ||
			   (json_object_object_get_ex(r, "error", &e) &&
			    json_object_is_type(e, json_type_string) &&
			    !strchr(json_object_get_string(e), '\n')), "bad error reply: %s", line);
		FUZZ_CHECK(!fuzz_closed, "a reply after the one that closed the connection: %s", line);
		/* doc/control-protocol.md: these close the connection */
		fuzz_closed = !json_object_get_boolean(ok) &&
			(!strncmp(json_object_get_string(e), "malformed request: expected", 27) ||
			 !strncmp(json_object_get_string(e), "request too large", 17));
		json_object_put(r);
		fuzz_n_replies++;
		line = nl + 1;
	}
	if (*streaming) {
		*len = 0;
		return;
	}
	*len -= (size_t)(line - buf);
	memmove(buf, line, *len);
}

/* Read what the server sent; false once it closed the connection. */
static bool fuzz_drain(int fd, char *buf, size_t cap, size_t *len, bool *streaming)
{
	ssize_t n;

	for (;;) {
		if (*len == cap)	/* a reply longer than the buffer: judge no more */
			*streaming = true, *len = 0;
		n = read(fd, buf + *len, cap - *len);
		if (n > 0) {
			*len += (size_t)n;
			fuzz_replies(buf, len, streaming);
			continue;
		}
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	}
}

static int fuzz_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, fuzz_sock, sizeof(fuzz_sock));
	FUZZ_CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		   "cannot connect to %s: %s", fuzz_sock, strerror(errno));
	return fd;
}

/* Write the input, turn the loop, read the replies, until the server
 * closes; the capture sessions are ended if they still hold it. */
static void fuzz_session(const uint8_t *data, size_t size)
{
	static char buf[1 << 16];
	size_t off = 0, len = 0;
	bool alive = true, streaming = false, shut = false;
	int fd = fuzz_connect(), round;
	ssize_t n;

	fuzz_n_replies = 0;
	fuzz_closed = false;
	for (round = 0; alive && round < 2 * FUZZ_ROUNDS; round++) {
		if (off < size) {
			n = write(fd, data + off, size - off);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				off = size;	/* the server closed on us */
		} else if (!shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		if (round == FUZZ_ROUNDS)
			capture_fini();	/* a stream may wait for its count */
		ev_run(fw.loop, EVRUN_NOWAIT);
		alive = fuzz_drain(fd, buf, sizeof(buf), &len, &streaming);
	}
	FUZZ_CHECK(!alive, "the server still holds the connection after %d turns", round);
	close(fd);
	/* Not every line is answered (the server stops at the first malformed
	 * one, at the size limit and when a capture takes the socket), but a
	 * client that sent a whole request and then shut its side gets at
	 * least one answer, as `socat` users do. */
	FUZZ_CHECK(streaming || fuzz_n_replies || !memchr(data, '\n', size),
		   "%zu bytes with a complete request line, no reply", size);
}

/* fuzz_ctr_cmp() - Containers by name: the order of state.json's array is
 * the model's hash order, which replaying the journal does not keep. */
static int fuzz_ctr_cmp(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	struct json_object *nx = NULL, *ny = NULL;

	json_object_object_get_ex(x, "name", &nx);
	json_object_object_get_ex(y, "name", &ny);
	return strcmp(json_object_get_string(nx) ? json_object_get_string(nx) : "",
		      json_object_get_string(ny) ? json_object_get_string(ny) : "");
}

/* fuzz_journal_apply() - One journal record REC on the containers of ST,
 * as state.c's replay applies it: the container replaced whole, or gone. */
static void fuzz_journal_apply(struct json_object *st, struct json_object *rec)
{
	struct json_object *ctrs, *name, *state, *out;
	size_t i;

	if (!json_object_object_get_ex(st, "containers", &ctrs) ||
	    !json_object_object_get_ex(rec, "container", &name) ||
	    !json_object_object_get_ex(rec, "state", &state))
		return;
	out = json_object_new_array();
	for (i = 0; i < json_object_array_length(ctrs); i++) {
		struct json_object *c = json_object_array_get_idx(ctrs, i), *n;

		if (json_object_object_get_ex(c, "name", &n) &&
		    !strcmp(json_object_get_string(n), json_object_get_string(name)))
			continue;
		json_object_array_add(out, json_object_get(c));
	}
	if (state)
		json_object_array_add(out, json_object_get(state));
	json_object_object_add(st, "containers", out);
}

/* fuzz_saved_json() - What the next start would load: state.json with the
 * records of a journal of its generation applied. */
static struct json_object *fuzz_saved_json(void)
{
	struct json_object *st, *gen = NULL, *head, *g = NULL;
	char path[256], *line = NULL;
	size_t cap = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/state.json", fuzz_state);
	st = json_object_from_file(path);
	snprintf(path, sizeof(path), "%s/state.journal", fuzz_state);
	fp = st ? fopen(path, "r") : NULL;
	if (!fp)
		return st;
	head = getline(&line, &cap, fp) > 0 ? json_tokener_parse(line) : NULL;
	json_object_object_get_ex(st, "journal_gen", &gen);
	json_object_object_get_ex(head, "gen", &g);
	if (g && gen && json_object_get_int64(g) == json_object_get_int64(gen))
		while (getline(&line, &cap, fp) > 0) {
			struct json_object *r = json_tokener_parse(line);

			if (r)
				fuzz_journal_apply(st, r);
			json_object_put(r);
		}
	json_object_put(head);
	free(line);
	fclose(fp);
	return st;
}

static void fuzz_sort_ctrs(struct json_object *st)
{
	struct json_object *ctrs;

	if (st && json_object_object_get_ex(st, "containers", &ctrs))
		json_object_array_sort(ctrs, fuzz_ctr_cmp);
}

/* The state file and its journal must say what the model says. */
static void fuzz_check_saved(void)
{
	struct json_object *disk = fuzz_saved_json(), *mem = state_to_json();

	fuzz_sort_ctrs(disk);
	fuzz_sort_ctrs(mem);
	FUZZ_CHECK(disk && json_object_equal(disk, mem),
		   "state.json and its journal differ from the model:\n%s\nin memory:\n%s",
		   disk ? json_object_to_json_string(disk) : "(unreadable)",
		   json_object_to_json_string(mem));
	json_object_put(disk);
	json_object_put(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];

	fuzz_init();
	fw_build();
	FUZZ_CHECK(cmd_network_ensure_default(err, sizeof(err)) == 0, "%s", err);
	fuzz_session(data, size);
	fuzz_check_saved();
	fw_advance(6ULL * 24 * 3600 * 1000);
	fw_teardown();
	return 0;
}
