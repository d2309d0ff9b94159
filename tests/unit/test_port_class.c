/* test_port_class.c - the port-type registry: built-in types found by
 * name, a new type added without touching the callers, and every bad
 * spec refused with one line that says why. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "port.h"

static const struct port_args *fake_seen;

static struct port *fake_open(const struct port_args *args)
{
	fake_seen = args;
	errno = ENODEV;
	return NULL;
}

static const struct port_class fake_class = { .type = "fake", .open = fake_open };

static void test_builtin_classes(void **state)
{
	(void)state;
	assert_ptr_equal(port_class_find("tap"), &port_tap_class);
	assert_ptr_equal(port_class_find("afpacket"), &port_afpacket_class);
	assert_true(port_class_find("tap")->kernel_peer);
	assert_false(port_class_find("afpacket")->kernel_peer);
	assert_null(port_class_find("vxlan"));
	assert_null(port_class_find(""));
	assert_null(port_class_find(NULL));
}

static void test_register_and_open(void **state)
{
	struct port_args a = { .ifname = "x0", .name = "p" };

	(void)state;
	assert_int_equal(port_class_register(&fake_class), 0);
	assert_ptr_equal(port_class_find("fake"), &fake_class);
	/* a name is registered once */
	assert_int_equal(port_class_register(&fake_class), -1);
	assert_int_equal(errno, EEXIST);
	/* port_open() reaches the class by name and passes the args through */
	assert_null(port_open("fake", &a));
	assert_ptr_equal(fake_seen, &a);
	assert_int_equal(errno, ENODEV);
	assert_null(port_open("nosuch", &a));
	assert_int_equal(errno, EPROTONOSUPPORT);
}

static void bad_spec(const char *spec, const char *want)
{
	const struct port_class *cls = NULL;
	char ifname[16], err[256];

	assert_int_equal(port_spec_parse(spec, &cls, ifname, err, sizeof(err)), -1);
	assert_non_null(strstr(err, want));
	assert_null(strchr(err, '\n'));
}

static void test_spec_parse(void **state)
{
	const struct port_class *cls = NULL;
	char ifname[16], err[256];

	(void)state;
	assert_int_equal(port_spec_parse("afpacket:eth1", &cls, ifname, err, sizeof(err)), 0);
	assert_ptr_equal(cls, &port_afpacket_class);
	assert_string_equal(ifname, "eth1");
	assert_int_equal(port_spec_parse("tap:vsw-up", &cls, ifname, err, sizeof(err)), 0);
	assert_ptr_equal(cls, &port_tap_class);
	assert_string_equal(ifname, "vsw-up");
	bad_spec("eth1", "want TYPE:IFNAME (TYPE one of tap, afpacket");
	bad_spec(":eth1", "want TYPE:IFNAME");
	bad_spec("vxlan:eth1", "unknown port type \"vxlan\"");
	bad_spec("tap:", "interface name empty or over 15 bytes");
	bad_spec("tap:sixteen-bytes-xy", "interface name empty or over 15 bytes");
	bad_spec(NULL, "want TYPE:IFNAME");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_classes),
		cmocka_unit_test(test_register_and_open),
		cmocka_unit_test(test_spec_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
