/* rootless_uplink.c - pasta (or slirp4netns) as a rootless vswitchd's way out.
 *
 * Theory of Operation
 *
 * A rootless switch namespace has no route to anything; the host's
 * network is reached through an L2-to-L4 translator that runs in the
 * host's network namespace and owns a TAP inside ours: Debian's pasta
 * (package passt), or slirp4netns when pasta is missing.  The translator
 * must start in the host's namespaces (it opens ordinary host sockets),
 * and vswitchd cannot go back there once it has entered its user
 * namespace, so a *supervisor* is forked at start-up, before that: it
 * stays in the host's namespaces, waits for vswitchd's "go", runs the
 * translator in the foreground, restarts it when it dies (at most once a
 * second), and stops it and itself when vswitchd goes (end of file on
 * their socket pair, or PR_SET_PDEATHSIG).
 *
 * The TAP: vswitchd makes it first, persistent, in the switch namespace
 * (port_pasta.c), then says "go"; the translator attaches to the existing
 * device.  So a restarted translator re-attaches to the same interface and
 * vswitchd's AF_PACKET socket on it never goes stale.  The kernel of the
 * switch namespace holds no address there: only the switch speaks on it,
 * with the uplink address the translator expects of its guest.
 *
 * Published ports: the proxy's listeners (proxy.c) must be in the host's
 * namespace, so vswitchd asks the supervisor for them (rootless_uplink_
 * listen): the supervisor binds the socket there and passes the fd back
 * over the socket pair; vswitchd accepts on it and connects into the
 * switch as the root proxy does.  Adding and removing a port at runtime is
 * opening and closing one fd: the translator is never restarted for it,
 * so connections through it go on.  Why not pasta's own forwarding: its
 * `-t auto` did not follow ports bound in a namespace it joined by path
 * (Debian's 2023-03 pasta), and a fixed `-t LIST` means a restart per
 * change.  The same works for slirp4netns.  Limit: the container sees the
 * proxy's address as the client, not the client's own; except for ports
 * of --pasta-ports, a range pasta binds itself from the start: those come
 * through the TAP with the client's address (DNAT on the uplink address),
 * and the supervisor answers EALREADY so that vswitchd listens for pasta's
 * loopback splice in the switch namespace instead.
 *
 * Fallback: pasta that exits before it ever served the TAP (no ready
 * file) is replaced by slirp4netns, if installed, for good.  slirp4netns
 * says "ready" on a pipe (--ready-fd); the supervisor then writes the
 * ready file pasta writes itself (-P), so vswitchd waits the same way.
 *
 * DNS forwarding: the forwarder makes a socket per query; the switch
 * namespace has no route to the host's resolvers, so those sockets too
 * are made by the supervisor in the host's namespace (op 'S').
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "rootless.h"

#define RL_UP_ARGS 40
/* slirp4netns --ready-fd: a fixed number in the child, whatever the pipe's */
#define RL_UP_READY_FD 3

/* A request on the supervisor's socket pair (SOCK_SEQPACKET: one
 * message each): 'G' go, 'L' bind a listener, 'S' make a socket. */
struct rl_up_req {
	uint8_t op;
	uint8_t proto;
	uint16_t port;             /* host order */
	uint32_t ip;               /* network order */
	int32_t family, type;      /* 'S': a bare socket(family, type, 0) */
};

static int rl_up_sock = -1;        /* vswitchd's end of the pair */
static int rl_up_ask(const struct rl_up_req *q);
static char rl_up_pidfile[sizeof(((struct rootless_uplink *)0)->pidfile)];
static pid_t rl_up_supervisor;
/* --pasta-ports: host ports pasta binds itself (rootless_uplink_listen) */
static uint16_t rl_up_lo, rl_up_hi;

/* A translator's command line (NULL-terminated, strdup'ed). */
struct rl_up_cmd {
	char *argv[RL_UP_ARGS];
};
/* [0] what --uplink asked for, [1] slirp4netns when [0] is pasta and fails */
static struct rl_up_cmd rl_up_cmds[2];

/* rl_up_which() - Is NAME an executable on PATH? */
static bool rl_up_which(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096], *dir, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path && *path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char full[4200];

		snprintf(full, sizeof(full), "%s/%s", dir, name);
		if (access(full, X_OK) == 0)
			return true;
	}
	return false;
}

/**
 * rootless_uplink_kind() - Which translator --uplink KIND will run
 * @kind:	"pasta" (slirp4netns when pasta is missing) or "slirp4netns"
 * @err:	one-line reason on failure, naming the package
 * @errlen:	size of @err
 *
 * Return: "pasta" or "slirp4netns", or NULL.
 */
const char *rootless_uplink_kind(const char *kind, char *err, size_t errlen)
{
	if (!strcmp(kind, "pasta") && rl_up_which("pasta"))
		return "pasta";
	if (rl_up_which("slirp4netns")) {
		if (!strcmp(kind, "pasta"))
			log_warn("--uplink pasta: pasta is not installed, using slirp4netns "
				 "(apt-get install passt for pasta)");
		return "slirp4netns";
	}
	snprintf(err, errlen, "--uplink %s: %s installed (apt-get install passt, or slirp4netns)",
		 kind, !strcmp(kind, "pasta") ? "neither pasta nor slirp4netns is" :
		 "slirp4netns is not");
	return NULL;
}

static void rl_up_add(char **argv, int *n, const char *s)
{
	if (*n < RL_UP_ARGS - 1)
		argv[(*n)++] = strdup(s);
	argv[*n] = NULL;
}

/* rl_up_argv_pasta() - pasta against the keeper's namespaces.  With a
 * port range, pasta binds it on the host itself (-t/-u): connections from
 * other hosts then arrive on the TAP with the client's own address. */
static void rl_up_argv_pasta(const struct rootless_uplink *u, const char *user,
			     const char *net, char **argv)
{
	char pfx[8], ports[16];
	int n = 0;

	snprintf(pfx, sizeof(pfx), "%u", u->prefix);
	if (u->ports_lo)
		snprintf(ports, sizeof(ports), "%u-%u", u->ports_lo, u->ports_hi);
	else
		snprintf(ports, sizeof(ports), "none");
	const char *fixed[] = { "pasta", "--foreground", "--quiet", "--ipv4-only",
		"--no-ndp", "--no-dhcpv6", "--no-ra", "-t", ports, "-u", ports,
		"-T", "none", "-U", "none", "--userns", user, "--netns", net,
		"-I", u->ifname, "-a", u->ip, "-n", pfx, "-g", u->gw, "-P", u->pidfile, NULL };
	for (int i = 0; fixed[i]; i++)
		rl_up_add(argv, &n, fixed[i]);
}

/* rl_up_argv_slirp() - slirp4netns: its network is --cidr (guest .100,
 * gateway .2, which --uplink-ip's defaults are); it says "ready" on fd
 * RL_UP_READY_FD, and the supervisor then writes the ready file that pasta
 * writes itself. */
static void rl_up_argv_slirp(const struct rootless_uplink *u, const char *user,
			     const char *net, char **argv)
{
	char arg[96];
	uint32_t ip = 0, mask = u->prefix ? htonl(~0U << (32 - u->prefix)) : 0;
	int n = 0;

	inet_pton(AF_INET, u->ip, &ip);
	rl_up_add(argv, &n, "slirp4netns");
	rl_up_add(argv, &n, "--netns-type=path");
	snprintf(arg, sizeof(arg), "--userns-path=%s", user);
	rl_up_add(argv, &n, arg);
	ip &= mask;
	inet_ntop(AF_INET, &ip, arg, sizeof(arg));
	snprintf(arg + strlen(arg), sizeof(arg) - strlen(arg), "/%u", u->prefix);
	rl_up_add(argv, &n, "--cidr");
	rl_up_add(argv, &n, arg);
	snprintf(arg, sizeof(arg), "--ready-fd=%d", RL_UP_READY_FD);
	rl_up_add(argv, &n, arg);
	rl_up_add(argv, &n, net);
	rl_up_add(argv, &n, u->ifname);
}

/* rl_up_argv() - The translator's command lines: [0] the one --uplink
 * asked for, [1] slirp4netns as the fallback of pasta (if installed). */
static void rl_up_argv(const struct rootless_uplink *u, pid_t keeper)
{
	char user[64], net[64];

	snprintf(user, sizeof(user), "/proc/%d/ns/user", (int)keeper);
	snprintf(net, sizeof(net), "/proc/%d/ns/net", (int)keeper);
	rl_up_cmds[1].argv[0] = NULL;
	if (strcmp(u->kind, "pasta")) {
		rl_up_argv_slirp(u, user, net, rl_up_cmds[0].argv);
		return;
	}
	rl_up_argv_pasta(u, user, net, rl_up_cmds[0].argv);
	if (rl_up_which("slirp4netns"))
		rl_up_argv_slirp(u, user, net, rl_up_cmds[1].argv);
}

/* rl_null_stdio() - Stdin, stdout (and stderr if ALL) to /dev/null: a
 * detached vswitchd's terminal, or the pipe of whoever waits for its
 * start, must not be held open by a process that outlives the start. */
static void rl_null_stdio(bool all)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	if (all)
		dup2(fd, 2);
	close(fd);
}

/* rl_up_run() - Start the translator, quiet (it logs to syslog, which
 * may not exist, and says so on stderr at every line); its pid, or -1.
 * READY_WR: the write end of the ready pipe, given to slirp4netns as
 * RL_UP_READY_FD (-1 for pasta). */
static pid_t rl_up_run(char **argv, int ready_wr, const sigset_t *old)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	rl_null_stdio(true);
	if (ready_wr >= 0) {
		if (ready_wr != RL_UP_READY_FD)
			dup2(ready_wr, RL_UP_READY_FD);   /* dup2 clears close-on-exec */
		else
			fcntl(RL_UP_READY_FD, F_SETFD, 0);
	}
	sigprocmask(SIG_SETMASK, old, NULL);
	/* vswitchd ignores SIGPIPE; pasta takes an inherited SIG_IGN for a
	 * failure to install its own handlers and exits. */
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	execvp(argv[0], argv);
	log_err("uplink: cannot run %s: %s", argv[0], strerror(errno));
	_exit(127);
}

/* rl_up_bind() - In the host's namespace: a listener for a published
 * port; the fd, or -1 with errno. */
static int rl_up_bind(const struct rl_up_req *q)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = q->ip,
				  .sin_port = htons(q->port) };
	int one = 1, e, fd;

	fd = socket(AF_INET, (q->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (q->proto == IPPROTO_TCP)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (q->proto == IPPROTO_TCP && listen(fd, 128) < 0)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* rl_up_pasta_holds() - Is PORT one that the running pasta binds on the
 * host itself (--pasta-ports)?  Not once slirp4netns replaced pasta. */
static bool rl_up_pasta_holds(int cmd, uint16_t port)
{
	return rl_up_lo && port >= rl_up_lo && port <= rl_up_hi &&
	       !strcmp(rl_up_cmds[cmd].argv[0], "pasta");
}

/* rl_up_answer() - Reply to a request: errno, and the fd.  EALREADY: the
 * port is pasta's on the host, vswitchd listens in the switch namespace. */
static void rl_up_answer(int sock, const struct rl_up_req *q, int cmd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	bool own = q->op == 'L' && rl_up_pasta_holds(cmd, q->port);
	int fd = own ? -1 : q->op == 'L' ? rl_up_bind(q) : socket(q->family, q->type, 0);
	int e = own ? EALREADY : fd < 0 ? errno : 0;
	struct iovec iov = { .iov_base = &e, .iov_len = sizeof(e) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
		log_warn("uplink: cannot answer vswitchd: %s", strerror(errno));
	if (fd >= 0)
		close(fd);      /* vswitchd holds it now: closing it there closes it */
}

/* The supervisor's state: which command runs, its pid, its ready pipe. */
struct rl_up_sv {
	int cmd;                   /* index into rl_up_cmds */
	pid_t child;
	int ready_rd;              /* slirp4netns's ready pipe, or -1 */
	bool go;
	time_t last;
};

/* rl_up_ready_file() - The translator serves the TAP: write the ready
 * file (pasta's pid file; for slirp4netns the supervisor writes it). */
static void rl_up_ready_file(pid_t pid)
{
	char line[32];
	FILE *fp = fopen(rl_up_pidfile, "w");

	snprintf(line, sizeof(line), "%d\n", (int)pid);
	if (!fp || fputs(line, fp) < 0 || fclose(fp) != 0)
		log_warn("uplink: cannot write %s: %s", rl_up_pidfile, strerror(errno));
}

/* rl_up_start() - (Re)start the current command, at most once a second. */
static void rl_up_start(struct rl_up_sv *sv, const sigset_t *old)
{
	char **argv = rl_up_cmds[sv->cmd].argv;
	int p[2] = { -1, -1 };

	if (time(NULL) - sv->last < 1)
		sleep(1);
	sv->last = time(NULL);
	unlink(rl_up_pidfile);     /* written again once it is ready */
	if (!strcmp(argv[0], "slirp4netns") && pipe2(p, O_CLOEXEC) < 0)
		log_warn("uplink: pipe: %s", strerror(errno));
	sv->child = rl_up_run(argv, p[1], old);
	if (p[1] >= 0)
		close(p[1]);
	sv->ready_rd = p[0];
}

/* rl_up_reap() - SIGCHLD: was it the translator?  Then it must restart;
 * pasta that failed before it was ever ready is replaced by slirp4netns
 * (installed, but unusable here: e.g. an AppArmor profile or a kernel
 * it does not support), once and for good. */
static void rl_up_reap(struct rl_up_sv *sv)
{
	const char *name = rl_up_cmds[sv->cmd].argv[0];
	int st, code;

	if (sv->child <= 0 || waitpid(sv->child, &st, WNOHANG) != sv->child)
		return;
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	sv->child = -1;
	if (sv->ready_rd >= 0) {
		close(sv->ready_rd);
		sv->ready_rd = -1;
	}
	if (sv->cmd == 0 && rl_up_cmds[1].argv[0] && access(rl_up_pidfile, F_OK) < 0) {
		log_warn("uplink: %s failed at start (status %d), falling back to slirp4netns",
			 name, code);
		sv->cmd = 1;
		return;
	}
	log_warn("uplink: %s exited (status %d), restarting it", name, code);
}

/* rl_up_ready() - slirp4netns wrote "1" on its ready pipe (or closed it). */
static void rl_up_ready(struct rl_up_sv *sv)
{
	char c = 0;

	if (read(sv->ready_rd, &c, 1) == 1 && c == '1')
		rl_up_ready_file(sv->child);
	close(sv->ready_rd);
	sv->ready_rd = -1;
}

/* rl_up_supervise() - The supervisor's loop: wait for "go", run the
 * translator, restart it when it dies (at most once a second), bind
 * listeners when asked, and end with vswitchd. */
static void __attribute__((noreturn)) rl_up_supervise(int sock)
{
	struct rl_up_sv sv = { .child = -1, .ready_rd = -1 };
	struct signalfd_siginfo si;
	struct pollfd pf[3];
	struct rl_up_req q;
	sigset_t mask, old;
	ssize_t n;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	pf[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = signalfd(-1, &mask, SFD_CLOEXEC), .events = POLLIN };
	for (;;) {
		if (sv.go && sv.child < 0)
			rl_up_start(&sv, &old);
		pf[2] = (struct pollfd){ .fd = sv.ready_rd, .events = POLLIN };
		if (poll(pf, 3, -1) < 0 && errno != EINTR)
			break;
		if (pf[2].revents)
			rl_up_ready(&sv);
		if (pf[1].revents & POLLIN) {
			if (read(pf[1].fd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGCHLD)
				break;     /* SIGTERM */
			rl_up_reap(&sv);
		}
		if (!pf[0].revents)
			continue;
		n = recv(sock, &q, sizeof(q), 0);
		if (n <= 0)
			break;     /* vswitchd is gone */
		if (q.op == 'G')
			sv.go = true;
		else if (n == sizeof(q) && (q.op == 'L' || q.op == 'S'))
			rl_up_answer(sock, &q, sv.cmd);
	}
	if (sv.child > 0) {
		kill(sv.child, SIGTERM);
		waitpid(sv.child, NULL, 0);
	}
	_exit(0);
}

/**
 * rootless_uplink_spawn() - Fork the supervisor (host namespaces still)
 * @u:		what to run
 * @keeper:	the keeper, whose namespaces the translator attaches to
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -1.
 */
int rootless_uplink_spawn(const struct rootless_uplink *u, pid_t keeper, char *err, size_t errlen)
{
	pid_t parent = getpid();
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	snprintf(rl_up_pidfile, sizeof(rl_up_pidfile), "%s", u->pidfile);
	unlink(rl_up_pidfile);
	rl_up_argv(u, keeper);
	rl_up_lo = u->ports_lo;
	rl_up_hi = u->ports_hi;
	rl_up_supervisor = fork();
	if (rl_up_supervisor < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (rl_up_supervisor == 0) {
		close(sp[0]);
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (getppid() != parent)
			_exit(0);
		prctl(PR_SET_NAME, "vswitchd-uplink", 0, 0, 0);
		rl_null_stdio(u->detached);
		rl_up_supervise(sp[1]);
	}
	for (int c = 0; c < 2; c++)
		for (int i = 0; rl_up_cmds[c].argv[i]; i++)
			free(rl_up_cmds[c].argv[i]);
	close(sp[1]);
	rl_up_sock = sp[0];
	return 0;
}

/* rootless_uplink_go() - The TAP is there: start the translator. */
int rootless_uplink_go(void)
{
	struct rl_up_req q = { .op = 'G' };

	if (rl_up_sock < 0) {
		errno = ENOTCONN;
		return -1;
	}
	return send(rl_up_sock, &q, sizeof(q), MSG_NOSIGNAL) == sizeof(q) ? 0 : -1;
}

/**
 * rootless_uplink_listen() - A listener bound in the host's namespace
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @ip:		host address (network order): 0.0.0.0 or 127.0.0.1
 * @port:	host port
 *
 * The supervisor, which never left the host's namespaces, binds it and
 * passes the fd; a blocking round trip, on the control path only.  Ports
 * of --pasta-ports are pasta's on the host, and listened on here.
 *
 * Return: the fd (nonblocking), or -1 with errno.
 */
int rootless_uplink_listen(uint8_t proto, uint32_t ip, uint16_t port)
{
	struct rl_up_req q = { .op = 'L', .proto = proto, .port = port, .ip = ip };

	int fd = rl_up_ask(&q);

	/* pasta holds this host port itself: it hands connections from other
	 * hosts to the switch through the TAP (client address kept, DNAT on
	 * the uplink address) and splices the host's loopback ones to
	 * 127.0.0.1:PORT here, in the switch namespace, where we listen. */
	if (fd < 0 && errno == EALREADY)
		return rl_up_bind(&q);
	return fd;
}

/**
 * rootless_uplink_socket() - A socket made in the host's namespace
 * @family:	AF_INET...
 * @type:	SOCK_DGRAM... with SOCK_NONBLOCK and the like
 *
 * For the DNS forwarder's upstream queries: bound and connected by the
 * caller, they reach the host's resolvers as the host would.  A round trip
 * to the supervisor per query (a pool of ready sockets would save it).
 *
 * Return: the fd, or -1 with errno.
 */
int rootless_uplink_socket(int family, int type)
{
	struct rl_up_req q = { .op = 'S', .family = family, .type = type };

	return rl_up_ask(&q);
}

/* rl_up_ask() - One request, one fd (or errno) back. */
static int rl_up_ask(const struct rl_up_req *q)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int e = EPROTO, fd = -1;
	struct iovec iov = { .iov_base = &e, .iov_len = sizeof(e) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	if (rl_up_sock < 0 || send(rl_up_sock, q, sizeof(*q), MSG_NOSIGNAL) != sizeof(*q) ||
	    recvmsg(rl_up_sock, &m, MSG_CMSG_CLOEXEC) != sizeof(e))
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd < 0)
		errno = e;
	return fd;
}

/**
 * rootless_uplink_wait_ready() - Wait (start-up only, about 5 s at most)
 * until the translator serves the TAP
 * @ifname:	the TAP
 *
 * pasta writes its pid file when its loop is about to run; for
 * slirp4netns the supervisor writes the same file when slirp4netns says
 * "ready" on its --ready-fd.  Why
 * wait at all: the uplink asks for its gateway's MAC at once, and a
 * request lost before the translator reads the TAP leaves the first
 * packets waiting for the next ARP; they then leave in one burst with the
 * client's retransmits, and Debian 12's pasta (2023-03) does not survive
 * two identical SYNs in one read (it crashes or spins).
 */
void rootless_uplink_wait_ready(const char *ifname)
{
	int i;

	for (i = 0; i < 500 && access(rl_up_pidfile, F_OK) < 0; i++)
		usleep(10 * 1000);
	if (i == 500)
		log_warn("uplink: the translator does not serve %s yet", ifname);
}

/* rootless_uplink_stop() - Stop the translator and its supervisor. */
void rootless_uplink_stop(void)
{
	if (rl_up_sock < 0)
		return;
	close(rl_up_sock);
	rl_up_sock = -1;
	waitpid(rl_up_supervisor, NULL, 0);
}
