/* vsctl_netns.c - `vsctl netns add|exec|ls|rm`: container namespaces vswitchd can reach.
 *
 * Theory of Operation
 *
 * These commands run in vsctl, in the user's own namespaces, as `ip
 * netns` does; vswitchd only resolves the names (`network connect --netns
 * NAME`).  There are two places a name lives:
 *
 * - root: /run/netns/NAME, a bind mount of the namespace made exactly as
 *   `ip netns add` makes it (the directory a shared mount, so that other
 *   mount namespaces see new names), so the two tools see the same names;
 * - rootless (not root): RUN_DIR/netns/NAME, a symlink to
 *   /proc/PID/ns/net of a holder process that sits in the namespace.  An
 *   unprivileged user cannot mount where the host sees it, and a rootless
 *   vswitchd can enter only namespaces owned by its user namespace, so
 *   vsctl first joins the user namespace of vswitchd's keeper (which the
 *   user owns, so may join) and starts the holder there (rootless.c).
 *   The symlink's target is a path any tool can open: nsenter, podman's
 *   `--network ns:PATH`, vswitchd.
 *
 * `netns exec` joins the same user namespace (rootless) and the network
 * namespace, then runs the command: inside, the user is root over those
 * namespaces and nothing else, as with `podman unshare`.  It also binds
 * the name's resolv.conf (vswitchd writes it for a container on a network
 * with DNS: /etc/netns/NAME as root, RUN_DIR/etc-netns/NAME rootless) over
 * /etc/resolv.conf in a private mount namespace, as `ip netns exec` does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include "control.h"
#include "ctl_schema.h"
#include "rootless.h"
#include "vsctl.h"

#define VSCTL_NETNS_ROOT_DIR "/run/netns"

struct vsctl_netns {
	bool root;                 /* /run/netns, as ip netns */
	char dir[PATH_MAX - NAME_MAX - 2];
	char run_dir[PATH_MAX - NAME_MAX - 16];
};

static int vsctl_netns_where(struct vsctl_ctx *ctx, struct vsctl_netns *w)
{
	memset(w, 0, sizeof(*w));
	w->root = geteuid() == 0;
	if (w->root) {
		snprintf(w->dir, sizeof(w->dir), VSCTL_NETNS_ROOT_DIR);
		return 0;
	}
	if (rootless_run_dir(w->run_dir, sizeof(w->run_dir)) < 0) {
		vsctl_error(ctx, "$XDG_RUNTIME_DIR is too long");
		return -1;
	}
	snprintf(w->dir, sizeof(w->dir), "%s/netns", w->run_dir);
	return 0;
}

static bool vsctl_netns_name_ok(const char *name)
{
	return *name && strlen(name) < 64 && strcmp(name, ".") && strcmp(name, "..") &&
	       strncmp(name, "pid:", 4) && ctl_name_chars_ok(name);
}

/* The rootless keeper, or -1 after saying that vswitchd is not running. */
static pid_t vsctl_netns_keeper(struct vsctl_ctx *ctx, const struct vsctl_netns *w)
{
	pid_t k = rootless_keeper_find(w->run_dir);

	if (k < 0)
		vsctl_error(ctx, "no rootless vswitchd has run for uid %u (no %s/keeper.pid): "
			    "start `vswitchd --rootless` first", (unsigned)geteuid(), w->run_dir);
	return k;
}

/* The holder of a rootless NAME, from its symlink; -1 if it is gone. */
static pid_t vsctl_netns_holder(const char *path)
{
	char target[64];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	int pid;

	if (n <= 0)
		return -1;
	target[n] = '\0';
	if (sscanf(target, "/proc/%d/ns/net", &pid) != 1 ||
	    !rootless_pid_is((pid_t)pid, ROOTLESS_HOLDER_COMM))
		return -1;
	return (pid_t)pid;
}

/* ip netns add's recipe: the directory a shared mount point (bound onto
 * itself first if it is not one), so names propagate to other mount
 * namespaces; then the namespace bound onto an empty file. */
static int vsctl_netns_add_root(struct vsctl_ctx *ctx, const char *path)
{
	int fd, status;
	pid_t pid;

	if (mkdir(VSCTL_NETNS_ROOT_DIR, 0755) < 0 && errno != EEXIST)
		goto fail;
	if (mount("", VSCTL_NETNS_ROOT_DIR, "none", MS_SHARED | MS_REC, NULL) < 0 &&
	    (errno != EINVAL ||
	     mount(VSCTL_NETNS_ROOT_DIR, VSCTL_NETNS_ROOT_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
	     mount("", VSCTL_NETNS_ROOT_DIR, "none", MS_SHARED | MS_REC, NULL) < 0))
		goto fail;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	close(fd);
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) < 0 || rootless_lo_up() < 0 ||
		      mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0 ? errno : 0);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		errno = pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : errno;
		vsctl_error(ctx, "cannot make namespace %s: %s", path, strerror(errno));
		unlink(path);
		return VSCTL_EXIT_ERROR;
	}
	return 0;
fail:
	vsctl_error(ctx, "cannot make namespace %s: %s", path,
		    errno == EEXIST ? "it exists already" : strerror(errno));
	return VSCTL_EXIT_ERROR;
}

static int vsctl_netns_add_rootless(struct vsctl_ctx *ctx, const struct vsctl_netns *w,
				    const char *path)
{
	char err[512], target[64];
	struct stat st;
	pid_t k, h;

	k = vsctl_netns_keeper(ctx, w);
	if (k < 0)
		return VSCTL_EXIT_ERROR;
	if (mkdir(w->dir, 0700) < 0 && errno != EEXIST) {
		vsctl_error(ctx, "cannot create %s: %s", w->dir, strerror(errno));
		return VSCTL_EXIT_ERROR;
	}
	if (!lstat(path, &st)) {
		if (vsctl_netns_holder(path) > 0) {
			vsctl_error(ctx, "namespace %s exists already", path);
			return VSCTL_EXIT_ERROR;
		}
		unlink(path);    /* its holder is gone (a reboot, a kill) */
	}
	if (rootless_join_userns(k, err, sizeof(err)) < 0 ||
	    (h = rootless_holder_spawn(err, sizeof(err))) < 0) {
		vsctl_error(ctx, "%s", err);
		return VSCTL_EXIT_ERROR;
	}
	snprintf(target, sizeof(target), "/proc/%d/ns/net", (int)h);
	if (symlink(target, path) < 0) {
		vsctl_error(ctx, "cannot create %s: %s", path, strerror(errno));
		kill(h, SIGTERM);
		return VSCTL_EXIT_ERROR;
	}
	return 0;
}

static const char *vsctl_netns_name(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				    const char *name, const struct vsctl_netns *w,
				    char *path, size_t len)
{
	if (!vsctl_netns_name_ok(name)) {
		vsctl_usage(ctx, cmd->row, "\"%s\" is not a namespace name (letters, digits, "
			    "_ - ., at most 63)", name);
		return NULL;
	}
	snprintf(path, len, "%s/%s", w->dir, name);
	return path;
}

int vsctl_netns_add(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			   struct json_object *args)
{
	char path[PATH_MAX];
	struct vsctl_netns w;

	if (vsctl_netns_where(ctx, &w) < 0)
		return VSCTL_EXIT_ERROR;
	if (!vsctl_netns_name(ctx, cmd, vsctl_jstr(args, "name", ""), &w, path, sizeof(path)))
		return VSCTL_EXIT_USAGE;
	return w.root ? vsctl_netns_add_root(ctx, path) : vsctl_netns_add_rootless(ctx, &w, path);
}

/* A private mount namespace where ETC/NAME/resolv.conf is
 * /etc/resolv.conf, as `ip netns exec` gives with /etc/netns (rootless:
 * RUN_DIR/etc-netns, where vswitchd writes it).  Missing file: nothing. */
static void vsctl_netns_exec_etc(const char *etc, const char *name)
{
	char src[PATH_MAX];

	snprintf(src, sizeof(src), "%s/%s/resolv.conf", etc, name);
	if (access(src, R_OK) < 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
		return;
	if (mount(src, "/etc/resolv.conf", "none", MS_BIND, NULL) < 0)
		fprintf(stderr, "vsctl: warning: cannot bind %s: %s\n", src, strerror(errno));
}

static int vsctl_netns_exec_argv(struct json_object *arr, char **argv, size_t max)
{
	size_t i, n = arr ? json_object_array_length(arr) : 0;

	if (!n || n >= max)
		return -1;
	for (i = 0; i < n; i++)
		argv[i] = (char *)json_object_get_string(json_object_array_get_idx(arr, i));
	argv[n] = NULL;
	return 0;
}

int vsctl_netns_exec(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			    struct json_object *args)
{
	char path[PATH_MAX], err[512], *argv[256];
	struct json_object *arr = NULL;
	struct vsctl_netns w;
	pid_t k = -1;
	int fd;

	json_object_object_get_ex(args, "argv", &arr);
	if (vsctl_netns_where(ctx, &w) < 0)
		return VSCTL_EXIT_ERROR;
	if (!vsctl_netns_name(ctx, cmd, vsctl_jstr(args, "name", ""), &w, path, sizeof(path)))
		return VSCTL_EXIT_USAGE;
	if (vsctl_netns_exec_argv(arr, argv, sizeof(argv) / sizeof(argv[0])) < 0) {
		vsctl_usage(ctx, cmd->row, "a command of at most 255 words is needed");
		return VSCTL_EXIT_USAGE;
	}
	if (!w.root && (k = vsctl_netns_keeper(ctx, &w)) < 0)
		return VSCTL_EXIT_ERROR;
	if (!w.root && vsctl_netns_holder(path) < 0) {
		vsctl_error(ctx, "no namespace %s (vsctl netns ls lists them)", path);
		return VSCTL_EXIT_ERROR;
	}
	if (!w.root && rootless_join_userns(k, err, sizeof(err)) < 0) {
		vsctl_error(ctx, "%s", err);
		return VSCTL_EXIT_ERROR;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		vsctl_error(ctx, "cannot enter namespace %s: %s", path, strerror(errno));
		return VSCTL_EXIT_ERROR;
	}
	close(fd);
	if (w.root)
		vsctl_netns_exec_etc("/etc/netns", vsctl_jstr(args, "name", ""));
	else if (snprintf(path, sizeof(path), "%s/etc-netns", w.run_dir) < (int)sizeof(path))
		vsctl_netns_exec_etc(path, vsctl_jstr(args, "name", ""));
	fflush(NULL);
	execvp(argv[0], argv);
	vsctl_error(ctx, "cannot run %s: %s", argv[0], strerror(errno));
	return VSCTL_EXIT_ERROR;
}

/* One row of `netns ls`: its name, the path tools open, and whether it
 * is alive (a rootless holder that died leaves a dangling name). */
static struct json_object *vsctl_netns_entry(const struct vsctl_netns *w, const char *name)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX], target[64] = "";
	pid_t h = 0;

	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	if (!w->root && (h = vsctl_netns_holder(path)) > 0)
		snprintf(target, sizeof(target), "/proc/%d/ns/net", (int)h);
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "Path", json_object_new_string(w->root ? path : target));
	json_object_object_add(o, "Holder", json_object_new_int(h > 0 ? h : 0));
	json_object_object_add(o, "Alive", json_object_new_boolean(w->root || h > 0));
	return o;
}

static struct json_object *vsctl_netns_list(const struct vsctl_netns *w)
{
	struct json_object *arr = json_object_new_array();
	struct dirent *d;
	DIR *dir = opendir(w->dir);

	if (!dir)
		return arr;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			json_object_array_add(arr, vsctl_netns_entry(w, d->d_name));
	closedir(dir);
	return arr;
}

int vsctl_netns_ls(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			  struct json_object *args)
{
	static const char *const hdr[] = { "NAME", "PATH" };
	struct json_object *arr;
	struct vsctl_table *t;
	struct vsctl_netns w;
	size_t i;

	(void)cmd;
	(void)args;
	if (vsctl_netns_where(ctx, &w) < 0)
		return VSCTL_EXIT_ERROR;
	arr = vsctl_netns_list(&w);
	/* json: one object a line, as vsctl's other listings (Docker's
	 * --format json); raw: the array as it is */
	if (ctx->format == VSCTL_FMT_JSON || ctx->format == VSCTL_FMT_RAW) {
		for (i = 0; ctx->format == VSCTL_FMT_JSON && i < json_object_array_length(arr); i++)
			fprintf(ctx->out, "%s\n", json_object_to_json_string_ext(
				json_object_array_get_idx(arr, i),
				JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		if (ctx->format == VSCTL_FMT_RAW)
			vsctl_json_print(ctx->out, arr);
		json_object_put(arr);
		return 0;
	}
	t = vsctl_table_new(2, hdr);
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *path = vsctl_jstr(o, "Path", "");
		const char *cells[] = { vsctl_jstr(o, "Name", ""), *path ? path : "(holder gone)" };

		if (vsctl_jint(ctx->local, "quiet", 0))
			fprintf(ctx->out, "%s\n", cells[0]);
		else
			vsctl_table_add(t, cells);
	}
	if (!vsctl_jint(ctx->local, "quiet", 0))
		vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
	json_object_put(arr);
	return 0;
}

static int vsctl_netns_rm_one(struct vsctl_ctx *ctx, const struct vsctl_netns *w,
			      const char *path)
{
	struct stat st;
	pid_t h;

	if (lstat(path, &st) < 0) {
		vsctl_error(ctx, "no namespace %s", path);
		return VSCTL_EXIT_ERROR;
	}
	if (w->root) {
		if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL) {
			vsctl_error(ctx, "cannot unmount %s: %s", path, strerror(errno));
			return VSCTL_EXIT_ERROR;
		}
	} else if ((h = vsctl_netns_holder(path)) > 0 && kill(h, SIGTERM) < 0) {
		vsctl_error(ctx, "cannot stop the holder of %s (pid %d): %s", path, (int)h,
			    strerror(errno));
		return VSCTL_EXIT_ERROR;
	}
	if (unlink(path) < 0) {
		vsctl_error(ctx, "cannot remove %s: %s", path, strerror(errno));
		return VSCTL_EXIT_ERROR;
	}
	return 0;
}

int vsctl_netns_rm(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			  struct json_object *args)
{
	struct json_object *names = NULL;
	char path[PATH_MAX];
	struct vsctl_netns w;
	int rc = 0;
	size_t i;

	json_object_object_get_ex(args, "names", &names);
	if (vsctl_netns_where(ctx, &w) < 0)
		return VSCTL_EXIT_ERROR;
	for (i = 0; names && i < json_object_array_length(names); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));

		if (!vsctl_netns_name(ctx, cmd, name, &w, path, sizeof(path)))
			return VSCTL_EXIT_USAGE;
	}
	for (i = 0; names && i < json_object_array_length(names); i++) {
		vsctl_netns_name(ctx, cmd, json_object_get_string(json_object_array_get_idx(names, i)),
				 &w, path, sizeof(path));
		if (vsctl_netns_rm_one(ctx, &w, path))
			rc = VSCTL_EXIT_ERROR;
	}
	return rc;
}
