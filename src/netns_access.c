/* netns_access.c - which namespaces a non-root member of the control group
 * may have vswitchd change.
 *
 * DOC: Theory of Operation
 *
 * vswitchd runs as root and acts in a container's namespace on a client's
 * word: it makes an interface there, sets its address and the default
 * route, and writes /etc/netns/NAME/resolv.conf.  Root may name any
 * namespace.  A member of the control group (SO_PEERCRED, control_auth.c)
 * may name only a namespace that is theirs, or the daemon would be their
 * way to take over the host's default route and then capture its traffic
 * (audit finding 9).  "Theirs" is decided from the kernel, never from the
 * name the client gives:
 *
 *  - never the host's namespace (that of pid 1) or vswitchd's own;
 *  - a namespace whose owning user namespace belongs to the member (one
 *    they made with unshare -Urn, or rootless tooling made for them); or
 *  - for pid:N and /proc/N/ns/net, a namespace a process of the member's
 *    is in (owner of /proc/N): root put the member's process there, or
 *    the member made it.
 *
 * The reference itself must be an `ip netns` name, pid:N or
 * /proc/N/ns/net: a member gets no arbitrary path opened by root at all
 * (finding 8; netns_open() never blocks and never opens a device either,
 * and says "not a namespace (or does not exist)" alike, so nothing can be
 * learnt about files the member cannot see).  The same checks run for an
 * existing container the member connects to another network or
 * disconnects: it changes that namespace too.
 *
 * Limits: a name made with `ip netns add` by root belongs to root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "netns.h"

/* pid N of "pid:N" or "/proc/N/ns/net"; -1 for any other form. */
static long netns_access_pid(const char *ref)
{
	const char *digits;
	char *end;
	long pid;

	if (!strncmp(ref, "pid:", 4))
		digits = ref + 4;
	else if (!strncmp(ref, "/proc/", 6))
		digits = ref + 6;
	else
		return -1;
	if (*digits < '0' || *digits > '9')
		return -1;
	errno = 0;
	pid = strtol(digits, &end, 10);
	if (errno || pid <= 0 || pid > INT_MAX)
		return -1;
	if (ref[0] == '/' ? strcmp(end, "/ns/net") : *end)
		return -1;
	return pid;
}

/**
 * netns_access_ref() - May UID name a namespace with REF at all?
 * @uid:	the client's uid (SO_PEERCRED)
 * @ref:	the reference as given
 * @err:	the refusal, one line
 * @errlen:	size of @err
 *
 * Checked before anything is opened.  Return: 0, or -1 with ERR.
 */
int netns_access_ref(uid_t uid, const char *ref, char *err, size_t errlen)
{
	if (uid == 0 || (ref && (netns_ref_is_name(ref) || netns_access_pid(ref) > 0)))
		return 0;
	snprintf(err, errlen, "permission denied: uid %u may name a namespace only as NAME, "
		 "pid:PID or /proc/PID/ns/net", (unsigned)uid);
	return -1;
}

/* Is the namespace behind FD the one at PATH? */
static bool netns_access_same(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The uid that owns the user namespace owning the namespace FD, or -1. */
static long netns_access_owner(int fd)
{
	int ufd = ioctl(fd, NS_GET_USERNS);
	/* set before the ioctl fills it: NS_GET_OWNER_UID is _IO() with no
	 * size, so memcheck cannot see the kernel write it */
	uid_t owner = (uid_t)-1;
	long r = -1;

	if (ufd < 0)
		return -1;
	if (ioctl(ufd, NS_GET_OWNER_UID, &owner) == 0)
		r = (long)owner;
	close(ufd);
	return r;
}

/* Is process PID (of REF) the member's, and still in the namespace FD? */
static bool netns_access_process(uid_t uid, long pid, int fd)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%ld", pid);
	if (stat(path, &st) < 0 || st.st_uid != uid)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	return netns_access_same(fd, path);
}

/**
 * netns_access_ns() - May UID have vswitchd change the namespace FD?
 * @uid:	the client's uid
 * @ref:	the reference FD was opened from
 * @fd:		the namespace, open
 * @err:	the refusal, one line
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with ERR (see the top of this file for the rules).
 */
int netns_access_ns(uid_t uid, const char *ref, int fd, char *err, size_t errlen)
{
	long pid;

	if (uid == 0)
		return 0;
	if (fd < 0) {
		snprintf(err, errlen, "permission denied: the namespace of %s cannot be checked",
			 ref ? ref : "");
		return -1;
	}
	if (netns_access_same(fd, "/proc/1/ns/net") || netns_access_same(fd, "/proc/self/ns/net")) {
		snprintf(err, errlen, "permission denied: %s is the host's namespace (only root may use it)",
			 ref ? ref : "");
		return -1;
	}
	if (netns_access_owner(fd) == (long)uid)
		return 0;
	pid = ref ? netns_access_pid(ref) : -1;
	if (pid > 0 && netns_access_process(uid, pid, fd))
		return 0;
	snprintf(err, errlen, "permission denied: namespace %s is not uid %u's (only root may use it)",
		 ref ? ref : "", (unsigned)uid);
	return -1;
}
