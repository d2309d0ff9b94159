/* test_addr.c - the family-aware address type (addr.h): parse and format of
 * both families, IPv4-mapped round trips, comparison, arithmetic, and
 * prefixes (parse, format, contains, overlap, within) for IPv4 and IPv6,
 * including that the two families never contain or overlap each other.
 *
 * Expected texts are written out by hand rather than produced by
 * inet_ntop, so a change of form (say, IPv4 printed as ::ffff:a.b.c.d,
 * which would break the state file) shows up here first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include "addr.h"

static union vs_addr A(const char *s)
{
	union vs_addr a;

	if (vs_addr_parse(s, &a))
		fail_msg("\"%s\" refused", s);
	return a;
}

static struct vs_prefix P(const char *s)
{
	struct vs_prefix p;
	char err[160];

	if (vs_prefix_parse(s, &p, true, err, sizeof(err)))
		fail_msg("%s", err);
	return p;
}

/* parse(s) then format must give WANT. */
static void round_trip(const char *s, const char *want)
{
	union vs_addr a = A(s);
	char buf[VS_ADDR_STRLEN];

	assert_string_equal(vs_addr_str(&a, buf, sizeof(buf)), want);
}

static void test_v4(void **state)
{
	union vs_addr a = A("172.18.0.2");
	static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
					    172, 18, 0, 2 };

	(void)state;
	assert_true(vs_addr_is_v4(&a));
	assert_int_equal(vs_addr_family(&a), AF_INET);
	assert_memory_equal(a.b, mapped, 16);
	assert_int_equal(vs_addr_get_v4(&a), htonl(0xac120002));
	assert_true(vs_addr_eq_v4(&a, htonl(0xac120002)));
	assert_false(vs_addr_eq_v4(&a, htonl(0xac120003)));
	round_trip("172.18.0.2", "172.18.0.2");
	round_trip("0.0.0.0", "0.0.0.0");
	round_trip("255.255.255.255", "255.255.255.255");
	/* the constructor and the parser agree */
	a = vs_addr_v4(htonl(0x0a000001));
	assert_true(vs_addr_eq(&a, &(union vs_addr){ .b = { [10] = 0xff, [11] = 0xff,
							     [12] = 10, [15] = 1 } }));
}

static void test_v6(void **state)
{
	union vs_addr a = A("fd00::5");

	(void)state;
	assert_false(vs_addr_is_v4(&a));
	assert_int_equal(vs_addr_family(&a), AF_INET6);
	assert_int_equal(a.b[0], 0xfd);
	assert_int_equal(a.b[15], 5);
	round_trip("fd00::5", "fd00::5");
	round_trip("FD00:0:0:0:0:0:0:5", "fd00::5");          /* RFC 5952 form */
	round_trip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	round_trip("::", "::");
	round_trip("::1", "::1");
	/* a v4-compatible (not mapped) address stays IPv6 */
	a = A("::10.0.0.1");
	assert_false(vs_addr_is_v4(&a));
}

/* ::ffff:a.b.c.d is the IPv4 address itself, in both directions. */
static void test_v4_mapped(void **state)
{
	union vs_addr m = A("::ffff:10.1.2.3"), v = A("10.1.2.3"), x;
	uint8_t wire4[4], wire16[16];

	(void)state;
	assert_true(vs_addr_is_v4(&m));
	assert_true(vs_addr_eq(&m, &v));
	round_trip("::ffff:10.1.2.3", "10.1.2.3");
	round_trip("::FFFF:a01:203", "10.1.2.3");
	assert_int_equal(vs_addr_parse_af("::ffff:10.1.2.3", AF_INET6, &x), -1);
	assert_int_equal(vs_addr_parse_af("10.1.2.3", AF_INET, &x), 0);
	assert_true(vs_addr_eq(&x, &v));
	assert_int_equal(vs_addr_parse_af("fd00::1", AF_INET, &x), -1);
	assert_int_equal(vs_addr_parse_af("fd00::1", AF_INET6, &x), 0);
	assert_int_equal(vs_addr_parse_af("10.1.2.3", AF_INET6, &x), -1);

	/* wire form: 4 bytes for IPv4, 16 for IPv6, and back */
	assert_int_equal(vs_addr_to_bytes(&v, wire4), 4);
	assert_memory_equal(wire4, "\x0a\x01\x02\x03", 4);
	vs_addr_from_bytes(&x, AF_INET, wire4);
	assert_true(vs_addr_eq(&x, &v));
	m = A("2001:db8::7");
	assert_int_equal(vs_addr_to_bytes(&m, wire16), 16);
	vs_addr_from_bytes(&x, AF_INET6, wire16);
	assert_true(vs_addr_eq(&x, &m));
}

static void test_bad_text(void **state)
{
	static const char *const bad[] = {
		"", " 10.0.0.1", "10.0.0.1 ", "10.0.0", "10.0.0.256", "10.0.0.1.2",
		"1O.0.0.1", "fd00:::1", "fd00::1::2", "g::1", "12345::", "::ffff:10.0.0.256",
		"10.0.0.1/24", "[fd00::1]", "fd00::1%eth0",
	};
	union vs_addr a, keep;
	size_t i;

	(void)state;
	memset(&keep, 0x5a, sizeof(keep));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = keep;
		if (vs_addr_parse(bad[i], &a) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_memory_equal(&a, &keep, sizeof(a));   /* left alone */
	}
	assert_int_equal(vs_addr_parse(NULL, &a), -1);
}

static void test_compare(void **state)
{
	union vs_addr a = A("10.0.0.1"), b = A("10.0.0.2"), z4 = A("0.0.0.0");
	union vs_addr z6 = A("::"), l6 = A("::1"), l4 = A("127.5.0.1"), v6 = A("fd00::1");
	union vs_addr zeroed;

	(void)state;
	assert_true(vs_addr_eq(&a, &a));
	assert_false(vs_addr_eq(&a, &b));
	assert_true(vs_addr_cmp(&a, &b) < 0);
	assert_true(vs_addr_cmp(&b, &a) > 0);
	assert_int_equal(vs_addr_cmp(&a, &a), 0);
	/* IPv6 under ::/16 sorts before IPv4, fd00:: after */
	assert_true(vs_addr_cmp(&l6, &a) < 0);
	assert_true(vs_addr_cmp(&a, &v6) < 0);
	/* both "any"s, and a zeroed union, are any; the two are not equal */
	memset(&zeroed, 0, sizeof(zeroed));
	assert_true(vs_addr_is_any(&z4));
	assert_true(vs_addr_is_any(&z6));
	assert_true(vs_addr_is_any(&zeroed));
	assert_false(vs_addr_is_any(&a));
	assert_false(vs_addr_is_any(&l6));
	assert_false(vs_addr_eq(&z4, &z6));
	assert_true(vs_addr_is_loopback(&l6));
	assert_true(vs_addr_is_loopback(&l4));
	assert_false(vs_addr_is_loopback(&a));
	assert_false(vs_addr_is_loopback(&z6));
}

static void test_add(void **state)
{
	union vs_addr a = A("10.0.0.255");
	char buf[VS_ADDR_STRLEN];

	(void)state;
	vs_addr_add(&a, 1);
	assert_string_equal(vs_addr_str(&a, buf, sizeof(buf)), "10.0.1.0");
	a = A("255.255.255.255");
	vs_addr_add(&a, 1);                  /* wraps within IPv4 */
	assert_true(vs_addr_is_v4(&a));
	assert_string_equal(vs_addr_str(&a, buf, sizeof(buf)), "0.0.0.0");
	a = A("fd00::ffff");
	vs_addr_add(&a, 1);
	assert_string_equal(vs_addr_str(&a, buf, sizeof(buf)), "fd00::1:0");
	a = A("fd00::ffff:ffff:ffff:ffff");
	vs_addr_add(&a, 2);                  /* carries past the low 64 bits */
	assert_string_equal(vs_addr_str(&a, buf, sizeof(buf)), "fd00:0:0:1::1");
	a = A("fd00::");
	vs_addr_add(&a, 0x10000);
	assert_string_equal(vs_addr_str(&a, buf, sizeof(buf)), "fd00::1:0");
}

static void test_prefix_parse(void **state)
{
	struct vs_prefix p, keep = { .len = 99 };
	char buf[VS_PREFIX_STRLEN], err[160];
	static const char *const bad[] = {
		"10.0.0.0", "10.0.0.0/33", "10.0.0.0/008", "10.0.0.0/-1", "10.0.0.0/",
		"/8", "fd00::/129", "fd00::/0064", "fd00::", "fd00::/+64", "fd00::/ 64",
		"fd00:::/64", "fd00::/64/1",
	};
	size_t i;

	(void)state;
	p = P("172.18.0.0/16");
	assert_int_equal(p.len, 16);
	assert_int_equal(vs_prefix_bits(&p), 112);
	assert_string_equal(vs_prefix_str(&p, buf, sizeof(buf)), "172.18.0.0/16");
	p = P("10.0.0.0/08");                  /* as ipam always read it */
	assert_int_equal(p.len, 8);
	p = P("fd00:1:2::/48");
	assert_int_equal(p.len, 48);
	assert_int_equal(vs_prefix_bits(&p), 48);
	assert_string_equal(vs_prefix_str(&p, buf, sizeof(buf)), "fd00:1:2::/48");
	p = P("::/0");
	assert_string_equal(vs_prefix_str(&p, buf, sizeof(buf)), "::/0");
	p = P("fd00::1/128");
	assert_string_equal(vs_prefix_str(&p, buf, sizeof(buf)), "fd00::1/128");

	/* host bits: refused with a suggestion when strict, cleared if not */
	assert_int_equal(vs_prefix_parse("fd00::1/64", &p, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fd00::/64"));
	assert_int_equal(vs_prefix_parse("10.1.2.3/16", &p, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "10.1.0.0/16"));
	assert_int_equal(vs_prefix_parse("fd00::1:2/112", &p, false, err, sizeof(err)), 0);
	assert_string_equal(vs_prefix_str(&p, buf, sizeof(buf)), "fd00::1:0/112");
	assert_int_equal(vs_prefix_parse("10.1.2.3/16", &p, false, err, sizeof(err)), 0);
	assert_string_equal(vs_prefix_str(&p, buf, sizeof(buf)), "10.1.0.0/16");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = keep;
		err[0] = '\0';
		if (vs_prefix_parse(bad[i], &p, false, err, sizeof(err)) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_true(err[0] && !strchr(err, '\n'));
		assert_int_equal(p.len, 99);        /* left alone */
	}
	assert_int_equal(vs_prefix_parse(NULL, &p, false, err, sizeof(err)), -1);
}

static void test_prefix_contains(void **state)
{
	struct vs_prefix n4 = P("10.1.0.0/16"), all4 = P("0.0.0.0/0"), h4 = P("10.1.2.3/32");
	struct vs_prefix n6 = P("fd00:1::/32"), all6 = P("::/0"), h6 = P("fd00::7/128");
	union vs_addr in4 = A("10.1.255.255"), out4 = A("10.2.0.0");
	union vs_addr in6 = A("fd00:1:ffff::1"), out6 = A("fd00:2::1");

	(void)state;
	assert_true(vs_prefix_contains(&n4, &in4));
	assert_false(vs_prefix_contains(&n4, &out4));
	assert_true(vs_prefix_contains_v4(&n4, vs_addr_get_v4(&in4)));
	assert_false(vs_prefix_contains_v4(&n4, vs_addr_get_v4(&out4)));
	assert_true(vs_prefix_contains(&all4, &out4));
	assert_true(vs_prefix_contains(&h4, &(union vs_addr){ .b = { [10] = 0xff, [11] = 0xff,
								       10, 1, 2, 3 } }));
	assert_false(vs_prefix_contains(&h4, &in4));
	assert_true(vs_prefix_contains(&n6, &in6));
	assert_false(vs_prefix_contains(&n6, &out6));
	out6 = A("fd00::7");
	assert_true(vs_prefix_contains(&h6, &out6));
	assert_false(vs_prefix_contains(&h6, &in6));
	assert_true(vs_prefix_contains(&all6, &in6));

	/* the families never mix, though the bits of ::/0 would say so */
	assert_false(vs_prefix_contains(&all6, &in4));
	assert_false(vs_prefix_contains(&all4, &in6));
	assert_false(vs_prefix_contains_v4(&all6, vs_addr_get_v4(&in4)));
}

static void test_prefix_sets(void **state)
{
	struct vs_prefix a = P("10.0.0.0/8"), b = P("10.1.0.0/16"), d = P("11.0.0.0/8");
	struct vs_prefix x = P("fd00::/16"), y = P("fd00:5::/32"), z = P("fd01::/16");
	struct vs_prefix all4 = P("0.0.0.0/0"), all6 = P("::/0");

	(void)state;
	assert_true(vs_prefix_overlap(&a, &b));
	assert_true(vs_prefix_overlap(&b, &a));
	assert_false(vs_prefix_overlap(&a, &d));
	assert_true(vs_prefix_overlap(&x, &y));
	assert_false(vs_prefix_overlap(&x, &z));
	assert_true(vs_prefix_overlap(&all6, &z));
	assert_false(vs_prefix_overlap(&all6, &a));
	assert_false(vs_prefix_overlap(&all4, &x));

	assert_true(vs_prefix_within(&b, &a));
	assert_false(vs_prefix_within(&a, &b));
	assert_true(vs_prefix_within(&y, &x));
	assert_false(vs_prefix_within(&x, &y));
	assert_false(vs_prefix_within(&z, &x));
	assert_true(vs_prefix_within(&y, &all6));
	assert_false(vs_prefix_within(&b, &all6));
}

static void test_prefix_misc(void **state)
{
	struct vs_prefix p = P("10.9.0.0/29"), p31 = P("10.9.0.0/31"), v6 = P("fd00::/64");
	struct vs_prefix all4 = P("0.0.0.0/0"), v6small = P("fd00::/120");
	union vs_addr a, m, b7 = A("10.9.0.7"), b6 = A("10.9.0.6"), b1 = A("10.9.0.1");
	union vs_addr ones6 = A("fd00::ffff:ffff:ffff:ffff");
	char buf[VS_ADDR_STRLEN];

	(void)state;
	assert_true(vs_prefix_is_broadcast(&p, &b7));
	assert_false(vs_prefix_is_broadcast(&p, &b6));
	assert_false(vs_prefix_is_broadcast(&p31, &b1));
	assert_false(vs_prefix_is_broadcast(&v6, &ones6));
	assert_true(vs_prefix_size(&p) == 8);
	assert_true(vs_prefix_size(&all4) == 1ull << 32);
	assert_true(vs_prefix_size(&v6) == UINT64_MAX);
	assert_true(vs_prefix_size(&v6small) == 256);
	assert_int_equal(vs_prefix_max_len(&p.addr), 32);
	assert_int_equal(vs_prefix_max_len(&v6.addr), 128);

	a = A("fd00:1234:5678:9abc::1");
	vs_addr_mask(&m, &a, 36);
	assert_string_equal(vs_addr_str(&m, buf, sizeof(buf)), "fd00:1234:5000::");
	vs_addr_mask(&m, &a, 0);
	assert_string_equal(vs_addr_str(&m, buf, sizeof(buf)), "::");
	vs_addr_mask(&m, &a, 128);
	assert_true(vs_addr_eq(&m, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_prefix_sets),
		cmocka_unit_test(test_prefix_misc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
