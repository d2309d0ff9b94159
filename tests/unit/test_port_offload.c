/* test_port_offload.c - checksum completion and TSO splitting on crafted
 * frames, as an AF_PACKET port with PACKET_VNET_HDR receives them. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "csum.h"
#include "ports.h"

static const uint8_t SRC[4] = { 10, 0, 0, 2 }, DST[4] = { 10, 0, 0, 3 };

/* Ethernet + IPv4 (20) + L4 header of L4LEN with PAYLOAD bytes. */
static uint32_t build(uint8_t *f, uint8_t proto, uint32_t l4len, uint32_t payload)
{
	uint32_t len = 14 + 20 + l4len + payload, i;
	uint16_t v;

	memset(f, 0, len);
	f[12] = 0x08;
	f[14] = 0x45;
	v = htons((uint16_t)(len - 14));
	memcpy(f + 16, &v, 2);
	f[18] = 0x12;             /* id 0x1234 */
	f[19] = 0x34;
	f[22] = 64;
	f[23] = proto;
	memcpy(f + 26, SRC, 4);
	memcpy(f + 30, DST, 4);
	for (i = 0; i < payload; i++)
		f[34 + l4len + i] = (uint8_t)(i * 7 + 1);
	return len;
}

/* A valid L4 checksum sums (with the pseudo-header) to 0xffff: csum 0. */
static uint16_t l4_verify(const uint8_t *f, uint32_t len, uint8_t proto)
{
	uint32_t s1, s2;

	memcpy(&s1, f + 26, 4);
	memcpy(&s2, f + 30, 4);
	return csum_fold(csum_partial(f + 34, len - 34,
				      csum_pseudo4(s1, s2, proto, (uint16_t)(len - 34))));
}

static void test_csum_udp(void **state)
{
	uint8_t f[256];
	uint32_t len = build(f, 17, 8, 37), s1, s2, partial;
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .csum_start = 34, .csum_offset = 6 };
	uint16_t v;

	v = htons((uint16_t)(len - 34));
	memcpy(f + 38, &v, 2);
	/* What the kernel leaves: the folded, uncomplemented pseudo sum. */
	memcpy(&s1, f + 26, 4);
	memcpy(&s2, f + 30, 4);
	partial = csum_pseudo4(s1, s2, 17, (uint16_t)(len - 34));
	v = (uint16_t)~csum_fold(partial);
	memcpy(f + 40, &v, 2);
	assert_true(port_offload_csum(f, len, &vh));
	assert_int_equal(l4_verify(f, len, 17), 0);

	vh.csum_start = (uint16_t)len;
	assert_false(port_offload_csum(f, len, &vh));
	vh.csum_start = (uint16_t)(len - 4);
	vh.csum_offset = 6;
	assert_false(port_offload_csum(f, len, &vh));
}

static void test_tso4_split(void **state)
{
	static uint8_t f[4096], out[8 * 2048];
	uint32_t len = build(f, 6, 20, 2500), lens[8], seq, i;
	int n;

	f[34 + 4] = 0x01;         /* seq 0x01000000 */
	f[34 + 12] = 0x50;        /* doff 5 */
	f[34 + 13] = 0x80 | 0x10 | 0x08 | 0x01;   /* CWR ACK PSH FIN */
	n = port_offload_tso4(f, len, 1000, out, 2048, 8, lens);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		uint8_t *s = out + i * 2048;
		uint16_t tot, id;

		assert_int_equal(lens[i], 54 + (i < 2 ? 1000 : 500));
		memcpy(&tot, s + 16, 2);
		assert_int_equal(ntohs(tot), lens[i] - 14);
		memcpy(&id, s + 18, 2);
		assert_int_equal(ntohs(id), 0x1234 + i);
		assert_int_equal(csum(s + 14, 20), 0);
		assert_int_equal(l4_verify(s, lens[i], 6), 0);
		memcpy(&seq, s + 38, 4);
		assert_int_equal(ntohl(seq), 0x01000000 + i * 1000);
		assert_int_equal(!!(s[47] & 0x01), i == 2);   /* FIN */
		assert_int_equal(!!(s[47] & 0x08), i == 2);   /* PSH */
		assert_int_equal(!!(s[47] & 0x80), i == 0);   /* CWR */
		assert_int_equal(!!(s[47] & 0x10), 1);        /* ACK */
		assert_memory_equal(s + 54, f + 54 + i * 1000, lens[i] - 54);
	}
}

static void test_tso4_refuses(void **state)
{
	static uint8_t f[4096], out[4 * 2048];
	uint32_t len = build(f, 6, 20, 2500), lens[4];

	f[34 + 12] = 0x50;
	assert_int_equal(port_offload_tso4(f, len, 0, out, 2048, 4, lens), -1);
	assert_int_equal(port_offload_tso4(f, len, 100, out, 2048, 4, lens), -1);  /* > max */
	assert_int_equal(port_offload_tso4(f, len, 2000, out, 2048, 4, lens), -1); /* > slot */
	assert_int_equal(port_offload_tso4(f, 40, 1000, out, 2048, 4, lens), -1);  /* cut TCP */
	f[34 + 12] = 0xf0;        /* doff 15: options past the end */
	assert_int_equal(port_offload_tso4(f, 60, 1000, out, 2048, 4, lens), -1);
	f[34 + 12] = 0x50;
	f[23] = 17;
	assert_int_equal(port_offload_tso4(f, len, 1000, out, 2048, 4, lens), -1);
	f[23] = 6;
	f[12] = 0x86;             /* not IPv4 */
	assert_int_equal(port_offload_tso4(f, len, 1000, out, 2048, 4, lens), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_udp),
		cmocka_unit_test(test_tso4_split),
		cmocka_unit_test(test_tso4_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
