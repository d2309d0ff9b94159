/* cni_main.c - `vswitch`, the CNI plugin: environment, stdin, dispatch.
 *
 * A runtime (containerd, podman, buildah, anything over libcni) executes
 * this program with CNI_COMMAND and friends in the environment and the
 * network configuration on standard input (SPEC.md "Execution
 * protocol").  main() reads both, checks what every command needs, and
 * hands over to cni_cmd.c; any error ends as one CNI error object on
 * standard output and exit status 1 (cni_result.c).  VERSION needs no
 * configuration beyond an optional cniVersion.
 *
 * Input is bounded (CNI_INPUT_MAX): a configuration is a few hundred
 * bytes, and a runaway writer must not make the plugin eat memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cni.h"
#include "control.h"

#define CNI_INPUT_MAX (1u << 20)

/* Standard input, NUL-terminated; NULL with E set. */
static char *cni_read_stdin(struct cni_error *e)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf) {
		if (len + 1 >= cap) {
			char *nb = cap < CNI_INPUT_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				cni_error_set(e, CNI_ERR_DECODE, "the configuration is larger than %u bytes",
					      CNI_INPUT_MAX);
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(STDIN_FILENO, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cni_error_set(e, CNI_ERR_IO, "cannot read stdin: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			buf[len] = '\0';
			if (strlen(buf) != len) {
				cni_error_set(e, CNI_ERR_DECODE, "the configuration holds a NUL byte");
				break;
			}
			return buf;
		}
		len += (size_t)n;
	}
	if (!buf)
		cni_error_set(e, CNI_ERR_IO, "out of memory");
	free(buf);
	return NULL;
}

static void cni_env_read(struct cni_env *env)
{
	env->command = getenv("CNI_COMMAND");
	env->containerid = getenv("CNI_CONTAINERID");
	env->netns = getenv("CNI_NETNS");
	env->ifname = getenv("CNI_IFNAME");
	env->args = getenv("CNI_ARGS");
	env->path = getenv("CNI_PATH");
	if (!env->netns)
		env->netns = "";
}

/* What ADD, CHECK and DEL need of the environment (SPEC.md). */
static int cni_env_check(const struct cni_env *env, bool need_netns, struct cni_error *e)
{
	if (!env->containerid || !*env->containerid)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_CONTAINERID is not set");
	if (!ctl_name_chars_ok(env->containerid))
		return cni_error_set(e, CNI_ERR_ENV, "CNI_CONTAINERID \"%s\" has characters other "
				     "than letters, digits, . _ -", env->containerid);
	if (!env->ifname || !*env->ifname)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_IFNAME is not set");
	if (need_netns && !*env->netns)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_NETNS is not set");
	return 0;
}

/* VERSION: the versions we speak; cniVersion echoes the one asked. */
static int cni_version(const char *input)
{
	struct json_object *in = input ? json_tokener_parse(input) : NULL, *v, *o, *list;
	const char *asked = NULL;
	int i;

	if (in && json_object_is_type(in, json_type_object) &&
	    json_object_object_get_ex(in, "cniVersion", &v) && json_object_is_type(v, json_type_string))
		asked = json_object_get_string(v);
	o = json_object_new_object();
	list = json_object_new_array();
	json_object_object_add(o, "cniVersion", json_object_new_string(asked ? asked : "1.1.0"));
	for (i = 0; cni_supported_versions[i]; i++)
		json_object_array_add(list, json_object_new_string(cni_supported_versions[i]));
	json_object_object_add(o, "supportedVersions", list);
	cni_json_print(o);
	json_object_put(o);
	json_object_put(in);
	return 0;
}

static int cni_dispatch(struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	const char *cmd = env->command;

	if (!strcmp(cmd, "ADD"))
		return cni_env_check(env, true, e) ? -1 : cni_cmd_add(c, env, e);
	if (!strcmp(cmd, "DEL"))
		return cni_env_check(env, false, e) ? -1 : cni_cmd_del(c, env, e);
	if (!strcmp(cmd, "CHECK"))
		return cni_env_check(env, true, e) ? -1 : cni_cmd_check(c, env, e);
	if (!strcmp(cmd, "STATUS"))
		return cni_cmd_status(c, e);
	if (!strcmp(cmd, "GC"))
		return cni_cmd_gc(c, e);
	return cni_error_set(e, CNI_ERR_ENV, "unknown CNI_COMMAND %s", cmd);
}

int main(int argc, char **argv)
{
	struct cni_error e = { 0 };
	struct cni_conf c = { 0 };
	struct cni_env env;
	char *input;
	int rc = -1;

	(void)argv;
	cni_env_read(&env);
	if (argc > 1 || !env.command) {
		fprintf(stderr, "vswitch: a CNI plugin; container runtimes run it with CNI_COMMAND "
			"set and the network configuration on stdin (see vswitch-cni(8))\n");
		cni_error_set(&e, CNI_ERR_ENV, "CNI_COMMAND is not set");
		cni_error_print(&e, NULL);
		return 1;
	}
	input = cni_read_stdin(&e);
	if (input && !strcmp(env.command, "VERSION"))
		rc = cni_version(input);
	else if (input && cni_conf_load(&c, input, &env, &e) == 0)
		rc = cni_dispatch(&c, &env, &e);
	if (rc)
		cni_error_print(&e, c.version && cni_version_supported(c.ver) ? c.version : NULL);
	cni_conf_free(&c);
	free(input);
	return rc ? 1 : 0;
}
