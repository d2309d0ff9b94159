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
 * proxy's address as the client, not the client's own.
 *
 * DNS forwarding: the forwarder makes a socket per query; the switch
 * namespace has no route to the host's resolvers, so those sockets too
 * are made by the supervisor in the host's namespace (op 'S').
 */
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
				 "(no published ports through it; apt-get install passt)");
		return "slirp4netns";
	}
	snprintf(err, errlen, "--uplink %s: %s is not installed (apt-get install passt, "
		 "or slirp4netns)", kind, !strcmp(kind, "pasta") ? "neither pasta nor slirp4netns" :
		 "slirp4netns");
	return NULL;
}

static void rl_up_add(char **argv, int *n, const char *s)
{
	if (*n < RL_UP_ARGS - 1)
		argv[(*n)++] = strdup(s);
	argv[*n] = NULL;
}

/* rl_up_argv() - The translator's command line (see the top). */
static void rl_up_argv(const struct rootless_uplink *u, pid_t keeper, char **argv)
{
	char user[64], net[64], pfx[8];
	int n = 0;

	snprintf(user, sizeof(user), "/proc/%d/ns/user", (int)keeper);
	snprintf(net, sizeof(net), "/proc/%d/ns/net", (int)keeper);
	snprintf(pfx, sizeof(pfx), "%u", u->prefix);
	if (!strcmp(u->kind, "pasta")) {
		const char *fixed[] = { "pasta", "--foreground", "--quiet", "--ipv4-only",
			"--no-ndp", "--no-dhcpv6", "--no-ra", "-t", "none", "-u", "none",
			"-T", "none", "-U", "none", "--userns", user, "--netns", net,
			"-I", u->ifname, "-a", u->ip, "-n", pfx, "-g", u->gw, "-P", u->pidfile, NULL };
		for (int i = 0; fixed[i]; i++)
			rl_up_add(argv, &n, fixed[i]);
		return;
	}
	/* slirp4netns: 10.0.2.0/24, the guest .100, the gateway .2 */
	rl_up_add(argv, &n, "slirp4netns");
	rl_up_add(argv, &n, "--netns-type=path");
	rl_up_add(argv, &n, "--userns-path");
	rl_up_add(argv, &n, user);
	rl_up_add(argv, &n, net);
	rl_up_add(argv, &n, u->ifname);
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
 * may not exist, and says so on stderr at every line); its pid, or -1. */
static pid_t rl_up_run(char **argv, const sigset_t *old)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	rl_null_stdio(true);
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

/* rl_up_answer() - Reply to a listen request: errno, and the fd. */
static void rl_up_answer(int sock, const struct rl_up_req *q)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int fd = q->op == 'L' ? rl_up_bind(q) : socket(q->family, q->type, 0);
	int e = fd < 0 ? errno : 0;
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

/* rl_up_reap() - SIGCHLD: was it the translator?  Then it must restart. */
static pid_t rl_up_reap(pid_t child, const char *name)
{
	int st;

	if (child > 0 && waitpid(child, &st, WNOHANG) == child) {
		log_warn("uplink: %s exited (status %d), restarting it", name,
			 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -1;
	}
	return child;
}

/* rl_up_supervise() - The supervisor's loop: wait for "go", run the
 * translator, restart it when it dies (at most once a second), bind
 * listeners when asked, and end with vswitchd. */
static void __attribute__((noreturn)) rl_up_supervise(int sock, char **argv)
{
	struct signalfd_siginfo si;
	struct pollfd pf[2];
	struct rl_up_req q;
	sigset_t mask, old;
	pid_t child = -1;
	time_t last = 0;
	bool go = false;
	ssize_t n;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	pf[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = signalfd(-1, &mask, SFD_CLOEXEC), .events = POLLIN };
	for (;;) {
		if (go && child < 0) {
			if (time(NULL) - last < 1)
				sleep(1);
			last = time(NULL);
			unlink(rl_up_pidfile);     /* written again once it is ready */
			child = rl_up_run(argv, &old);
		}
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents & POLLIN) {
			if (read(pf[1].fd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGCHLD)
				break;     /* SIGTERM */
			child = rl_up_reap(child, argv[0]);
		}
		if (!pf[0].revents)
			continue;
		n = recv(sock, &q, sizeof(q), 0);
		if (n <= 0)
			break;     /* vswitchd is gone */
		if (q.op == 'G')
			go = true;
		else if (n == sizeof(q) && (q.op == 'L' || q.op == 'S'))
			rl_up_answer(sock, &q);
	}
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
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
	char *argv[RL_UP_ARGS];
	pid_t parent = getpid();
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	snprintf(rl_up_pidfile, sizeof(rl_up_pidfile), "%s", u->pidfile);
	unlink(rl_up_pidfile);
	rl_up_argv(u, keeper, argv);
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
		rl_up_supervise(sp[1], argv);
	}
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
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
 * passes the fd; a blocking round trip, on the control path only.
 *
 * Return: the fd (nonblocking), or -1 with errno.
 */
int rootless_uplink_listen(uint8_t proto, uint32_t ip, uint16_t port)
{
	struct rl_up_req q = { .op = 'L', .proto = proto, .port = port, .ip = ip };

	return rl_up_ask(&q);
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
 * pasta writes its pid file when its loop is about to run; slirp4netns
 * has none, and its attached queue (the TAP's carrier) has to do.  Why
 * wait at all: the uplink asks for its gateway's MAC at once, and a
 * request lost before the translator reads the TAP leaves the first
 * packets waiting for the next ARP; they then leave in one burst with the
 * client's retransmits, and Debian 12's pasta (2023-03) does not survive
 * two identical SYNs in one read (it crashes or spins).
 */
void rootless_uplink_wait_ready(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), i;
	bool pasta = rl_up_pidfile[0] != '\0';

	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	for (i = 0; i < 500; i++) {
		if (pasta ? access(rl_up_pidfile, F_OK) == 0 :
		    ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING))
			break;
		usleep(10 * 1000);
	}
	if (i == 500)
		log_warn("uplink: the translator does not serve %s yet", ifname);
	close(fd);
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
