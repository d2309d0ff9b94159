/* vsctl_help.c - vsctl's help texts and the man page's SYNOPSIS.
 *
 * Everything printed here is read from the control schema's rows
 * (ctl_schema.c) and vsctl's global options, never written by hand:
 *  - `vsctl --help`: every command with its synopsis;
 *  - `vsctl help CMD`, `vsctl CMD --help`, `vsctl help GROUP`;
 *  - `vsctl --man-synopsis`, of which doc/vsctl.8's SYNOPSIS is a copy
 *    (tests/unit/check-man-synopsis.sh fails when the two differ).
 * A row's options are its arguments that have an option name, in the
 * row's order; rows without vsctl words (the daemon's "commands") are
 * not shown.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "vsctl.h"

/* "--mtu N", "-q", "--alias NAME" */
static const char *vsctl_help_opt_text(const struct ctl_arg *o, char *buf, size_t len)
{
	const char *name = o->alias && o->kind == CTL_OPT_FLAG ? o->alias : o->name;

	if (o->kind == CTL_OPT_FLAG)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s %s", o->alias ? o->alias : o->name, o->metavar);
	return buf;
}

/* "-c, --count COUNT" for help listings. */
static const char *vsctl_help_list_text(const struct ctl_arg *o, char *buf, size_t len)
{
	if (!o->alias)
		return vsctl_help_opt_text(o, buf, len);
	snprintf(buf, len, "%s, %s%s%s", o->alias, o->name,
		 o->kind != CTL_OPT_FLAG ? " " : "",
		 o->kind != CTL_OPT_FLAG ? o->metavar : "");
	return buf;
}

/**
 * vsctl_cmd_synopsis() - A command's options and positionals, one line
 * @row:	the command
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: @buf, "[--subnet CIDR] ... NAME" (empty for a bare command).
 */
const char *vsctl_cmd_synopsis(const struct ctl_schema *row, char *buf, size_t len)
{
	size_t i, n = ctl_schema_n_args(row), off = 0;
	char one[128];

	buf[0] = '\0';
	if (row->opt_synopsis) {
		off = snprintf(buf, len, "%s", row->opt_synopsis);
	} else {
		for (i = 0; i < n && off < len; i++) {
			const struct ctl_arg *o = &row->args[i];

			if (!o->name)
				continue;
			off += snprintf(buf + off, len - off, "%s%s%s%s%s",
					off ? " " : "", o->required ? "" : "[",
					vsctl_help_opt_text(o, one, sizeof(one)),
					o->required ? "" : "]", o->repeatable ? "..." : "");
		}
	}
	if (*row->synopsis && off < len)
		snprintf(buf + off, len - off, "%s%s", off ? " " : "", row->synopsis);
	return buf;
}

/**
 * vsctl_print_help() - `vsctl --help`: global options and every command
 * @f:	stream
 */
void vsctl_print_help(FILE *f)
{
	char syn[1024], one[64];
	size_t i;

	fprintf(f, "usage: vsctl [OPTIONS] COMMAND [ARG...]\n\n"
		"Control vswitchd, the userspace container switch.\n\nOptions:\n");
	for (i = 0; i < vsctl_n_global_opts; i++)
		fprintf(f, "  %-22s %s\n",
			vsctl_help_list_text(&vsctl_global_opts[i], one, sizeof(one)),
			vsctl_global_opts[i].help);
	fprintf(f, "\nCommands:\n");
	for (i = 0; i < ctl_schema_n_rows; i++) {
		const struct ctl_schema *r = ctl_schema_rows[i];

		if (!r->words)
			continue;
		fprintf(f, "  %-19s %s\n", r->words, r->help);
		vsctl_cmd_synopsis(r, syn, sizeof(syn));
		if (*syn)
			fprintf(f, "  %-19s   %s %s\n", "", r->words, syn);
	}
	fprintf(f, "\nRun 'vsctl help COMMAND' or 'vsctl COMMAND --help' for a "
		"command's options.\nSee vsctl(8).\n");
}

/**
 * vsctl_print_cmd_help() - One command's usage, help line and options
 * @f:		stream
 * @row:	the command
 */
void vsctl_print_cmd_help(FILE *f, const struct ctl_schema *row)
{
	size_t i, n = ctl_schema_n_args(row);
	bool header = false;
	char syn[1024], one[128];

	fprintf(f, "usage: vsctl %s %s\n\n%s\n", row->words,
		vsctl_cmd_synopsis(row, syn, sizeof(syn)), row->help);
	for (i = 0; i < n; i++) {
		const struct ctl_arg *o = &row->args[i];

		if (!o->name)
			continue;
		if (!header)
			fprintf(f, "\nOptions:\n");
		header = true;
		fprintf(f, "  %-24s %s%s\n", vsctl_help_list_text(o, one, sizeof(one)),
			o->help, o->repeatable ? " (repeatable)" : "");
	}
}

/* Write S as roff: options bold, metavariables italic, the rest roman. */
static void vsctl_help_roff_words(FILE *f, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, " []()|.=:");

		/* Punctuation is roman; a '.' never starts a line here, so it
		 * needs no escape. */
		if (n == 0) {
			/* Keep an option and its value on one line. */
			if (*s == ' ' && isupper((unsigned char)s[1]))
				fputs("\\ ", f);
			else
				fputc(*s, f);
			s++;
			continue;
		}
		if (*s == '-') {
			fputs("\\fB", f);
			for (size_t i = 0; i < n; i++)
				fputs(s[i] == '-' ? "\\-" : (char[]){ s[i], 0 }, f);
			fputs("\\fR", f);
		} else if (isupper((unsigned char)*s)) {
			fprintf(f, "\\fI%.*s\\fR", (int)n, s);
		} else {
			fprintf(f, "\\fB%.*s\\fR", (int)n, s);
		}
		s += n;
	}
}

/**
 * vsctl_print_man_synopsis() - The SYNOPSIS section of vsctl(8), in roff
 * @f:	stream
 *
 * One hanging-indented line per command, in schema order; doc/vsctl.8
 * holds a copy that tests/unit/check-man-synopsis.sh compares with this
 * output.  The first three global options (those that take a value) make
 * the OPTIONS line; the flags have a line of their own.
 */
void vsctl_print_man_synopsis(FILE *f)
{
	char syn[1024];
	size_t i;

	fputs(".SH SYNOPSIS\n.nh\n.ad l\n", f);
	fputs(".in +4n\n.ti -4n\n\\fBvsctl\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR "
	      "[\\fIARG\\fR...]\n.br\n", f);
	fputs(".ti -4n\n\\fBvsctl \\-\\-help\\fR | \\fB\\-\\-version\\fR | "
	      "\\fB\\-\\-man\\-synopsis\\fR | \\fB\\-\\-bash\\-completion\\fR\n.sp\n", f);
	fputs("\\fIOPTIONS\\fR: ", f);
	for (i = 0; i < 3; i++) {
		fputs(i ? " [" : "[", f);
		vsctl_help_roff_words(f, vsctl_help_opt_text(&vsctl_global_opts[i],
							     syn, sizeof(syn)));
		fputc(']', f);
	}
	fputs("\n.br\n\\fICOMMAND\\fR is one of:\n.br\n.in +6n\n", f);
	for (i = 0; i < ctl_schema_n_rows; i++) {
		const struct ctl_schema *r = ctl_schema_rows[i];

		if (!r->words)
			continue;
		fputs(".ti -4n\n", f);
		vsctl_help_roff_words(f, r->words);
		vsctl_cmd_synopsis(r, syn, sizeof(syn));
		if (*syn) {
			fputc(' ', f);
			vsctl_help_roff_words(f, syn);
		}
		fputs("\n.br\n", f);
	}
	fputs(".in -10n\n.ad\n.hy\n", f);
}

/**
 * vsctl_help_cmd() - `vsctl help [COMMAND|GROUP]`
 * @ctx:	invocation; args "words" holds what follows "help"
 * @cmd:	the help command (unused: also called for `vsctl GROUP --help`)
 * @args:	request args built by the parser
 *
 * Return: 0, or VSCTL_EXIT_USAGE for a word that names nothing.
 */
int vsctl_help_cmd(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
		   struct json_object *args)
{
	struct json_object *words = NULL;
	char want[128] = "";
	size_t i, n, found, wl;

	(void)cmd;
	json_object_object_get_ex(args, "words", &words);
	n = json_object_is_type(words, json_type_array) ? json_object_array_length(words) : 0;
	if (!n) {
		vsctl_print_help(ctx->out);
		return 0;
	}
	for (i = 0; i < n; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
			 i ? " " : "", json_object_get_string(json_object_array_get_idx(words, i)));
	for (i = 0; i < ctl_schema_n_rows; i++)
		if (ctl_schema_rows[i]->words && !strcmp(ctl_schema_rows[i]->words, want)) {
			vsctl_print_cmd_help(ctx->out, ctl_schema_rows[i]);
			return 0;
		}
	/* "vsctl help network": every command of that group. */
	wl = strlen(want);
	for (i = 0, found = 0; i < ctl_schema_n_rows; i++) {
		const char *w = ctl_schema_rows[i]->words;

		if (w && !strncmp(w, want, wl) && w[wl] == ' ') {
			if (found++)
				fputc('\n', ctx->out);
			vsctl_print_cmd_help(ctx->out, ctl_schema_rows[i]);
		}
	}
	if (found)
		return 0;
	vsctl_usage(ctx, NULL, "unknown command '%s'", want);
	return VSCTL_EXIT_USAGE;
}
