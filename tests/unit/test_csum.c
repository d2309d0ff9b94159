/* test_csum.c - csum.h's incremental updates against full recomputation.
 *
 * NAT relies on RFC 1624 updates being exactly what a full RFC 1071 sum
 * would give, including the corner cases RFC 1624 was written for
 * (a field going to or from 0x0000/0xffff), so random and edge values are
 * checked against recomputing the whole buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "csum.h"

/* Checksum of BUF with the checksum field at CS_OFS taken as zero. */
static uint16_t full(uint8_t *buf, size_t len, size_t cs_ofs)
{
	uint16_t save;

	memcpy(&save, buf + cs_ofs, 2);
	memset(buf + cs_ofs, 0, 2);
	uint16_t c = csum(buf, len);
	memcpy(buf + cs_ofs, &save, 2);
	return c;
}

static void test_csum_known_vector(void **state)
{
	/* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 -> sum ddf2 */
	const uint8_t v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t c = csum(v, sizeof(v));
	const uint8_t *b = (const uint8_t *)&c;

	(void)state;
	assert_int_equal(b[0], 0x22);   /* ~0xddf2 = 0x220d, network order */
	assert_int_equal(b[1], 0x0d);
}

static void test_csum_odd_length(void **state)
{
	const uint8_t v[] = { 0x12, 0x34, 0x56 };
	uint8_t w[] = { 0x12, 0x34, 0x56, 0x00 };

	(void)state;
	assert_int_equal(csum(v, 3), csum(w, 4));
}

static void test_csum_update16_random(void **state)
{
	uint8_t buf[64];
	int iter, i;

	(void)state;
	srand(1);
	for (iter = 0; iter < 20000; iter++) {
		uint16_t cs, old, nw;
		size_t f = (size_t)(rand() % 30) * 2 + 2;

		for (i = 0; i < 64; i++)
			buf[i] = (uint8_t)rand();
		if (iter % 5 == 0)
			memset(buf + f, iter % 2 ? 0xff : 0x00, 2);
		cs = full(buf, sizeof(buf), 0);
		memcpy(buf, &cs, 2);
		memcpy(&old, buf + f, 2);
		nw = (uint16_t)(iter % 7 == 0 ? 0 : iter % 7 == 1 ? 0xffff : rand());
		memcpy(buf + f, &nw, 2);
		csum_update16(&cs, old, nw);
		/* one's complement has two zeros: compare as sums */
		uint16_t want = full(buf, sizeof(buf), 0);
		if (cs != want)
			assert_true((cs == 0xffff && want == 0) ||
				    (cs == 0 && want == 0xffff));
	}
}

static void test_csum_update32_random(void **state)
{
	uint8_t buf[40];
	int iter, i;

	(void)state;
	srand(2);
	for (iter = 0; iter < 20000; iter++) {
		uint16_t cs;
		uint32_t old, nw;

		for (i = 0; i < 40; i++)
			buf[i] = (uint8_t)rand();
		cs = full(buf, sizeof(buf), 10);
		memcpy(buf + 10, &cs, 2);
		memcpy(&old, buf + 12, 4);
		nw = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
		memcpy(buf + 12, &nw, 4);
		csum_update32(&cs, old, nw);
		memcpy(buf + 10, &cs, 2);
		/* verifying the whole buffer must give 0 (or its twin) */
		uint16_t v = csum(buf, sizeof(buf));
		assert_true(v == 0 || v == 0xffff);
	}
}

static void test_csum_pseudo4(void **state)
{
	uint8_t ph[12] = { 10, 0, 0, 1, 192, 168, 1, 2, 0, 17, 0, 28 };
	uint32_t s, d;

	(void)state;
	memcpy(&s, ph, 4);
	memcpy(&d, ph + 4, 4);
	assert_int_equal(csum_fold(csum_pseudo4(s, d, 17, 28)),
			 csum_fold(csum_partial(ph, 12, 0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_known_vector),
		cmocka_unit_test(test_csum_odd_length),
		cmocka_unit_test(test_csum_update16_random),
		cmocka_unit_test(test_csum_update32_random),
		cmocka_unit_test(test_csum_pseudo4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
