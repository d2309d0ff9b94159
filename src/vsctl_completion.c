/* vsctl_completion.c - bash completion for vsctl, from the command table.
 *
 * `vsctl --bash-completion` prints a bash script (installed as
 * /usr/share/bash-completion/completions/vsctl by `make install`) whose
 * data are the schema's rows: every command's words, options, the
 * choices of enumerated options and what its positionals are.  Like the
 * help and the man page's SYNOPSIS it is generated, never written by
 * hand, so it cannot offer an option vsctl does not have.
 *
 * The script is self-contained (it does not need the bash-completion
 * package's helpers): it skips global options and their values, finds the
 * command's words, then completes an option's value (enum choices, file
 * names for FILE, network and container names asked of the running
 * switch for options and positionals that take them), an option, or a
 * positional.  Names come from `vsctl ... ls --format` with the same
 * --socket the command line gave; when the switch does not answer,
 * nothing is offered.
 */
#include <stdio.h>
#include <string.h>
#include "vsctl.h"

/* A bash single-quoted word. */
static void vsctl_completion_q(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* What kind of name an option's metavar asks for: n(etwork), c(ontainer),
 * f(ile) or - (nothing to offer). */
static char vsctl_completion_opt_kind(const struct ctl_arg *o)
{
	if (!strcmp(o->name, "--network"))
		return 'n';
	if (!strcmp(o->name, "--container") || !strcmp(o->name, "--from"))
		return 'c';
	if (strstr(o->metavar, "FILE") || strstr(o->metavar, "DIR"))
		return 'f';
	return '-';
}

/* The kinds of a command's positionals, one letter each: "nc" for
 * "NETWORK CONTAINER"; a NAME of a network command other than create is
 * a network. */
static void vsctl_completion_pos_kinds(const struct ctl_schema *r, char *out, size_t len)
{
	const char *s = r->synopsis ? r->synopsis : "";
	size_t n = 0;

	while (*s && n + 1 < len) {
		size_t w = strcspn(s, " ");
		char k = '-';

		if ((w >= 7 && !strncmp(s, "NETWORK", 7)) || strstr(s, "[NETWORK") == s)
			k = 'n';
		else if (w >= 9 && !strncmp(s, "CONTAINER", 9))
			k = 'c';
		else if (!strncmp(s, "NAME", 4) && !strncmp(r->words, "network ", 8) &&
			 strcmp(r->words, "network create"))
			k = 'n';
		out[n++] = k;
		s += w;
		while (*s == ' ')
			s++;
	}
	if (!n)
		out[n++] = '-';
	out[n] = '\0';
}

static void vsctl_completion_row(FILE *f, const struct ctl_schema *r)
{
	size_t i, n = ctl_schema_n_args(r);
	char pos[128];

	fputs("_vsctl_opts[", f);
	vsctl_completion_q(f, r->words);
	fputs("]='--help", f);
	for (i = 0; i < n; i++) {
		if (!r->args[i].name)
			continue;
		fprintf(f, " %s", r->args[i].name);
		if (r->args[i].alias)
			fprintf(f, " %s", r->args[i].alias);
	}
	fputs("'\n", f);
	for (i = 0; i < n; i++) {
		const struct ctl_arg *o = &r->args[i];
		const char *names[2] = { o->name, o->alias };
		int k;

		for (k = 0; k < 2 && o->name && o->kind != CTL_OPT_FLAG; k++) {
			if (!names[k])
				continue;
			fputs("_vsctl_val[", f);
			vsctl_completion_q(f, r->words);
			fprintf(f, "' %s']=", names[k]);
			if (o->kind == CTL_OPT_ENUM) {
				char choices[256], *p;

				snprintf(choices, sizeof(choices), "e:%s", o->metavar);
				for (p = choices; *p; p++)
					*p = *p == '|' ? ' ' : *p;
				vsctl_completion_q(f, choices);
			} else {
				snprintf(pos, sizeof(pos), "%c:", vsctl_completion_opt_kind(o));
				vsctl_completion_q(f, pos);
			}
			fputc('\n', f);
		}
	}
	vsctl_completion_pos_kinds(r, pos, sizeof(pos));
	fputs("_vsctl_pos[", f);
	vsctl_completion_q(f, r->words);
	fprintf(f, "]=%s\n", pos);
}

static const char vsctl_completion_fn[] =
"_vsctl_names() {\n"
"\tlocal sock=() i\n"
"\tfor ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do\n"
"\t\t[[ ${COMP_WORDS[i]} == --socket ]] && sock=(--socket \"${COMP_WORDS[i+1]}\")\n"
"\t\t[[ ${COMP_WORDS[i]} == --socket=* ]] && sock=(\"${COMP_WORDS[i]}\")\n"
"\tdone\n"
"\tcase $1 in\n"
"\tn) \"${COMP_WORDS[0]}\" \"${sock[@]}\" --timeout 2 network ls --format '{{.Name}}' 2>/dev/null ;;\n"
"\tc) \"${COMP_WORDS[0]}\" \"${sock[@]}\" --timeout 2 container ls --format '{{.ID}}' 2>/dev/null ;;\n"
"\tesac\n"
"}\n"
"\n"
"_vsctl_offer() {   # _vsctl_offer KIND:CHOICES CUR\n"
"\tlocal kind=${1%%:*} words=${1#*:}\n"
"\tcase $kind in\n"
"\te) COMPREPLY=($(compgen -W \"$words\" -- \"$2\")) ;;\n"
"\tf) COMPREPLY=($(compgen -f -- \"$2\")) ;;\n"
"\tn | c) COMPREPLY=($(compgen -W \"$(_vsctl_names \"$kind\")\" -- \"$2\")) ;;\n"
"\tesac\n"
"}\n"
"\n"
"_vsctl() {\n"
"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
"\tlocal i=1 w cmd\n"
"\tCOMPREPLY=()\n"
"\t# global options (and the values of those that take one) come first\n"
"\twhile ((i < COMP_CWORD)); do\n"
"\t\tw=${COMP_WORDS[i]}\n"
"\t\tif [[ \" $_vsctl_global_val \" == *\" $w \"* ]]; then ((i += 2)); continue; fi\n"
"\t\t[[ $w == -* ]] || break\n"
"\t\t((i++))\n"
"\tdone\n"
"\tif ((i >= COMP_CWORD)); then\n"
"\t\tif [[ \" $_vsctl_global_val \" == *\" $prev \"* ]]; then\n"
"\t\t\t[[ $prev == --format ]] && COMPREPLY=($(compgen -W 'table json raw' -- \"$cur\"))\n"
"\t\t\t[[ $prev == --socket ]] && COMPREPLY=($(compgen -f -- \"$cur\"))\n"
"\t\t\treturn\n"
"\t\tfi\n"
"\t\tCOMPREPLY=($(compgen -W \"$_vsctl_globals $_vsctl_first\" -- \"$cur\"))\n"
"\t\treturn\n"
"\tfi\n"
"\tcmd=${COMP_WORDS[i]}\n"
"\tif [[ -z ${_vsctl_opts[$cmd]+x} ]]; then\n"
"\t\tif ((i + 1 >= COMP_CWORD)); then\n"
"\t\t\tCOMPREPLY=($(compgen -W \"${_vsctl_sub[$cmd]}\" -- \"$cur\"))\n"
"\t\t\treturn\n"
"\t\tfi\n"
"\t\tcmd=\"$cmd ${COMP_WORDS[i+1]}\"\n"
"\t\t[[ -n ${_vsctl_opts[$cmd]+x} ]] || return\n"
"\tfi\n"
"\tif [[ -n ${_vsctl_val[\"$cmd $prev\"]+x} ]]; then\n"
"\t\t_vsctl_offer \"${_vsctl_val[\"$cmd $prev\"]}\" \"$cur\"\n"
"\t\treturn\n"
"\tfi\n"
"\tif [[ $cur == -* ]]; then\n"
"\t\tCOMPREPLY=($(compgen -W \"${_vsctl_opts[$cmd]} $_vsctl_global_val\" -- \"$cur\"))\n"
"\t\treturn\n"
"\tfi\n"
"\t# which positional: the words after the command that are not options\n"
"\t# or their values\n"
"\tlocal n=0 kinds=${_vsctl_pos[$cmd]} j\n"
"\tfor ((j = i + (${#cmd} > ${#COMP_WORDS[i]} ? 2 : 1); j < COMP_CWORD; j++)); do\n"
"\t\tw=${COMP_WORDS[j]}\n"
"\t\tif [[ -n ${_vsctl_val[\"$cmd $w\"]+x} || \" $_vsctl_global_val \" == *\" $w \"* ]]; then\n"
"\t\t\t((j++))\n"
"\t\telif [[ $w != -* ]]; then\n"
"\t\t\t((n++))\n"
"\t\tfi\n"
"\tdone\n"
"\t((n >= ${#kinds})) && n=$((${#kinds} - 1))\n"
"\t_vsctl_offer \"${kinds:n:1}:\" \"$cur\"\n"
"}\n"
"complete -F _vsctl vsctl\n";

/**
 * vsctl_print_bash_completion() - `vsctl --bash-completion`: the script
 * @f:	stream
 */
void vsctl_print_bash_completion(FILE *f)
{
	char first[1024] = "", subs[64][256] = { { 0 } }, groups[64][32] = { { 0 } };
	size_t i, k, ng = 0, off = 0;

	fputs("# bash completion for vsctl(8), generated by `vsctl --bash-completion`\n"
	      "# from vsctl's command table (src/ctl_schema.c): do not edit.\n"
	      "declare -A _vsctl_opts _vsctl_val _vsctl_pos _vsctl_sub\n", f);
	fputs("_vsctl_globals='", f);
	for (i = 0; i < vsctl_n_global_opts; i++)
		fprintf(f, "%s%s", i ? " " : "", vsctl_global_opts[i].name);
	fputs("'\n_vsctl_global_val='", f);
	for (i = 0, k = 0; i < vsctl_n_global_opts; i++)
		if (vsctl_global_opts[i].kind != CTL_OPT_FLAG)
			fprintf(f, "%s%s", k++ ? " " : "", vsctl_global_opts[i].name);
	fputs("'\n", f);
	for (i = 0; i < ctl_schema_n_rows; i++) {
		const struct ctl_schema *r = ctl_schema_rows[i];
		const char *sp = r->words ? strchr(r->words, ' ') : NULL;
		size_t len = sp ? (size_t)(sp - r->words) : (r->words ? strlen(r->words) : 0);

		if (!r->words)
			continue;
		vsctl_completion_row(f, r);
		for (k = 0; k < ng && (strlen(groups[k]) != len ||
				       strncmp(groups[k], r->words, len)); k++)
			;
		if (k == ng && ng < 64) {
			snprintf(groups[ng++], sizeof(groups[0]), "%.*s", (int)len, r->words);
			off += (size_t)snprintf(first + off, sizeof(first) - off, "%s%.*s",
						off ? " " : "", (int)len, r->words);
		}
		if (sp && k < 64)
			snprintf(subs[k] + strlen(subs[k]), sizeof(subs[0]) - strlen(subs[k]),
				 "%s%s", *subs[k] ? " " : "", sp + 1);
	}
	for (k = 0; k < ng; k++)
		if (*subs[k])
			fprintf(f, "_vsctl_sub[%s]='%s'\n", groups[k], subs[k]);
	fprintf(f, "_vsctl_first='%s'\n\n", first);
	fputs(vsctl_completion_fn, f);
}
