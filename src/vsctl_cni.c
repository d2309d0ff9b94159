/* vsctl_cni.c - `vsctl cni conf`: the CNI conflist of a vswitch network.
 *
 * A runtime finds a CNI network by a configuration list in its conf dir
 * (/etc/cni/net.d, or podman's network_config_dir).  Writing one by hand
 * means knowing the plugin's keys and the control socket's path; this
 * command asks vswitchd whether the network exists (so a typo is caught
 * now, not at the first container start) and writes the list with the
 * socket vsctl itself uses, the capabilities the plugin honours, and the
 * plugin options given.  The file is written to a temporary name and
 * renamed, so a runtime never reads half of it.  Its name,
 * 50-vswitch-NAME.conflist, sorts before Debian's 87-podman-bridge so that
 * `ctr run --cni`, which takes the first list, takes it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "vsctl.h"

/* The conflist for NETWORK (vswitch) as CNI network NAME. */
static struct json_object *vsctl_cni_conflist(struct vsctl_ctx *ctx, const char *network,
					      const char *name, const char *sock)
{
	struct json_object *l = json_object_new_object(), *p = json_object_new_object();
	struct json_object *caps = json_object_new_object(), *plugins = json_object_new_array();
	const char *att = vsctl_jstr(ctx->local, "attach", NULL);
	static const char *const cap_names[] = { "portMappings", "ips", "mac", "aliases" };
	size_t i;

	json_object_object_add(l, "cniVersion",
			       json_object_new_string(vsctl_jstr(ctx->local, "cni_version", "1.0.0")));
	json_object_object_add(l, "name", json_object_new_string(name));
	json_object_object_add(p, "type", json_object_new_string("vswitch"));
	json_object_object_add(p, "network", json_object_new_string(network));
	json_object_object_add(p, "socket", json_object_new_string(sock));
	if (att)
		json_object_object_add(p, "attach", json_object_new_string(att));
	if (vsctl_jint(ctx->local, "name_from_id", 0))
		json_object_object_add(p, "nameFromContainerID", json_object_new_boolean(1));
	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		json_object_object_add(caps, cap_names[i], json_object_new_boolean(1));
	json_object_object_add(p, "capabilities", caps);
	json_object_array_add(plugins, p);
	json_object_object_add(l, "plugins", plugins);
	return l;
}

/* Write TEXT to DIR/50-vswitch-NAME.conflist through a temporary file. */
static int vsctl_cni_write(struct vsctl_ctx *ctx, const char *dir, const char *name,
			   const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/50-vswitch-%s.conflist", dir, name) >= (int)sizeof(path)) {
		vsctl_error(ctx, "path too long: %s", dir);
		return VSCTL_EXIT_ERROR;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", text) < 0 || fflush(f) || fsync(fileno(f))) {
		vsctl_error(ctx, "cannot write %s: %s", tmp, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
		return VSCTL_EXIT_ERROR;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		vsctl_error(ctx, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return VSCTL_EXIT_ERROR;
	}
	fprintf(ctx->out, "%s\n", path);
	return VSCTL_EXIT_OK;
}

/**
 * vsctl_cni_conf() - `vsctl cni conf [--dir DIR] ... NETWORK`
 * @ctx:	invocation: --dir, --name, --cni-version, --attach,
 *		--name-from-id in ctx->local
 * @cmd:	the command row
 * @args:	{"network": NETWORK}
 *
 * Return: exit status.
 */
int vsctl_cni_conf(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd, struct json_object *args)
{
	const char *network = vsctl_jstr(args, "network", "");
	const char *name = vsctl_jstr(ctx->local, "name", network);
	const char *dir = vsctl_jstr(ctx->local, "dir", NULL);
	struct json_object *q = json_object_new_object(), *names = json_object_new_array(), *res;
	struct json_object *list;
	char sock[PATH_MAX];
	int rc;

	if (!*name || strlen(name) > 63 || !ctl_name_chars_ok(name)) {
		vsctl_usage(ctx, cmd->row, "--name: \"%s\" is not a CNI network name", name);
		json_object_put(q);
		json_object_put(names);
		return VSCTL_EXIT_USAGE;
	}
	/* the network must exist: vswitchd says so, or says why not */
	json_object_array_add(names, json_object_new_string(network));
	json_object_object_add(q, "names", names);
	rc = vsctl_transact(ctx, "network.inspect", q, &res);
	json_object_put(q);
	if (rc)
		return rc;
	json_object_put(res);
	/* the plugin runs with another working directory: an absolute path */
	if (ctx->socket_path[0] != '/' && realpath(ctx->socket_path, sock))
		;
	else
		snprintf(sock, sizeof(sock), "%s", ctx->socket_path);
	list = vsctl_cni_conflist(ctx, network, name, sock);
	if (dir)
		rc = vsctl_cni_write(ctx, dir, name, json_object_to_json_string_ext(list,
				     JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		vsctl_json_print(ctx->out, list);
	json_object_put(list);
	return rc;
}
