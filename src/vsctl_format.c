/* vsctl_format.c - how vsctl prints: aligned tables, pretty JSON, errors.
 *
 * Tables follow `docker network ls`: a header row in capitals, columns
 * left-aligned and separated by at least three spaces, widths taken from
 * the widest cell, so the output is easy to read and to cut(1).  The table
 * keeps its cells until vsctl_table_print() because a width is known only
 * once every row is in; listings are small, so that costs nothing.
 *
 * JSON is pretty-printed with four-space indentation, as `docker network
 * inspect` does, by a small printer of our own: json-c's own pretty mode
 * indents by two and escapes '/', which would make CIDRs read "10.0.0.0\/8".
 *
 * Errors are one line, `vsctl: error: TEXT` (exit 1), and usage errors one
 * line `vsctl: usage: ...` plus a hint (exit 2), on standard error.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "vsctl.h"

struct vsctl_table {
	int ncols;
	size_t nrows, cap;
	char **cells;            /* nrows * ncols, row 0 is the header */
};

static void vsctl_format_indent(FILE *f, int level)
{
	fprintf(f, "%*s", level * 4, "");
}

static void vsctl_format_scalar(FILE *f, struct json_object *o)
{
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE), f);
}

static void vsctl_format_value(FILE *f, struct json_object *o, int level);

static void vsctl_format_object(FILE *f, struct json_object *o, int level)
{
	int i = 0, n = json_object_object_length(o);

	if (n == 0) {
		fputs("{}", f);
		return;
	}
	fputs("{\n", f);
	json_object_object_foreach(o, key, val) {
		struct json_object *k = json_object_new_string(key);

		vsctl_format_indent(f, level + 1);
		vsctl_format_scalar(f, k);
		json_object_put(k);
		fputs(": ", f);
		vsctl_format_value(f, val, level + 1);
		fputs(++i < n ? ",\n" : "\n", f);
	}
	vsctl_format_indent(f, level);
	fputc('}', f);
}

static void vsctl_format_array(FILE *f, struct json_object *o, int level)
{
	size_t i, n = json_object_array_length(o);

	if (n == 0) {
		fputs("[]", f);
		return;
	}
	fputs("[\n", f);
	for (i = 0; i < n; i++) {
		vsctl_format_indent(f, level + 1);
		vsctl_format_value(f, json_object_array_get_idx(o, i), level + 1);
		fputs(i + 1 < n ? ",\n" : "\n", f);
	}
	vsctl_format_indent(f, level);
	fputc(']', f);
}

static void vsctl_format_value(FILE *f, struct json_object *o, int level)
{
	if (json_object_is_type(o, json_type_object))
		vsctl_format_object(f, o, level);
	else if (json_object_is_type(o, json_type_array))
		vsctl_format_array(f, o, level);
	else if (o == NULL)
		fputs("null", f);
	else
		vsctl_format_scalar(f, o);
}

/**
 * vsctl_json_print() - Print a JSON value, 4-space indented, then a newline
 * @f:	stream
 * @o:	value (NULL prints null)
 */
void vsctl_json_print(FILE *f, struct json_object *o)
{
	vsctl_format_value(f, o, 0);
	fputc('\n', f);
}

struct vsctl_table *vsctl_table_new(int ncols, const char *const *headers)
{
	struct vsctl_table *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->ncols = ncols;
	vsctl_table_add(t, headers);
	return t;
}

/**
 * vsctl_table_add() - Append a row; cells are copied, NULL prints as "-"
 * @t:		table
 * @cells:	ncols strings
 */
void vsctl_table_add(struct vsctl_table *t, const char *const *cells)
{
	int c;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = realloc(t->cells, t->cap * t->ncols * sizeof(char *));
		if (!t->cells)
			abort();
	}
	for (c = 0; c < t->ncols; c++) {
		char *s = strdup(cells[c] ? cells[c] : "-");

		if (!s)
			abort();
		t->cells[t->nrows * t->ncols + c] = s;
	}
	t->nrows++;
}

void vsctl_table_print(FILE *f, struct vsctl_table *t)
{
	size_t w[32] = { 0 }, r;
	int c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols && c < 32; c++) {
			size_t l = strlen(t->cells[r * t->ncols + c]);

			if (l > w[c])
				w[c] = l;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			/* No trailing blanks after the last column. */
			if (c + 1 == t->ncols)
				fputs(s, f);
			else
				fprintf(f, "%-*s   ", (int)w[c < 32 ? c : 31], s);
		}
		fputc('\n', f);
	}
}

void vsctl_table_free(struct vsctl_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/**
 * vsctl_error() - Print `vsctl: error: TEXT` as one line on standard error
 * @ctx:	invocation (its err stream)
 * @fmt:	printf format of TEXT
 *
 * Newlines in TEXT (a daemon may misbehave) become spaces: the contract is
 * one line.
 */
void vsctl_error(struct vsctl_ctx *ctx, const char *fmt, ...)
{
	char buf[1024], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(ctx->err, "vsctl: error: %s\n", buf);
}

/**
 * vsctl_usage() - Report a usage error: what is wrong, the synopsis, a hint
 * @ctx:	invocation
 * @row:	the command, or NULL when no command was recognised
 * @fmt:	printf format of what is wrong
 */
void vsctl_usage(struct vsctl_ctx *ctx, const struct ctl_schema *row,
		 const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (row) {
		char syn[1024];

		fprintf(ctx->err, "vsctl: usage: %s: %s\n", row->words, buf);
		fprintf(ctx->err, "usage: vsctl %s %s (see 'vsctl help %s')\n",
			row->words, vsctl_cmd_synopsis(row, syn, sizeof(syn)),
			row->words);
	} else {
		fprintf(ctx->err, "vsctl: usage: %s\n", buf);
		fprintf(ctx->err, "Try 'vsctl --help' for more information.\n");
	}
}

/* Typed reads from a reply; a missing or mistyped key gives the default,
 * so that a daemon adding fields (or missing one) never crashes vsctl. */
const char *vsctl_jstr(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return dflt;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return dflt;
	return json_object_get_string(v);
}

long long vsctl_jint(struct json_object *o, const char *key, long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return dflt;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_int64(v);
}
