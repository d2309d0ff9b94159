/* test_netns_watch.c - namespace death is noticed from events alone.
 *
 * The test moves itself into fresh network and mount namespaces (private
 * mounts), so the bind mounts and veths it makes vanish with it.  Each case
 * makes a "container" namespace, watches it, kills it the way users do
 * (unmount + unlink the bind mount, as `ip netns del`; process exit for
 * pid:N) and runs the event loop until the died upcall is called or
 * a generous deadline passes.  Needs root; skipped otherwise.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "model.h"
#include "netns.h"

static struct container *died;
static int died_count;
static char tmpdir[64];

static struct netns_watch *nw;

/* The upcall under test, registered with netns_watch_new(). */
static void died_cb(void *arg, struct container *c)
{
	(void)arg;
	died = c;
	died_count++;
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void check_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	if (died_count)
		ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until a death is reported or SECS pass. */
static void run_loop(double secs)
{
	struct ev_loop *loop = EV_DEFAULT;
	ev_timer t;
	ev_prepare p;

	ev_timer_init(&t, stop_cb, secs, 0.);
	ev_timer_start(loop, &t);
	ev_prepare_init(&p, check_cb);
	ev_prepare_start(loop, &p);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
	ev_prepare_stop(loop, &p);
}

/* A child in a new network namespace, parked until HOLD closes. */
static pid_t child_ns(int *hold_w)
{
	int ready[2], hold[2];
	pid_t pid;
	char b;

	if (pipe(ready) < 0 || pipe(hold) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWNET) < 0 || write(ready[1], "x", 1) < 0)
			_exit(1);
		(void)read(hold[0], &b, 1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &b, 1) != 1)
		return -1;
	close(ready[0]);
	*hold_w = hold[1];
	return pid;
}

static void container_init(struct container *c, const char *name, const char *ref)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->netns_ref, sizeof(c->netns_ref), "%s", ref);
	LIST_INIT(&c->endpoints);
	LIST_INIT(&c->published);
	c->netns_fd = netns_open(ref, err, sizeof(err));
	assert_true(c->netns_fd >= 0);
}

/* A namespace kept alive only by a bind mount at PATH, like `ip netns add`. */
static void bind_ns(const char *path)
{
	char src[64];
	int hold, fd;
	pid_t pid = child_ns(&hold);

	assert_true(pid > 0);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)pid);
	assert_int_equal(mount(src, path, NULL, MS_BIND, NULL), 0);
	close(hold);
	waitpid(pid, NULL, 0);
}

static void unbind_ns(const char *path)
{
	assert_int_equal(umount2(path, MNT_DETACH), 0);
	assert_int_equal(unlink(path), 0);
}

static void test_bind_mount_deleted(void **state)
{
	struct container c;
	char path[128];

	snprintf(path, sizeof(path), "%s/ns1", tmpdir);
	bind_ns(path);
	container_init(&c, "c1", path);
	died = NULL;
	died_count = 0;
	netns_watch_add(nw, &c);
	netns_watch_add(nw, &c);         /* idempotent */
	run_loop(0.3);
	assert_int_equal(died_count, 0);
	unbind_ns(path);
	run_loop(5);
	assert_int_equal(died_count, 1);
	assert_ptr_equal(died, &c);
	netns_watch_remove(nw, &c);      /* already unwatched: a no-op */
	close(c.netns_fd);
}

static void test_pid_exit(void **state)
{
	struct container c;
	char ref[32];
	int hold;
	pid_t pid = child_ns(&hold);

	assert_true(pid > 0);
	snprintf(ref, sizeof(ref), "pid:%d", (int)pid);
	container_init(&c, "c2", ref);
	died_count = 0;
	netns_watch_add(nw, &c);
	run_loop(0.3);
	assert_int_equal(died_count, 0);
	close(hold);                 /* the child exits; not reaped yet */
	run_loop(5);
	assert_int_equal(died_count, 1);
	assert_ptr_equal(died, &c);
	waitpid(pid, NULL, 0);
	close(c.netns_fd);
}

static void test_unwatched_is_silent(void **state)
{
	struct container c;
	char path[128];

	snprintf(path, sizeof(path), "%s/ns3", tmpdir);
	bind_ns(path);
	container_init(&c, "c3", path);
	died_count = 0;
	netns_watch_add(nw, &c);
	netns_watch_remove(nw, &c);
	unbind_ns(path);
	run_loop(0.5);
	assert_int_equal(died_count, 0);
	close(c.netns_fd);
}

/* The veth host end vanishing while the namespace lives is not death;
 * the namespace dying afterwards is. */
static void test_veth_deleted(void **state)
{
	struct container c;
	struct network n;
	struct endpoint ep;
	char path[128], err[256];

	snprintf(path, sizeof(path), "%s/ns4", tmpdir);
	bind_ns(path);
	container_init(&c, "c4", path);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "n4");
	memset(&ep, 0, sizeof(ep));
	ep.net = &n;
	ep.ctr = &c;
	ep.attach = ATTACH_VETH;
	ep.port = (struct port *)&ep;   /* wired: any non-NULL will do here */
	snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
	snprintf(ep.host_if, sizeof(ep.host_if), "vswtest4");
	LIST_INSERT_HEAD(&c.endpoints, &ep, ctr_link);
	HASH_ADD_STR(g_model.containers, name, &c);
	assert_int_equal(netns_veth_create(c.netns_fd, ep.host_if, "eth0", 0, true, err, sizeof(err)), 0);

	died_count = 0;
	netns_watch_add(nw, &c);
	assert_int_equal(netns_if_delete(NETNS_SELF, ep.host_if), 0);
	run_loop(0.5);
	assert_int_equal(died_count, 0);
	unbind_ns(path);
	run_loop(5);
	assert_int_equal(died_count, 1);
	HASH_DEL(g_model.containers, &c);
	close(c.netns_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_mount_deleted),
		cmocka_unit_test(test_pid_exit),
		cmocka_unit_test(test_unwatched_is_silent),
		cmocka_unit_test(test_veth_deleted),
	};
	char err[256];
	int rc;

	if (geteuid() != 0 || unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		fprintf(stderr, "test_netns_watch: needs root to make namespaces; skipped\n");
		return 77;
	}
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    netns_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "test_netns_watch: cannot set up private namespaces\n");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tnw.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	nw = netns_watch_new(EV_DEFAULT, &g_model, died_cb, NULL);
	if (!nw)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	netns_watch_free(nw);
	rmdir(tmpdir);
	return rc;
}
