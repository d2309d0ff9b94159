/* test_rootless.c - the parts of rootless.c that decide, without namespaces.
 *
 * What a rootless start-up reads from the host (ping_group_range), where
 * its runtime directory is, how a process is recognised as our keeper or
 * holder (name and owner, so a reused pid is never taken for one), and
 * where namespace names resolve once vswitchd is rootless.  The
 * namespaces themselves are exercised by tests/system/test_rootless.py,
 * as an unprivileged user.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <cmocka.h>

#include "netns.h"
#include "rootless.h"

static void test_ping_range(void **state)
{
	(void)state;
	assert_false(rootless_ping_range_has("1\t0", 0));        /* Debian's "off" */
	assert_false(rootless_ping_range_has("1\t0", 1));
	assert_true(rootless_ping_range_has("0\t2147483647", 1000));
	assert_true(rootless_ping_range_has("100 200", 100));
	assert_true(rootless_ping_range_has("100 200", 200));
	assert_false(rootless_ping_range_has("100 200", 99));
	assert_false(rootless_ping_range_has("garbage", 0));
	assert_false(rootless_ping_range_has("", 0));
}

static void test_run_dir(void **state)
{
	char buf[PATH_MAX], want[64];

	(void)state;
	setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
	assert_int_equal(rootless_run_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/user/4242/vswitch");
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(rootless_run_dir(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "/run/user/%u/vswitch", (unsigned)geteuid());
	assert_string_equal(buf, want);
	setenv("XDG_RUNTIME_DIR", "/a/rather/long/directory/name", 1);
	assert_int_equal(rootless_run_dir(buf, 16), -1);     /* never cut short */
	unsetenv("XDG_RUNTIME_DIR");
}

static void test_pid_is(void **state)
{
	char old[16];

	(void)state;
	prctl(PR_GET_NAME, old, 0, 0, 0);
	prctl(PR_SET_NAME, ROOTLESS_HOLDER_COMM, 0, 0, 0);
	assert_true(rootless_pid_is(getpid(), ROOTLESS_HOLDER_COMM));
	assert_false(rootless_pid_is(getpid(), ROOTLESS_KEEPER_COMM));
	prctl(PR_SET_NAME, old, 0, 0, 0);
	assert_false(rootless_pid_is(getpid(), ROOTLESS_HOLDER_COMM));
	assert_false(rootless_pid_is(1, ROOTLESS_KEEPER_COMM) && getpid() != 1);
	assert_false(rootless_pid_is(0, ROOTLESS_KEEPER_COMM));
	assert_false(rootless_pid_is(-5, ROOTLESS_KEEPER_COMM));
}

static void test_keeper_find(void **state)
{
	char dir[] = "/tmp/test_rootless.XXXXXX", path[PATH_MAX], old[16];
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(rootless_keeper_find(dir), -1);     /* no file */
	snprintf(path, sizeof(path), "%s/keeper.pid", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "%d\n", (int)getpid());
	fclose(fp);
	/* a live pid that is not a keeper (a reused pid) is not taken */
	assert_int_equal(rootless_keeper_find(dir), -1);
	prctl(PR_GET_NAME, old, 0, 0, 0);
	prctl(PR_SET_NAME, ROOTLESS_KEEPER_COMM, 0, 0, 0);
	assert_int_equal(rootless_keeper_find(dir), getpid());
	prctl(PR_SET_NAME, old, 0, 0, 0);
	fp = fopen(path, "w");
	fputs("not a pid\n", fp);
	fclose(fp);
	assert_int_equal(rootless_keeper_find(dir), -1);
	unlink(path);
	rmdir(dir);
}

static void test_name_dir(void **state)
{
	char buf[PATH_MAX], longdir[PATH_MAX + 8];

	(void)state;
	assert_int_equal(netns_ref_path("c1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/netns/c1");
	assert_int_equal(netns_set_name_dir("/run/user/7/vswitch/netns"), 0);
	assert_int_equal(netns_ref_path("c1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/user/7/vswitch/netns/c1");
	/* paths and pid: refs are not names: unchanged */
	assert_int_equal(netns_ref_path("pid:12", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/12/ns/net");
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(netns_set_name_dir(longdir), -1);   /* refused, not cut */
	assert_int_equal(netns_ref_path("c1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/user/7/vswitch/netns/c1");
	assert_int_equal(netns_set_name_dir("/run/netns"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_range),
		cmocka_unit_test(test_run_dir),
		cmocka_unit_test(test_pid_is),
		cmocka_unit_test(test_keeper_find),
		cmocka_unit_test(test_name_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
