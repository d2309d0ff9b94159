/* test_port_offload.c - checksum completion and TSO splitting on crafted
 * frames, as a port with a vnet header (TAP IFF_VNET_HDR, AF_PACKET
 * PACKET_VNET_HDR) receives them, and the checks port_offload_rx() makes
 * before the pipeline trusts a header's offsets. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "csum.h"
#include "drop.h"
#include "pkt.h"
#include "port_offload.h"

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

/* Ethernet + IPv6 (40) + a 20-byte TCP header with PAYLOAD bytes. */
static uint32_t build6(uint8_t *f, uint32_t payload)
{
	uint32_t len = 14 + 40 + 20 + payload, i;

	memset(f, 0, len);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[18] = (uint8_t)((len - 54) >> 8);
	f[19] = (uint8_t)(len - 54);
	f[20] = 6;
	f[21] = 64;
	f[22] = 0xfd;             /* fd00::2 -> fd00::3 */
	f[37] = 2;
	f[38] = 0xfd;
	f[53] = 3;
	f[54 + 4] = 0x02;         /* seq 0x02000000 */
	f[54 + 12] = 0x50;        /* doff 5 */
	f[54 + 13] = 0x80 | 0x10 | 0x08 | 0x01;   /* CWR ACK PSH FIN */
	for (i = 0; i < payload; i++)
		f[74 + i] = (uint8_t)(i * 5 + 3);
	return len;
}

static uint16_t l4_verify6(const uint8_t *f, uint32_t len)
{
	return csum_fold(csum_partial(f + 54, len - 54,
				      csum_pseudo6(f + 22, f + 38, 6, len - 54)));
}

/* TSO6: payload length per segment, sequence, flags, checksums over the
 * IPv6 pseudo-header; the addresses and hop limit copied. */
static void test_tso6_split(void **state)
{
	static uint8_t f[4096], out[8 * 2048];
	uint32_t len = build6(f, 2500), lens[8], seq, i;
	int n;

	(void)state;
	n = port_offload_tso6(f, len, 1000, out, 2048, 8, lens);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		uint8_t *s = out + i * 2048;
		uint16_t plen;

		assert_int_equal(lens[i], 74 + (i < 2 ? 1000 : 500));
		memcpy(&plen, s + 18, 2);
		assert_int_equal(ntohs(plen), lens[i] - 54);
		assert_memory_equal(s, f, 18);                /* Ethernet, version, class */
		assert_memory_equal(s + 20, f + 20, 34);      /* nh, hop limit, addresses */
		assert_int_equal(l4_verify6(s, lens[i]), 0);
		memcpy(&seq, s + 58, 4);
		assert_int_equal(ntohl(seq), 0x02000000 + i * 1000);
		assert_int_equal(!!(s[67] & 0x01), i == 2);   /* FIN */
		assert_int_equal(!!(s[67] & 0x08), i == 2);   /* PSH */
		assert_int_equal(!!(s[67] & 0x80), i == 0);   /* CWR */
		assert_memory_equal(s + 74, f + 74 + i * 1000, lens[i] - 74);
	}
}

static void test_tso6_refuses(void **state)
{
	static uint8_t f[4096], out[4 * 2048];
	uint32_t len = build6(f, 2500), lens[4];

	(void)state;
	assert_int_equal(port_offload_tso6(f, len, 0, out, 2048, 4, lens), -1);
	assert_int_equal(port_offload_tso6(f, len, 100, out, 2048, 4, lens), -1);  /* > max */
	assert_int_equal(port_offload_tso6(f, 60, 1000, out, 2048, 4, lens), -1);  /* cut TCP */
	f[54 + 12] = 0xf0;        /* doff 15: options past the end */
	assert_int_equal(port_offload_tso6(f, 80, 1000, out, 2048, 4, lens), -1);
	f[54 + 12] = 0x50;
	f[20] = 0;                /* hop-by-hop options first: not cut */
	assert_int_equal(port_offload_tso6(f, len, 1000, out, 2048, 4, lens), -1);
	f[20] = 6;
	f[14] = 0x40;             /* version 4 in an IPv6 frame */
	assert_int_equal(port_offload_tso6(f, len, 1000, out, 2048, 4, lens), -1);
	f[14] = 0x60;
	f[13] = 0x00;             /* EtherType IPv4 */
	assert_int_equal(port_offload_tso6(f, len, 1000, out, 2048, 4, lens), -1);
}

/* A frame buffer placed as the datapath places frames: the IP header
 * after 14 bytes of Ethernet on a 4-byte boundary (pkt.h's headroom). */
static uint8_t *frame_buf(void)
{
	static uint8_t buf[4096 + 2] __attribute__((aligned(8)));

	return buf + 2;
}

/* A parsed TCP frame of PAYLOAD bytes in F, its vnet header a TSO one. */
static void tso_pkt(struct pkt *p, uint8_t *f, uint32_t payload)
{
	memset(p, 0, sizeof(*p));
	p->data = f;
	p->len = build(f, 6, 20, payload);
	f[34 + 12] = 0x50;
	assert_int_equal(pkt_parse(p), 0);
	p->vnet.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	p->vnet.csum_start = 34;
	p->vnet.csum_offset = 16;
	p->vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	p->vnet.gso_size = 1000;
	p->vnet.hdr_len = 54;
}

static void test_rx_takes_flags(void **state)
{
	uint8_t *f = frame_buf();
	struct pkt p;

	tso_pkt(&p, f, 2500);
	assert_int_equal(port_offload_rx(&p), 0);
	assert_int_equal(p.flags, PKT_F_GSO | PKT_F_CSUM_PARTIAL);

	tso_pkt(&p, f, 100);
	p.vnet.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	assert_int_equal(port_offload_rx(&p), 0);
	assert_int_equal(p.flags, PKT_F_CSUM_PARTIAL);

	tso_pkt(&p, f, 100);
	memset(&p.vnet, 0, sizeof(p.vnet));
	assert_int_equal(port_offload_rx(&p), 0);
	assert_int_equal(p.flags, 0);
}

static void test_rx_refuses_lies(void **state)
{
	uint8_t *f = frame_buf();
	struct pkt p;

	tso_pkt(&p, f, 2500);
	p.vnet.flags = 0;                  /* GSO without a partial checksum */
	assert_int_equal(port_offload_rx(&p), -DROP_BAD_L4);
	tso_pkt(&p, f, 2500);
	p.vnet.gso_size = 0;
	assert_int_equal(port_offload_rx(&p), -DROP_BAD_L4);
	tso_pkt(&p, f, 100);
	p.vnet.csum_start = (uint16_t)p.len;
	assert_int_equal(port_offload_rx(&p), -DROP_BAD_L4);
	tso_pkt(&p, f, 100);
	p.vnet.csum_offset = (uint16_t)(p.len - 34 - 1);   /* field past the end */
	assert_int_equal(port_offload_rx(&p), -DROP_BAD_L4);
}

/* A partial checksum that is not the L4 header's is finished at once, so
 * that NAT's update of the L4 checksum never meets it. */
static void test_rx_finishes_foreign_partial(void **state)
{
	uint8_t *f = frame_buf();
	struct pkt p;

	tso_pkt(&p, f, 100);
	p.vnet.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	p.vnet.csum_start = 54;            /* payload, not the TCP header */
	p.vnet.csum_offset = 0;
	f[54] = f[55] = 0;                 /* the sum's seed: none */
	assert_int_equal(port_offload_rx(&p), 0);
	assert_int_equal(p.flags, 0);
	assert_int_equal(csum(f + 54, p.len - 54), 0);
}

static void test_segment_by_gso_size(void **state)
{
	static uint8_t out[16 * 2048];
	uint8_t *f = frame_buf();
	uint32_t lens[PORT_OFFLOAD_SEG_MAX], slot, i;
	struct pkt p;
	int n;

	tso_pkt(&p, f, 2500);
	assert_int_equal(port_offload_rx(&p), 0);
	n = port_offload_segment(&p, out, sizeof(out), &slot, lens);
	assert_int_equal(n, 3);
	assert_int_equal(slot % 64, 0);
	assert_true(slot >= 54 + 1000);
	for (i = 0; i < 3; i++)
		assert_int_equal(l4_verify(out + i * slot, lens[i], 6), 0);
	assert_int_equal(port_offload_segment(&p, out, 2 * slot, &slot, lens), -1);
	/* A GSO type of the other family is a lie: refused. */
	p.vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	assert_int_equal(port_offload_segment(&p, out, sizeof(out), &slot, lens), -1);
	p.vnet.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	assert_int_equal(port_offload_segment(&p, out, sizeof(out), &slot, lens), -1);
}

/* A TCPv6 GSO frame as a TAP with TSO6 hands it over: cut by gso_size. */
static void test_segment_v6(void **state)
{
	static uint8_t out[16 * 2048];
	uint8_t *f = frame_buf();
	uint32_t lens[PORT_OFFLOAD_SEG_MAX], slot, i;
	struct pkt p;
	int n;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.data = f;
	p.len = build6(f, 3000);
	assert_int_equal(pkt_parse(&p), 0);
	p.vnet.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	p.vnet.csum_start = 54;
	p.vnet.csum_offset = 16;
	p.vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN;
	p.vnet.gso_size = 1220;
	assert_int_equal(port_offload_rx(&p), 0);
	assert_int_equal(p.flags, PKT_F_GSO | PKT_F_CSUM_PARTIAL);
	n = port_offload_segment(&p, out, sizeof(out), &slot, lens);
	assert_int_equal(n, 3);
	assert_int_equal(slot % 64, 0);
	assert_true(slot >= 74 + 1220);
	for (i = 0; i < 3; i++) {
		assert_int_equal(lens[i], 74 + (i < 2 ? 1220 : 560));
		assert_int_equal(l4_verify6(out + i * slot, lens[i]), 0);
	}
	p.vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;     /* the other family: a lie */
	assert_int_equal(port_offload_segment(&p, out, sizeof(out), &slot, lens), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_udp),
		cmocka_unit_test(test_tso4_split),
		cmocka_unit_test(test_tso4_refuses),
		cmocka_unit_test(test_tso6_split),
		cmocka_unit_test(test_tso6_refuses),
		cmocka_unit_test(test_segment_v6),
		cmocka_unit_test(test_rx_takes_flags),
		cmocka_unit_test(test_rx_refuses_lies),
		cmocka_unit_test(test_rx_finishes_foreign_partial),
		cmocka_unit_test(test_segment_by_gso_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
