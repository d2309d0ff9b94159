/* vsctl_events.c - `vsctl events`: print the switch's events as they come.
 *
 * After the request and its one-line reply, vswitchd sends one JSON line
 * per event, Docker's shape (src/events.c), until one side closes.  Each
 * is printed at once (line-buffered), so `vsctl events | while read` and
 * tests see events as they happen:
 *
 *   table (default)  docker events' text form:
 *                    TIME TYPE ACTION ID (key=value, ...)
 *   json             the line as vswitchd sent it, which is what
 *                    `docker events --format '{{json .}}'` prints
 *   a template       on the fields Docker's templates know for events:
 *                    .Type .Action .Actor (.Actor.ID, .Actor.Attributes.K)
 *                    .Scope .Time .TimeNano
 *
 * A line that is not a JSON object (a daemon bug) is reported once and
 * skipped, never printed as if it were an event.  The stream ends when
 * vswitchd closes it (exit 0) or on SIGINT/SIGTERM/EPIPE (default
 * dispositions: the process just ends, nothing is left to flush).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "vsctl.h"

static const char *const vsctl_events_fields[] = {
	"Action", "Actor", "Scope", "Time", "TimeNano", "Type", NULL
};

const char *const *vsctl_events_template_fields(void)
{
	return vsctl_events_fields;
}

/* docker events' text line: 2026-12-05T06:31:40.123456789Z network create ID (k=v, ...) */
static void vsctl_events_text(FILE *f, struct json_object *ev)
{
	struct json_object *actor = NULL, *attrs = NULL;
	long long ns = vsctl_jint(ev, "timeNano", 0);
	time_t sec = (time_t)(ns / 1000000000);
	char when[40];
	struct tm tm;
	bool first = true;

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	json_object_object_get_ex(ev, "Actor", &actor);
	json_object_object_get_ex(actor, "Attributes", &attrs);
	fprintf(f, "%s.%09lldZ %s %s %s", when, ns % 1000000000, vsctl_jstr(ev, "Type", ""),
		vsctl_jstr(ev, "Action", ""), vsctl_jstr(actor, "ID", ""));
	if (json_object_is_type(attrs, json_type_object) && json_object_object_length(attrs)) {
		json_object_object_foreach(attrs, k, v) {
			fprintf(f, "%s%s=%s", first ? " (" : ", ", k, json_object_get_string(v));
			first = false;
		}
		fputc(')', f);
	}
	fputc('\n', f);
}

/* The row a template sees: Go's field names of events.Message. */
static struct json_object *vsctl_events_row(struct json_object *ev)
{
	static const char *const keys[][2] = {
		{ "Action", "Action" }, { "Actor", "Actor" }, { "Scope", "scope" },
		{ "Time", "time" }, { "TimeNano", "timeNano" }, { "Type", "Type" },
	};
	struct json_object *row = json_object_new_object();
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *v = NULL;

		json_object_object_get_ex(ev, keys[i][1], &v);
		json_object_object_add(row, keys[i][0], v ? json_object_get(v) : NULL);
	}
	return row;
}

static void vsctl_events_print(struct vsctl_ctx *ctx, const char *line,
			       struct json_object *ev)
{
	if (ctx->format == VSCTL_FMT_JSON) {
		fprintf(ctx->out, "%s\n", line);
	} else if (ctx->tmpl) {
		struct json_object *row = vsctl_events_row(ev);
		char *s = vsctl_tmpl_exec(ctx->tmpl, row);

		fprintf(ctx->out, "%s\n", s);
		free(s);
		json_object_put(row);
	} else {
		vsctl_events_text(ctx->out, ev);
	}
	fflush(ctx->out);
}

/* Read the reply line; print the daemon's error if it refused. */
static int vsctl_events_reply(struct vsctl_ctx *ctx, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	struct json_object *rep;
	int rc = VSCTL_EXIT_ERROR;

	if (getline(&line, &cap, in) < 0) {
		vsctl_error(ctx, "vswitchd closed the connection without answering");
		free(line);
		return rc;
	}
	rep = json_tokener_parse(line);
	if (!rep || !json_object_is_type(rep, json_type_object))
		vsctl_error(ctx, "vswitchd's reply is not JSON");
	else if (!vsctl_jint(rep, "ok", 0))
		vsctl_error(ctx, "%s", vsctl_jstr(rep, "error", "vswitchd refused the request"));
	else
		rc = 0;
	json_object_put(rep);
	free(line);
	return rc;
}

/**
 * vsctl_events() - `vsctl events`: stream events until vswitchd closes
 * @ctx:	invocation (socket, format, template)
 * @cmd:	the command
 * @args:	request args (none)
 *
 * Return: exit status.
 */
int vsctl_events(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd, struct json_object *args)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool warned = false;
	FILE *in;
	int fd = vsctl_connect(ctx), rc;

	if (fd < 0)
		return VSCTL_EXIT_ERROR;
	if (dprintf(fd, "{\"cmd\":\"events\",\"args\":{}}\n") < 0 || !(in = fdopen(fd, "r"))) {
		vsctl_error(ctx, "cannot send the request to vswitchd");
		close(fd);
		return VSCTL_EXIT_ERROR;
	}
	rc = vsctl_events_reply(ctx, in);
	while (!rc && (n = getline(&line, &cap, in)) > 0) {
		struct json_object *ev;
		bool bad;

		line[n - 1] = line[n - 1] == '\n' ? '\0' : line[n - 1];
		ev = json_tokener_parse(line);
		bad = !ev || !json_object_is_type(ev, json_type_object);
		if (!bad)
			vsctl_events_print(ctx, line, ev);
		else if (!warned)
			fprintf(ctx->err, "vsctl: warning: skipping a line from vswitchd "
				"that is not an event\n");
		warned = warned || bad;
		json_object_put(ev);
	}
	free(line);
	fclose(in);
	return rc;
}
