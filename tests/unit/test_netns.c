/* test_netns.c - netns.c against real namespaces, made private to the test.
 *
 * The test first moves itself into a fresh network namespace (unshare), so
 * every veth and address it makes lives and dies with it and the host is
 * never touched.  A "container" is a forked child in a namespace of its
 * own, parked on a pipe until the test lets it go.  Needs root (CAP_NET_ADMIN
 * and CAP_SYS_ADMIN); skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "netns.h"
#include "model.h"

/* netns_watch.c's callback into the control plane; unused here. */

struct child {
	pid_t pid;
	int release;             /* write end: closing it ends the child */
	int nsfd;
};

static int child_start(struct child *ch)
{
	int ready[2], hold[2];
	char b;

	if (pipe(ready) < 0 || pipe(hold) < 0)
		return -1;
	ch->pid = fork();
	if (ch->pid == 0) {
		close(ready[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) < 0)
			_exit(1);
		(void)read(hold[0], &b, 1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &b, 1) != 1)
		return -1;
	close(ready[0]);
	ch->release = hold[1];
	return 0;
}

static void child_stop(struct child *ch)
{
	close(ch->release);
	waitpid(ch->pid, NULL, 0);
}

static void test_ref_path(void **state)
{
	char p[128];

	assert_int_equal(netns_ref_path("c1", p, sizeof(p)), 0);
	assert_string_equal(p, "/run/netns/c1");
	assert_int_equal(netns_ref_path("pid:42", p, sizeof(p)), 0);
	assert_string_equal(p, "/proc/42/ns/net");
	assert_int_equal(netns_ref_path("/var/run/netns/x", p, sizeof(p)), 0);
	assert_string_equal(p, "/var/run/netns/x");
	assert_int_equal(netns_ref_path("pid:", p, sizeof(p)), -1);
	assert_int_equal(netns_ref_path("pid:-3", p, sizeof(p)), -1);
	assert_int_equal(netns_ref_path("pid:12x", p, sizeof(p)), -1);
	assert_int_equal(netns_ref_path("pid:99999999999", p, sizeof(p)), -1);
	assert_int_equal(netns_ref_path("..", p, sizeof(p)), -1);
	assert_int_equal(netns_ref_path("", p, sizeof(p)), -1);
	assert_int_equal(netns_ref_path("a/b", p, sizeof(p)), -1);
	assert_true(netns_ref_is_name("c1"));
	assert_false(netns_ref_is_name("pid:1"));
	assert_false(netns_ref_is_name("/proc/1/ns/net"));
}

static void test_open_errors(void **state)
{
	char err[256], ref[32];
	int fd;

	fd = netns_open("tnoSuchNs4f2a", err, sizeof(err));
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err, "/run/netns/tnoSuchNs4f2a"));
	fd = netns_open("/etc/hostname", err, sizeof(err));
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err, "not a network namespace"));
	fd = netns_open("pid:zz", err, sizeof(err));
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err, "bad netns reference"));
	assert_null(strchr(err, '\n'));
	snprintf(ref, sizeof(ref), "pid:%d", (int)getpid());
	fd = netns_open(ref, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
}

/* Finding 8: a FIFO, a device node and a missing path are refused alike,
 * without blocking (a FIFO with no writer would block open(2) forever, so
 * a regression hangs here) and without opening the device. */
static void test_open_never_blocks_or_opens_devices(void **state)
{
	char dir[] = "/tmp/vs-netns-XXXXXX", fifo[64], missing[64], err[3][256];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = netns_open(fifo, err[0], sizeof(err[0]));
	assert_int_equal(fd, -1);
	fd = netns_open(missing, err[1], sizeof(err[1]));
	assert_int_equal(fd, -1);
	fd = netns_open("/dev/null", err[2], sizeof(err[2]));
	assert_int_equal(fd, -1);
	/* the same words whether the file is there or not: no oracle */
	assert_non_null(strstr(err[0], "is not a network namespace (or does not exist)"));
	assert_non_null(strstr(err[1], "is not a network namespace (or does not exist)"));
	assert_non_null(strstr(err[2], "is not a network namespace (or does not exist)"));
	/* another kind of namespace is not a network one either */
	fd = netns_open("/proc/self/ns/uts", err[0], sizeof(err[0]));
	assert_int_equal(fd, -1);
	unlink(fifo);
	rmdir(dir);
}

/* The identity recorded at connect is checked at restart. */
static void test_identity(void **state)
{
	struct netns_id id, none = { 0, 0, 0 };
	char err[256], ref[32];
	int fd, got;

	(void)state;
	snprintf(ref, sizeof(ref), "pid:%d", (int)getpid());
	fd = netns_open(ref, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(netns_identify(fd, ref, &id), 0);
	assert_true(id.ino != 0 && id.start != 0);
	close(fd);
	assert_int_equal(netns_check_id(ref, &id, &got), NETNS_SAME);
	assert_true(got >= 0);
	close(got);
	/* another start time: the pid was reused */
	id.start++;
	assert_int_equal(netns_check_id(ref, &id, &got), NETNS_GONE);
	assert_int_equal(got, -1);
	id.start--;
	id.ino++;
	assert_int_equal(netns_check_id(ref, &id, &got), NETNS_GONE);
	/* nothing recorded: trusted, as before identities */
	assert_int_equal(netns_check_id(ref, &none, &got), NETNS_SAME);
	close(got);
	assert_int_equal(netns_check_id("/tmp/vs-no-such-netns-9f", &none, &got), NETNS_GONE);
}

static void test_veth_name(void **state)
{
	char a[16], b[16], c[16];

	netns_veth_name("c1", "net1", 0, a);
	netns_veth_name("c1", "net1", 0, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 10);
	assert_memory_equal(a, "vs", 2);
	netns_veth_name("c1n", "et1", 0, c);
	assert_string_not_equal(a, c);
	netns_veth_name("c1", "net1", 3, c);
	assert_int_equal(strlen(c), 11);
	assert_string_not_equal(a, c);
}

/* Values seen from inside the child's namespace. */
struct probe {
	const char *ifname;
	int mtu, up, txcsum;
	uint8_t mac[6];
	uint32_t addr;
	uint32_t gw;             /* default route's gateway, 0 if none */
};

static uint32_t probe_default_gw(void)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], ifn[32];
	unsigned int dst, gw, flags;
	uint32_t found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %x %x %x", ifn, &dst, &gw, &flags) == 4 && dst == 0)
			found = gw;
	fclose(f);
	return found;
}

static int probe_in(void *arg)
{
	struct probe *pr = arg;
	struct ethtool_value ev = { .cmd = ETHTOOL_GTXCSUM };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", pr->ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		pr->mtu = ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(pr->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		pr->up = !!(ifr.ifr_flags & IFF_UP);
	if (ioctl(fd, SIOCGIFADDR, &ifr) == 0)
		pr->addr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		pr->txcsum = (int)ev.data;
	close(fd);
	pr->gw = probe_default_gw();
	return 0;
}

static void test_veth_configure(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x42, 10, 9, 0, 2 };
	struct netns_ifcfg cfg = { .ifname = "eth0", .mtu = 1400, .prefix = 24,
				   .keep_existing = false };
	struct probe pr = { .ifname = "eth0", .txcsum = -1 };
	struct child ch;
	char err[256];

	assert_int_equal(child_start(&ch), 0);
	snprintf(err, sizeof(err), "pid:%d", (int)ch.pid);
	ch.nsfd = netns_open(err, err, sizeof(err));
	assert_true(ch.nsfd >= 0);

	assert_int_equal(netns_veth_create(ch.nsfd, "vstest0", "eth0", 1400, false, err, sizeof(err)), 0);
	assert_true(if_nametoindex("vstest0") != 0);
	assert_true(netns_if_exists(ch.nsfd, "eth0"));
	assert_false(netns_if_exists(NETNS_SELF, "eth0"));
	/* A second one with the same names is refused, clearly. */
	assert_int_equal(netns_veth_create(ch.nsfd, "vstest1", "eth0", 1400, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already exists in the container"));
	assert_int_equal(if_nametoindex("vstest1"), 0);

	memcpy(cfg.mac, mac, 6);
	inet_pton(AF_INET, "10.9.0.2", &cfg.addr);
	inet_pton(AF_INET, "10.9.0.1", &cfg.gateway);
	assert_int_equal(netns_if_configure(ch.nsfd, &cfg, err, sizeof(err)), 0);
	assert_int_equal(netns_run(ch.nsfd, probe_in, &pr), 0);
	assert_int_equal(pr.mtu, 1400);
	assert_memory_equal(pr.mac, mac, 6);
	assert_int_equal(pr.up, 1);
	assert_int_equal(pr.addr, cfg.addr);
	assert_int_equal(pr.gw, cfg.gateway);
	assert_int_equal(pr.txcsum, 0);

	/* Adoption keeps what is there: the default route is not replaced. */
	cfg.keep_existing = true;
	inet_pton(AF_INET, "10.9.0.254", &cfg.gateway);
	assert_int_equal(netns_if_configure(ch.nsfd, &cfg, err, sizeof(err)), 0);
	memset(&pr.gw, 0, sizeof(pr.gw));
	assert_int_equal(netns_run(ch.nsfd, probe_in, &pr), 0);
	inet_pton(AF_INET, "10.9.0.1", &cfg.gateway);
	assert_int_equal(pr.gw, cfg.gateway);

	/* Deleting our end takes the container's end with it. */
	assert_int_equal(netns_if_delete(NETNS_SELF, "vstest0"), 0);
	assert_false(netns_if_exists(ch.nsfd, "eth0"));
	assert_int_equal(netns_if_delete(NETNS_SELF, "vstest0"), 0);

	cfg.ifname = "nosuch0";
	assert_int_equal(netns_if_configure(ch.nsfd, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nosuch0"));
	close(ch.nsfd);
	child_stop(&ch);
}

static void test_is_dead(void **state)
{
	struct child ch;
	char ref[32], err[256];
	int fd;

	assert_int_equal(child_start(&ch), 0);
	snprintf(ref, sizeof(ref), "pid:%d", (int)ch.pid);
	fd = netns_open(ref, err, sizeof(err));
	assert_true(fd >= 0);
	assert_false(netns_is_dead(fd, ref));
	/* Another namespace under the REF is death too. */
	snprintf(err, sizeof(err), "pid:%d", (int)getpid());
	assert_true(netns_is_dead(fd, err));
	child_stop(&ch);
	assert_true(netns_is_dead(fd, ref));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_path),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_never_blocks_or_opens_devices),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_veth_name),
		cmocka_unit_test(test_veth_configure),
		cmocka_unit_test(test_is_dead),
	};
	char err[256];

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_netns: needs root to make namespaces; skipped\n");
		return 77;
	}
	if (netns_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
