/* vsctl_template.c - the `--format '{{.Field}}'` templates Docker users write.
 *
 * Theory of operation.  Docker formats listings with Go's text/template;
 * scripts written for `docker network ls --format ...` use a handful of
 * its forms, and those are what this engine knows:
 *
 *   {{.Field}}  {{.Field.Key}}  {{json .}}  {{json .Field}}
 *   {{upper .Field}}  {{lower .Field}}  a leading "table " (header row,
 *   aligned columns), and the escapes \t and \n, which Docker's CLI turns
 *   into a tab and a newline before parsing.
 *
 * It is not Go's template language (no pipelines, conditions or ranges),
 * so it is strict where Go would be lenient: a template is compiled once,
 * before vsctl connects, against the command's list of fields, and an
 * unknown field, function or action is a usage error naming the fields
 * there are.  Nothing is ever silently printed as empty.
 *
 * A row is a json-c object whose keys are the Docker field names; values
 * print as Go prints them: strings as they are, numbers and booleans in
 * decimal and true/false, objects as map[k:v ...], and `json` as compact
 * JSON (keys in the row's order, which the builders keep sorted as Go's
 * encoding/json does).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "vsctl.h"

enum vsctl_tmpl_fn { TMPL_NONE, TMPL_JSON, TMPL_UPPER, TMPL_LOWER };

/* One piece of a template: literal text, or an action on a field path. */
struct vsctl_tmpl_node {
	char *text;              /* literal, or the field path ("" for ".") */
	bool action;
	enum vsctl_tmpl_fn fn;
};

struct vsctl_tmpl {
	bool table;
	size_t n;
	struct vsctl_tmpl_node *nodes;
};

static char *vsctl_tmpl_strndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (!d)
		abort();
	return d;
}

static void vsctl_tmpl_add(struct vsctl_tmpl *t, char *text, bool action,
			   enum vsctl_tmpl_fn fn)
{
	t->nodes = realloc(t->nodes, (t->n + 1) * sizeof(*t->nodes));
	if (!t->nodes)
		abort();
	t->nodes[t->n].text = text;
	t->nodes[t->n].action = action;
	t->nodes[t->n].fn = fn;
	t->n++;
}

/* Docker's CLI replaces the two-character escapes \t and \n first. */
static char *vsctl_tmpl_unescape(const char *s)
{
	char *d = malloc(strlen(s) + 1), *p = d;

	if (!d)
		abort();
	while (*s) {
		if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n')) {
			*p++ = s[1] == 't' ? '\t' : '\n';
			s += 2;
		} else {
			*p++ = *s++;
		}
	}
	*p = '\0';
	return d;
}

static bool vsctl_tmpl_field_known(const char *path, const char *const *fields)
{
	size_t len = strcspn(path, ".");

	for (; *fields; fields++)
		if (strlen(*fields) == len && !strncmp(*fields, path, len))
			return true;
	return false;
}

static void vsctl_tmpl_list_fields(const char *const *fields, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (; *fields && off < len; fields++)
		off += (size_t)snprintf(buf + off, len - off, "%s.%s", off ? ", " : "", *fields);
}

/**
 * vsctl_tmpl_action() - Compile the inside of one {{ }}
 * @t:		template being built
 * @a:		the action's text, without the braces
 * @fields:	the command's field names, NULL-terminated
 * @err:	on failure, why
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set.
 */
static int vsctl_tmpl_action(struct vsctl_tmpl *t, const char *a, const char *const *fields,
			     char *err, size_t errlen)
{
	static const struct { const char *name; enum vsctl_tmpl_fn fn; } fns[] = {
		{ "json", TMPL_JSON }, { "upper", TMPL_UPPER }, { "lower", TMPL_LOWER },
	};
	enum vsctl_tmpl_fn fn = TMPL_NONE;
	char known[512];
	size_t i, n;

	while (isspace((unsigned char)*a))
		a++;
	n = strlen(a);
	while (n && isspace((unsigned char)a[n - 1]))
		n--;
	if (n && a[0] != '.') {
		size_t w = strcspn(a, " \t");

		for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
			if (strlen(fns[i].name) == w && !strncmp(fns[i].name, a, w))
				fn = fns[i].fn;
		if (fn == TMPL_NONE) {
			snprintf(err, errlen, "function \"%.*s\" is not known here "
				 "(json, upper, lower)", (int)w, a);
			return -1;
		}
		a += w;
		n -= w;
		while (n && isspace((unsigned char)*a)) {
			a++;
			n--;
		}
	}
	if (!n || a[0] != '.' || memchr(a, ' ', n) || memchr(a, '"', n) ||
	    (n > 1 && (a[n - 1] == '.' || memmem(a, n, "..", 2)))) {
		snprintf(err, errlen, "'{{%.*s}}' is not .Field, json . or FUNCTION .Field",
			 (int)n, a);
		return -1;
	}
	vsctl_tmpl_list_fields(fields, known, sizeof(known));
	if (n > 1 && !vsctl_tmpl_field_known(a + 1, fields)) {
		snprintf(err, errlen, "no field %.*s here (fields: %s)", (int)n, a, known);
		return -1;
	}
	if (n == 1 && fn != TMPL_JSON) {
		snprintf(err, errlen, "'{{.}}' prints a whole row: use {{json .}} (fields: %s)",
			 known);
		return -1;
	}
	vsctl_tmpl_add(t, vsctl_tmpl_strndup(a + 1, n - 1), true, fn);
	return 0;
}

/**
 * vsctl_tmpl_compile() - Compile a --format template for one command
 * @format:	as given on the command line
 * @fields:	the command's field names, NULL-terminated
 * @err:	on failure, why (one line)
 * @errlen:	size of @err
 *
 * Return: the template, or NULL with @err set.
 */
struct vsctl_tmpl *vsctl_tmpl_compile(const char *format, const char *const *fields,
				      char *err, size_t errlen)
{
	struct vsctl_tmpl *t = calloc(1, sizeof(*t));
	char *src, *p;

	if (!t)
		abort();
	if (!strncmp(format, "table ", 6) || !strncmp(format, "table\t", 6)) {
		t->table = true;
		format += 6;
	}
	src = vsctl_tmpl_unescape(format);
	for (p = src; *p;) {
		char *open = strstr(p, "{{"), *close;

		if (!open) {
			vsctl_tmpl_add(t, vsctl_tmpl_strndup(p, strlen(p)), false, TMPL_NONE);
			break;
		}
		if (open > p)
			vsctl_tmpl_add(t, vsctl_tmpl_strndup(p, (size_t)(open - p)), false, TMPL_NONE);
		close = strstr(open + 2, "}}");
		if (!close) {
			snprintf(err, errlen, "unclosed action: '%s'", open);
			goto fail;
		}
		*close = '\0';
		if (vsctl_tmpl_action(t, open + 2, fields, err, errlen))
			goto fail;
		p = close + 2;
	}
	free(src);
	if (!t->n || (t->n == 1 && !t->nodes[0].action && !t->table)) {
		snprintf(err, errlen, "a template needs at least one {{.Field}}");
		vsctl_tmpl_free(t);
		return NULL;
	}
	return t;
fail:
	free(src);
	vsctl_tmpl_free(t);
	return NULL;
}

void vsctl_tmpl_free(struct vsctl_tmpl *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->nodes[i].text);
	free(t->nodes);
	free(t);
}

bool vsctl_tmpl_is_table(const struct vsctl_tmpl *t)
{
	return t->table;
}

/* The value at PATH ("" is the row itself); NULL when a key is missing. */
static struct json_object *vsctl_tmpl_lookup(struct json_object *row, const char *path)
{
	char key[128];

	while (*path && row) {
		size_t len = strcspn(path, ".");
		struct json_object *v = NULL;

		snprintf(key, sizeof(key), "%.*s", (int)len, path);
		if (!json_object_is_type(row, json_type_object) ||
		    !json_object_object_get_ex(row, key, &v))
			return NULL;
		row = v;
		path += len + (path[len] == '.');
	}
	return row;
}

static void vsctl_tmpl_value(FILE *f, struct json_object *v);

/* Go prints a map as map[k:v k2:v2], keys sorted; ours are kept sorted. */
static void vsctl_tmpl_map(FILE *f, struct json_object *v)
{
	bool first = true;

	fputs("map[", f);
	json_object_object_foreach(v, k, val) {
		fprintf(f, "%s%s:", first ? "" : " ", k);
		vsctl_tmpl_value(f, val);
		first = false;
	}
	fputc(']', f);
}

static void vsctl_tmpl_value(FILE *f, struct json_object *v)
{
	size_t i;

	if (!v) {
		fputs("<no value>", f);
	} else if (json_object_is_type(v, json_type_object)) {
		vsctl_tmpl_map(f, v);
	} else if (json_object_is_type(v, json_type_array)) {
		fputc('[', f);
		for (i = 0; i < json_object_array_length(v); i++) {
			if (i)
				fputc(' ', f);
			vsctl_tmpl_value(f, json_object_array_get_idx(v, i));
		}
		fputc(']', f);
	} else {
		fputs(json_object_get_string(v), f);
	}
}

/* Run one node on ROW into F. */
static void vsctl_tmpl_node_exec(FILE *f, const struct vsctl_tmpl_node *nd,
				 struct json_object *row)
{
	struct json_object *v = vsctl_tmpl_lookup(row, nd->text);
	char *s = NULL, *p;
	size_t len = 0;
	FILE *m;

	if (nd->fn == TMPL_JSON) {
		fputs(v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE) : "null", f);
		return;
	}
	if (nd->fn == TMPL_NONE) {
		vsctl_tmpl_value(f, v);
		return;
	}
	m = open_memstream(&s, &len);
	if (!m)
		abort();
	vsctl_tmpl_value(m, v);
	fclose(m);
	for (p = s; *p; p++)
		*p = (char)(nd->fn == TMPL_UPPER ? toupper((unsigned char)*p) :
			    tolower((unsigned char)*p));
	fputs(s, f);
	free(s);
}

/* A field's column header, as Docker's: CreatedAt -> CREATED AT, ID -> ID. */
static void vsctl_tmpl_header_of(FILE *f, const struct vsctl_tmpl_node *nd)
{
	const char *base = strrchr(nd->text, '.');
	size_t i;

	base = base ? base + 1 : nd->text;
	if (!*base) {
		fputs("JSON", f);
		return;
	}
	for (i = 0; base[i]; i++) {
		if (i && isupper((unsigned char)base[i]) && islower((unsigned char)base[i - 1]))
			fputc(' ', f);
		fputc(toupper((unsigned char)base[i]), f);
	}
}

/**
 * vsctl_tmpl_exec() - Run a template on one row, or make its header
 * @t:		template
 * @row:	the row; NULL for the header (each field's name in capitals)
 *
 * Return: the text, malloc'd (the caller frees it).
 */
char *vsctl_tmpl_exec(const struct vsctl_tmpl *t, struct json_object *row)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	for (i = 0; i < t->n; i++) {
		const struct vsctl_tmpl_node *nd = &t->nodes[i];

		if (!nd->action)
			fputs(nd->text, f);
		else if (!row)
			vsctl_tmpl_header_of(f, nd);
		else
			vsctl_tmpl_node_exec(f, nd, row);
	}
	fclose(f);
	return s;
}
