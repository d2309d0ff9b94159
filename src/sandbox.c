/* sandbox.c - least privilege for vswitchd once it has started.
 *
 * DOC: Theory of Operation
 *
 * vswitchd starts as root because it must: it creates the control group,
 * binds the socket, opens TAP devices and AF_PACKET sockets and enters
 * containers' namespaces.  Once start-up is over (state loaded, endpoints
 * adopted, the socket listening) it keeps only what the running daemon
 * still uses, as passt does (audit, issue 20 point 12):
 *
 * 1. Capabilities.  The effective, permitted and inheritable sets and the
 *    bounding set shrink to SANDBOX_CAPS: NET_ADMIN (links, addresses,
 *    routes, TAP), NET_RAW (AF_PACKET), SYS_ADMIN (setns into a
 *    container's namespace), SYS_PTRACE (opening another user's
 *    /proc/PID/ns/net), NET_BIND_SERVICE (published ports below 1024),
 *    DAC_OVERRIDE and FOWNER (/etc/netns and state files that are not
 *    root's), CHOWN (nothing after start today; kept for the socket's
 *    directory).  Everything else (SYS_MODULE, SYS_RAWIO, SETUID, MKNOD,
 *    SYS_BOOT...) is gone for good, also for anything the process could
 *    exec.  Done with capset(2) and prctl(2) directly: no library for
 *    three calls.
 *
 * 2. A seccomp allow-list (libseccomp): the system calls the event loop,
 *    the ports, netlink, namespaces, the state file, captures and the
 *    logs make, and nothing else (no execve, ptrace, mount, module or
 *    keyring calls, no reboot, no new namespaces).  A call outside the
 *    list raises SIGSYS (SCMP_ACT_TRAP), whose handler writes one line to
 *    the log, "seccomp: forbidden system call NAME (NR); exiting", with
 *    write(2) only, and ends the process with exit status 159 (128 +
 *    SIGSYS), as SECCOMP_RET_KILL_PROCESS would, but saying why.  Names
 *    come from a table filled before the filter goes in (the handler may
 *    not allocate).
 *
 * NO_NEW_PRIVS is set first (the filter needs it without CAP_SYS_ADMIN,
 * and nothing we exec may regain privileges).  `vswitchd --no-sandbox`
 * skips all of it (debugging under strace or valgrind, whose own system
 * calls the list does not know); VSWITCHD_SANDBOX_SELFTEST=1 in the
 * environment makes a forbidden call right after the filter is in, so
 * the test suite can see the kill and its log line.
 *
 * Limits: x86-64 and aarch64 names only as far as libseccomp resolves
 * them; a system call a future library version starts to use shows up as
 * that log line, never as silent misbehaviour.
 */
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "sandbox.h"

#define SANDBOX_NAMES 512        /* syscall numbers named in the log */
#define SANDBOX_EXIT 159         /* 128 + SIGSYS */

static const int sandbox_caps[] = {
	CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_NET_BIND_SERVICE,
	CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN,
};

/* Everything the running daemon calls (glibc's names; libseccomp maps
 * them per architecture and skips those an architecture lacks). */
static const char *const sandbox_syscalls[] = {
	/* memory, time, process */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "exit", "exit_group",
	"futex", "set_robust_list", "rseq", "sched_yield", "sched_getaffinity",
	"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
	"time", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
	"getgroups", "getresuid", "getresgid", "getrandom", "uname", "sysinfo", "prlimit64",
	"getrlimit", "setrlimit", "umask", "getcwd", "prctl", "arch_prctl", "sigaltstack",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "kill", "tgkill",
	"tkill", "wait4", "waitid", "restart_syscall", "capget", "getpriority", "membarrier",
	/* threads (the conntrack snapshot's writer) */
	"clone", "clone3", "set_tid_address",
	/* files and the state directory */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"open", "openat", "openat2", "close", "close_range", "lseek", "fstat", "stat", "lstat",
	"newfstatat", "statx", "fstatfs", "statfs", "fcntl", "dup", "dup2", "dup3", "pipe",
	"pipe2", "ioctl", "flock", "fsync", "fdatasync", "ftruncate", "rename", "renameat",
	"renameat2", "unlink", "unlinkat", "mkdir", "mkdirat", "rmdir", "chmod", "fchmod",
	"fchmodat", "chown", "fchown", "lchown", "fchownat", "access", "faccessat",
	"faccessat2", "readlink", "readlinkat", "getdents64", "symlink", "link", "linkat",
	"utimensat", "fadvise64", "memfd_create", "copy_file_range", "sendfile",
	/* the event loop */
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "poll", "ppoll", "select", "pselect6", "eventfd", "eventfd2",
	"signalfd", "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
	"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"pidfd_open", "pidfd_send_signal",
	/* sockets: control, proxy, DNS, netlink, AF_PACKET */
	"socket", "socketpair", "bind", "listen", "accept", "accept4", "connect",
	"getsockname", "getpeername", "getsockopt", "setsockopt", "shutdown", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	/* containers' namespaces */
	"setns",
	/* batched TAP writes: the ring is made before the filter goes in and
	 * restricted to WRITEV and NOP (port_uring.c), so io_uring cannot be
	 * used to make the calls this list refuses */
	"io_uring_enter",
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer stops the world with ptrace at exit (sanitizer
	 * builds only: tools/test.sh --sanitizers) */
	"ptrace", "process_vm_readv",
#endif
};

static const char *sandbox_names[SANDBOX_NAMES];

/* Decimal NR into BUF (async-signal-safe); its length. */
static size_t sandbox_utoa(unsigned long nr, char *buf)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr && n < sizeof(tmp));
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static size_t sandbox_cat(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at < cap)
		buf[at++] = *s++;
	return at;
}

/* SIGSYS from the filter: one log line, then exit as a kill would.  Only
 * write(2) and exit_group(2) here, both on the list. */
static void sandbox_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char line[160], num[24];
	unsigned long nr = (unsigned long)si->si_syscall;
	const char *name = nr < SANDBOX_NAMES && sandbox_names[nr] ? sandbox_names[nr] : "?";
	size_t n = 0;
	int fd = log_fd();
	ssize_t w;

	(void)sig; (void)uctx;
	n = sandbox_cat(line, n, sizeof(line), "vswitchd ERR: seccomp: forbidden system call ");
	n = sandbox_cat(line, n, sizeof(line), name);
	n = sandbox_cat(line, n, sizeof(line), " (");
	num[sandbox_utoa(nr, num)] = '\0';
	n = sandbox_cat(line, n, sizeof(line), num);
	n = sandbox_cat(line, n, sizeof(line), "); exiting\n");
	w = write(fd, line, n);
	if (fd != 2)
		w = write(2, line, n);
	(void)w;
	_exit(SANDBOX_EXIT);
}

/* Keep only sandbox_caps, in every set and in the bounding set. */
static int sandbox_caps_drop(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	unsigned int i;
	int c;

	memset(data, 0, sizeof(data));
	for (i = 0; i < sizeof(sandbox_caps) / sizeof(sandbox_caps[0]); i++) {
		data[CAP_TO_INDEX(sandbox_caps[i])].effective |= CAP_TO_MASK(sandbox_caps[i]);
		data[CAP_TO_INDEX(sandbox_caps[i])].permitted |= CAP_TO_MASK(sandbox_caps[i]);
	}
	/* the bounding set first: dropping from it needs CAP_SETPCAP */
	for (c = 0; c <= CAP_LAST_CAP; c++) {
		bool keep = false;

		for (i = 0; i < sizeof(sandbox_caps) / sizeof(sandbox_caps[0]); i++)
			keep |= sandbox_caps[i] == c;
		if (!keep && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);	/* EPERM without SETPCAP */
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* capset can only take away: without some of these (rootless) it
	 * keeps what there is of them */
	if (syscall(SYS_capset, &hdr, data) == 0)
		return 0;
	for (i = 0; i < 2; i++)
		data[i].effective = data[i].permitted = 0;
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	{
		struct __user_cap_data_struct now[2];

		if (syscall(SYS_capget, &hdr, now) < 0)
			return -1;
		for (i = 0; i < sizeof(sandbox_caps) / sizeof(sandbox_caps[0]); i++) {
			unsigned int k = CAP_TO_INDEX(sandbox_caps[i]);
			uint32_t m = CAP_TO_MASK(sandbox_caps[i]);

			data[k].permitted |= now[k].permitted & m;
			data[k].effective |= now[k].permitted & m;
		}
	}
	return syscall(SYS_capset, &hdr, data) == 0 ? 0 : -1;
}

/* Build and load the allow-list; names for the SIGSYS line first. */
static int sandbox_filter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	unsigned int i;
	int nr, rc;

	for (nr = 0; nr < SANDBOX_NAMES; nr++)
		sandbox_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	/* every thread, the snapshot writer's included, gets the filter */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; i < sizeof(sandbox_syscalls) / sizeof(sandbox_syscalls[0]); i++) {
		nr = seccomp_syscall_resolve_name(sandbox_syscalls[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0 && rc != -EEXIST) {
			snprintf(err, errlen, "seccomp: cannot allow %s: %s", sandbox_syscalls[i],
				 strerror(-rc));
			seccomp_release(ctx);
			return -1;
		}
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp: cannot load the filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/**
 * sandbox_enter() - Drop capabilities and install the seccomp allow-list
 *
 * Called once, after start-up and before the loop runs.  A failure to
 * drop capabilities is logged (an unprivileged daemon has few to drop);
 * a failure to install the filter stops the daemon: it was asked to run
 * confined.
 */
void sandbox_enter(void)
{
	struct sigaction sa;
	char err[256];

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		die("sandbox: cannot catch SIGSYS: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("sandbox: cannot set no_new_privs: %s", strerror(errno));
	if (sandbox_caps_drop() < 0)
		log_warn("sandbox: cannot drop capabilities: %s", strerror(errno));
	if (sandbox_filter(err, sizeof(err)) < 0)
		die("%s (vswitchd --no-sandbox runs without it)", err);
	log_info("sandbox: capabilities reduced, seccomp allow-list of %zu calls installed",
		 sizeof(sandbox_syscalls) / sizeof(sandbox_syscalls[0]));
	if (getenv("VSWITCHD_SANDBOX_SELFTEST")) {
		log_warn("sandbox: self-test: making a forbidden system call");
		/* harmless if it ever ran: the path does not exist */
		syscall(SYS_swapoff, "/nonexistent/vswitchd-sandbox-selftest");
		log_err("sandbox: self-test: the forbidden call returned");
	}
}
