/* rootless.c - a user namespace, a switch namespace, and who holds them.
 *
 * Theory of Operation
 *
 * The kernel rules that shape this file (research/runtimes.md §5.3):
 * making veths, TAPs and AF_PACKET sockets and entering a network
 * namespace need CAP_NET_ADMIN / CAP_SYS_ADMIN over the namespace's owning
 * user namespace; the creator of a user namespace (same euid, in the
 * parent) has every capability in it; and a process that has joined a
 * child user namespace can never go back to the host's network namespace.
 *
 * So a rootless vswitchd works inside a user namespace that the user owns
 * and in a network namespace owned by it (the "switch namespace"), where
 * the veth host ends, the uplink and the host leg live.  Both namespaces
 * are made by a *keeper*: a tiny process that unshares them, maps our uid
 * to root (a one-uid map needs no /etc/subuid), and then only waits.
 * Why a separate process and not vswitchd itself: a kill -9 of vswitchd
 * must not destroy the switch namespace (every veth pair in it would go,
 * and with them the containers' interfaces).  The keeper is double-forked
 * (not our child: it outlives us) and found again at the next start
 * through RUN_DIR/keeper.pid, checked by name and owner.
 *
 * vswitchd joins the keeper's user namespace first and its network
 * namespace later (rootless_enter_net): between the two it is still in
 * the host's network namespace, which is where the DNS forwarder's
 * upstream sockets are made (they keep the namespace they were made in).
 *
 * Container namespaces (`vsctl netns add`) are held the same way, by one
 * holder process each, in the keeper's user namespace; the name is a
 * symlink RUN_DIR/netns/NAME -> /proc/PID/ns/net, a path that every tool
 * (nsenter, podman --network ns:PATH, vswitchd itself) can open.
 *
 * Limits: the holders and the keeper are plain processes: a reboot or a
 * logout that clears $XDG_RUNTIME_DIR ends them, and the state's
 * endpoints are then dropped at the next start, as for a root vswitchd
 * whose namespaces were deleted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log.h"
#include "rootless.h"

static bool rl_active;
static pid_t rl_keeper;
static struct rootless_host rl_host = { .port_start = 1024, .tun_ok = true, .ping_ok = true };

bool rootless_active(void)
{
	return rl_active;
}

const struct rootless_host *rootless_host(void)
{
	return &rl_host;
}

pid_t rootless_keeper_pid(void)
{
	return rl_keeper;
}

int rootless_run_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (xdg && *xdg)
		n = snprintf(buf, len, "%s/vswitch", xdg);
	else
		n = snprintf(buf, len, "/run/user/%u/vswitch", (unsigned)geteuid());
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* rl_read_small() - The first line of a small file into BUF; 0 or -1. */
static int rl_read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

bool rootless_pid_is(pid_t pid, const char *comm)
{
	char path[64], buf[64];
	struct stat st;

	if (pid <= 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (rl_read_small(path, buf, sizeof(buf)) < 0 || strcmp(buf, comm))
		return false;
	/* /proc/PID is owned by the process's (mapped) uid: ours. */
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) == 0 && st.st_uid == geteuid();
}

pid_t rootless_keeper_find(const char *run_dir)
{
	char path[PATH_MAX], buf[32];
	long pid;

	if (snprintf(path, sizeof(path), "%s/keeper.pid", run_dir) >= (int)sizeof(path) ||
	    rl_read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || pid > INT_MAX || !rootless_pid_is((pid_t)pid, ROOTLESS_KEEPER_COMM))
		return -1;
	return (pid_t)pid;
}

bool rootless_ping_range_has(const char *range, unsigned long gid)
{
	unsigned long lo, hi;

	if (sscanf(range, "%lu %lu", &lo, &hi) != 2)
		return false;
	return lo <= gid && gid <= hi;
}

void rootless_host_probe(struct rootless_host *h)
{
	char buf[64];
	int fd;

	h->port_start = 1024;
	if (rl_read_small("/proc/sys/net/ipv4/ip_unprivileged_port_start", buf, sizeof(buf)) == 0)
		h->port_start = (unsigned int)strtoul(buf, NULL, 10);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	h->tun_ok = fd >= 0;
	if (fd >= 0)
		close(fd);
	h->ping_ok = rl_read_small("/proc/sys/net/ipv4/ping_group_range", buf, sizeof(buf)) == 0 &&
		     rootless_ping_range_has(buf, (unsigned long)getegid());
}

static int rl_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* rl_map_self() - Map our uid and gid to root in the user namespace we
 * just made: the one mapping an unprivileged process may write for itself
 * (setgroups must be denied first, user_namespaces(7)). */
static int rl_map_self(uid_t uid, gid_t gid)
{
	char line[64];

	if (rl_write_file("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(line, sizeof(line), "0 %u 1", (unsigned)uid);
	if (rl_write_file("/proc/self/uid_map", line))
		return -1;
	snprintf(line, sizeof(line), "0 %u 1", (unsigned)gid);
	return rl_write_file("/proc/self/gid_map", line);
}

/* rootless_lo_up() - Bring lo up in the current network namespace. */
int rootless_lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return r;
}

/* rl_report() - Tell the waiting parent "P<pid>" or "E<reason>". */
static void rl_report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rl_report(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = write(fd, buf, strlen(buf));
	(void)n;
}

/* rl_wait_forever() - A holder's life: detached, quiet, waiting. */
static void __attribute__((noreturn)) rl_wait_forever(const char *comm)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	prctl(PR_SET_NAME, comm, 0, 0, 0);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	/* Nothing of vswitchd's (a --detach pipe, a log file) stays open in a
	 * process that outlives it. */
	close_range(3, ~0U, 0);
	if (chdir("/") < 0)
		_exit(1);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	for (;;)
		pause();
}

static const char rl_userns_fix[] =
	"the host forbids unprivileged user namespaces; allow them with "
	"sysctl user.max_user_namespaces=15000 (and kernel.unprivileged_userns_clone=1 "
	"where that sysctl exists), or run vswitchd as root";

/* rl_keeper_setup() - In the keeper: make (or join) the user namespace,
 * then the switch namespace.  0, or -1 after reporting why. */
static int rl_keeper_setup(int fd, const char *userns_path, uid_t uid, gid_t gid)
{
	int ufd;

	if (userns_path) {
		ufd = open(userns_path, O_RDONLY | O_CLOEXEC);
		if (ufd < 0 || setns(ufd, CLONE_NEWUSER) < 0) {
			rl_report(fd, "E--userns %s: cannot join it: %s (it must be a user namespace "
				  "your uid owns, e.g. /proc/PID/ns/user of podman's pause process)",
				  userns_path, strerror(errno));
			return -1;
		}
		close(ufd);
	} else if (unshare(CLONE_NEWUSER) < 0) {
		rl_report(fd, "Ecannot create a user namespace: %s: %s", strerror(errno),
			  rl_userns_fix);
		return -1;
	} else if (rl_map_self(uid, gid) < 0) {
		rl_report(fd, "Ecannot map uid %u in the new user namespace: %s",
			  (unsigned)uid, strerror(errno));
		return -1;
	}
	if (unshare(CLONE_NEWNET) < 0 || rootless_lo_up() < 0) {
		rl_report(fd, "Ecannot create the switch's network namespace: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* rl_spawn() - Double-fork a process that runs SETUP and then waits
 * forever; its pid, or -1 with ERR.  SETUP reports errors itself. */
static pid_t rl_spawn(int (*setup)(int, const void *), const void *arg, const char *comm,
		      char *err, size_t errlen)
{
	char buf[512];
	int p[2], status;
	ssize_t n;
	pid_t child;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child == 0) {
		close(p[0]);
		setsid();
		if (fork() != 0)
			_exit(0);      /* the grandchild is reparented: not our child */
		if (setup(p[1], arg) < 0)
			_exit(1);
		rl_report(p[1], "P%d", (int)getpid());
		close(p[1]);
		rl_wait_forever(comm);
	}
	close(p[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	if (buf[0] == 'P')
		return (pid_t)strtol(buf + 1, NULL, 10);
	snprintf(err, errlen, "%s", buf[0] == 'E' ? buf + 1 : "the namespace holder died at start");
	return -1;
}

struct rl_keeper_arg {
	const char *userns_path;
	uid_t uid;
	gid_t gid;
};

static int rl_keeper_setup_cb(int fd, const void *arg)
{
	const struct rl_keeper_arg *a = arg;

	return rl_keeper_setup(fd, a->userns_path, a->uid, a->gid);
}

static int rl_holder_setup_cb(int fd, const void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWNET) < 0 || rootless_lo_up() < 0) {
		rl_report(fd, "Ecannot create a network namespace: %s", strerror(errno));
		return -1;
	}
	return 0;
}

pid_t rootless_holder_spawn(char *err, size_t errlen)
{
	return rl_spawn(rl_holder_setup_cb, NULL, ROOTLESS_HOLDER_COMM, err, errlen);
}

/* rl_mkdir() - Make DIR (mode 0700, ours) if it is missing. */
static int rl_mkdir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s (is $XDG_RUNTIME_DIR set and yours?)",
			 dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) < 0 || st.st_uid != geteuid() || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory of yours", dir);
		return -1;
	}
	return 0;
}

/* rl_keeper_start() - A new keeper; records its pid.  0 or -1. */
static int rl_keeper_start(const char *run_dir, const char *userns_path,
			   char *err, size_t errlen)
{
	struct rl_keeper_arg a = { userns_path, geteuid(), getegid() };
	char path[PATH_MAX], line[32];
	FILE *fp;

	rl_keeper = rl_spawn(rl_keeper_setup_cb, &a, ROOTLESS_KEEPER_COMM, err, errlen);
	if (rl_keeper < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/keeper.pid", run_dir);
	snprintf(line, sizeof(line), "%d\n", (int)rl_keeper);
	fp = fopen(path, "w");
	if (!fp || fputs(line, fp) < 0 || fclose(fp) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		kill(rl_keeper, SIGTERM);
		return -1;
	}
	log_info("rootless: new user and switch namespaces, held by pid %d", (int)rl_keeper);
	return 0;
}

int rootless_join_userns(pid_t pid, char *err, size_t errlen)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0) {
		snprintf(err, errlen, "cannot join the user namespace of pid %d: %s",
			 (int)pid, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void rl_warn_host(const struct rootless_host *h)
{
	if (!h->tun_ok)
		log_info("rootless: /dev/net/tun is not accessible to uid %u, containers attach "
			 "with veth + AF_PACKET (for TAP: chmod 0666 /dev/net/tun, Debian's default)",
			 (unsigned)geteuid());
	if (!h->ping_ok)
		log_warn("rootless: gid %u is outside net.ipv4.ping_group_range, so pasta cannot "
			 "forward ICMP echo outside (fix: sysctl -w net.ipv4.ping_group_range=\"0 "
			 "2147483647\")", (unsigned)getegid());
}

int rootless_prepare(const char *run_dir, const char *userns_path,
		     const struct rootless_uplink *up, char *err, size_t errlen)
{
	rootless_host_probe(&rl_host);
	/* The translator's TAP is made by us (port_pasta.c): refuse now, with
	 * the fix as the last line, not later as "cannot open uplink". */
	if (up && !rl_host.tun_ok) {
		snprintf(err, errlen, "--uplink %s: /dev/net/tun is not accessible to uid %u and "
			 "the uplink needs a TAP (fix: chmod 0666 /dev/net/tun, Debian's default)",
			 up->kind, (unsigned)geteuid());
		return -1;
	}
	if (up && up->ports_lo && up->ports_lo < rl_host.port_start) {
		snprintf(err, errlen, "--pasta-ports %u-%u: below net.ipv4.ip_unprivileged_port_start "
			 "(%u): pasta cannot bind them (use ports >= %u)", up->ports_lo, up->ports_hi,
			 rl_host.port_start, rl_host.port_start);
		return -1;
	}
	if (rl_mkdir(run_dir, err, errlen) < 0)
		return -1;
	rl_keeper = rootless_keeper_find(run_dir);
	if (rl_keeper > 0) {
		if (userns_path)
			log_warn("rootless: --userns ignored: the namespaces of keeper pid %d are "
				 "still there (stop it to change user namespace)", (int)rl_keeper);
		log_info("rootless: rejoining the namespaces held by pid %d", (int)rl_keeper);
	} else if (rl_keeper_start(run_dir, userns_path, err, errlen) < 0) {
		return -1;
	}
	rl_warn_host(&rl_host);
	/* The translator's supervisor is forked while we are still wholly in
	 * the host's namespaces: it must stay there. */
	if (up && rootless_uplink_spawn(up, rl_keeper, err, errlen) < 0)
		return -1;
	if (rootless_join_userns(rl_keeper, err, errlen) < 0)
		return -1;
	rl_active = true;
	return 0;
}

int rootless_enter_net(char *err, size_t errlen)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)rl_keeper);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		snprintf(err, errlen, "cannot join the switch namespace of pid %d: %s",
			 (int)rl_keeper, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
