/* control_auth.c - who may talk to vswitchd: the socket's group and the peer check.
 *
 * Theory of operation.  The control socket can change every container's
 * networking, so it is guarded twice:
 *
 *  - the file: owner root, group `vswitch` (--ctl-group), mode 0660, as
 *    docker.sock is.  vswitchd running as root looks the group up at
 *    start and, when it is missing, creates it as a system group by
 *    running groupadd(8) (fork and exec with a fixed path and a clean
 *    environment; no shell), because editing /etc/group by hand would
 *    skip its lock and /etc/gshadow.  A groupadd that fails stops the
 *    start with its reason: a socket nobody but root can use would look
 *    like it works and then refuse everyone.
 *  - the peer: on every accepted connection SO_PEERCRED gives the uid and
 *    gid the client had when it connected, and SO_PEERGROUPS its
 *    supplementary groups.  Root, vswitchd's own user and members of the
 *    socket's group get in; anyone else gets one error line.  The file
 *    mode already keeps others out; this check still holds when the mode
 *    does not, e.g. a socket fd passed to another process or namespace,
 *    or a socket path whose mode someone loosened.
 *
 * A vswitchd not running as root cannot create groups or give the socket
 * away: it uses the group if it exists and it may chgrp to it, else its
 * own group, and says so in the log.
 */
#include <errno.h>
#include <grp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "control.h"
#include "log.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define CTL_GROUP_MAX 32        /* groupadd's own limit on a name */
#define CTL_PEER_GROUPS 256

static char ctl_group[CTL_GROUP_MAX + 1] = "vswitch";
static gid_t ctl_gid;
static bool ctl_have_group;     /* ctl_gid names the group: chown to it */
static bool ctl_same_user;      /* rootless: our own user only */

/**
 * control_auth_same_user() - Admit only vswitchd's own user (rootless)
 *
 * A rootless vswitchd has no group to give away: inside its user
 * namespace every other host user's uid reads as the overflow uid, and a
 * gid that maps to our own group is not a grant anyone made.
 */
void control_auth_same_user(void)
{
	ctl_same_user = true;
}

/**
 * control_group_name_ok() - Is NAME a group name we may hand to groupadd?
 * @name:	the --ctl-group value
 *
 * A letter or '_' first (never '-': it would read as an option), then
 * letters, digits, '_', '-' or '.', at most 32 characters.
 *
 * Return: true if so.
 */
bool control_group_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > CTL_GROUP_MAX ||
	    !(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z') ||
	      (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	return ctl_name_chars_ok(name);
}

const char *control_auth_group(void)
{
	return ctl_group;
}

/* Not root: fall back to our own group, and name it in refusals. */
static void ctl_use_own_group(void)
{
	struct group *gr = getgrgid(getegid());

	ctl_gid = getegid();
	if (gr)
		snprintf(ctl_group, sizeof(ctl_group), "%s", gr->gr_name);
	else
		snprintf(ctl_group, sizeof(ctl_group), "%u", (unsigned)ctl_gid);
}

/* Run `groupadd --system NAME`; its exit status, or -1 with errno. */
static int ctl_groupadd_run(const char *name)
{
	static const char *const paths[] = { "/usr/sbin/groupadd", "/sbin/groupadd" };
	char *argv[] = { "groupadd", "--system", (char *)name, NULL };
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	int status, rc = ENOENT;
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && rc == ENOENT; i++)
		rc = posix_spawn(&pid, paths[i], NULL, NULL, argv, envp);
	if (rc) {
		errno = rc;
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Create NAME as a system group.  Another vswitchd starting at the same
 * moment may win the race (groupadd exits 9, name in use) or hold
 * /etc/group's lock (exit 10): look again, and retry a few times. */
static int ctl_group_create(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group *gr;
	int attempt, rc = 0;

	for (attempt = 0; attempt < 5; attempt++) {
		log_info("control: group %s does not exist; creating it (groupadd --system %s)",
			 name, name);
		rc = ctl_groupadd_run(name);
		gr = getgrnam(name);
		if (gr) {
			*gid = gr->gr_gid;
			return 0;
		}
		if (rc < 0 || (rc != 9 && rc != 10))
			break;
		usleep(100 * 1000);
	}
	if (rc < 0)
		snprintf(err, errlen, "cannot create group %s: cannot run groupadd: %s "
			 "(create the group or choose another with --ctl-group)", name, strerror(errno));
	else
		snprintf(err, errlen, "cannot create group %s: groupadd exited with status %d "
			 "(create the group or choose another with --ctl-group)", name, rc);
	return -1;
}

/**
 * control_auth_init() - Find (as root: or create) the socket's group
 * @group:	its name (--ctl-group)
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set (only as root: a group that cannot be
 * created).
 */
int control_auth_init(const char *group, char *err, size_t errlen)
{
	struct group *gr;

	if (!control_group_name_ok(group)) {
		snprintf(err, errlen, "invalid group name \"%s\"", group);
		return -1;
	}
	snprintf(ctl_group, sizeof(ctl_group), "%s", group);
	if (ctl_same_user) {
		ctl_have_group = false;
		ctl_use_own_group();
		return 0;
	}
	gr = getgrnam(group);
	ctl_have_group = true;
	if (gr) {
		ctl_gid = gr->gr_gid;
		return 0;
	}
	if (geteuid() == 0)
		return ctl_group_create(group, &ctl_gid, err, errlen);
	log_info("control: group %s does not exist and only root may create it; "
		 "the socket keeps group %u", group, (unsigned)getegid());
	ctl_have_group = false;
	ctl_use_own_group();
	return 0;
}

/**
 * control_auth_socket() - Give the socket file its owner, group and mode
 * @path:	the bound, not yet listening, socket
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Done before listen(), so no client can connect while the file still
 * has the mode bind() gave it.
 *
 * Return: 0, or -1 with @err set.
 */
int control_auth_socket(const char *path, char *err, size_t errlen)
{
	uid_t owner = geteuid() == 0 ? 0 : (uid_t)-1;

	if (ctl_have_group && chown(path, owner, ctl_gid)) {
		if (geteuid() == 0) {
			snprintf(err, errlen, "cannot give %s to group %s: %s", path, ctl_group,
				 strerror(errno));
			return -1;
		}
		log_info("control: cannot give %s to group %s (%s); it keeps group %u",
			 path, ctl_group, strerror(errno), (unsigned)getegid());
		ctl_use_own_group();
	}
	if (chmod(path, 0660)) {
		snprintf(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * control_auth_allowed() - The decision, apart from the socket calls
 * @uid:	the peer's uid
 * @gid:	its primary gid
 * @groups:	its supplementary groups
 * @n_groups:	how many
 * @self:	vswitchd's own euid
 * @sock_gid:	the socket's group
 *
 * Return: true for root, vswitchd's own user and members of @sock_gid.
 */
bool control_auth_allowed(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
			  uid_t self, gid_t sock_gid)
{
	size_t i;

	if (uid == 0 || uid == self || gid == sock_gid)
		return true;
	for (i = 0; i < n_groups; i++)
		if (groups[i] == sock_gid)
			return true;
	return false;
}

/**
 * control_auth_peer() - May the client on FD use the switch?
 * @fd:		an accepted connection
 * @uid:	the peer's uid, when allowed
 * @why:	the refusal, one line, on failure
 * @whylen:	size of @why
 *
 * Return: 0 if allowed, -1 if not (or its credentials cannot be read).
 */
/* The peer's supplementary groups into *GROUPS (BUF, or a malloc'd array
 * the caller frees when it is not BUF); how many.  None on kernels before
 * 4.13: only the primary group counts there. */
static size_t ctl_peer_groups(int fd, gid_t *buf, size_t max, gid_t **groups)
{
	socklen_t len = (socklen_t)(max * sizeof(gid_t));

	*groups = buf;
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len))
		return len / sizeof(gid_t);
	/* ERANGE: more than MAX groups; LEN now says how many bytes */
	if (errno != ERANGE)
		return 0;
	*groups = malloc(len);
	if (*groups && !getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, *groups, &len))
		return len / sizeof(gid_t);
	free(*groups);
	*groups = buf;
	return 0;
}

int control_auth_peer(int fd, uid_t *uid, char *why, size_t whylen)
{
	gid_t buf[CTL_PEER_GROUPS], *groups;
	socklen_t len = sizeof(struct ucred);
	struct ucred uc;
	bool ok;
	size_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) || len != sizeof(uc)) {
		snprintf(why, whylen, "permission denied: cannot read the peer's credentials");
		return -1;
	}
	if (ctl_same_user) {
		/* Inside our user namespace the user reads as root, and root of
		 * it is what they are: the kernel bounds what that reaches. */
		*uid = uc.uid;
		if (uc.uid == geteuid())
			return 0;
		snprintf(why, whylen, "permission denied: this rootless vswitchd admits only "
			 "the user who started it");
		return -1;
	}
	n = ctl_peer_groups(fd, buf, CTL_PEER_GROUPS, &groups);
	ok = control_auth_allowed(uc.uid, uc.gid, groups, n, geteuid(), ctl_gid);
	if (groups != buf)
		free(groups);
	*uid = uc.uid;
	if (ok)
		return 0;
	snprintf(why, whylen, "permission denied: uid %u is not root or in group %s",
		 (unsigned)uc.uid, ctl_group);
	return -1;
}
