/* test_pkt_ring.c - the TPACKET_V2 rx ring's walk and slot checks
 * (pkt_ring.c) on a ring laid out in ordinary memory as the kernel lays it
 * out: slots handed over in order, given back in order, and every slot
 * whose length or offset does not fit refused before anything is read.
 * The real ring on a socket is covered by tests/system/test_rx_ring.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pkt_ring.h"

#define SLOT 2048u
#define NSLOT 4u
/* Where tpacket_rcv() puts an Ethernet frame with a vnet header: after
 * TPACKET_ALIGN(52 + 16) = 80 bytes, plus 10 of vnet, minus the 14 of
 * the Ethernet header that come before the network header. */
#define MAC 76u

static uint8_t mem[SLOT * NSLOT] __attribute__((aligned(4096)));

static struct pkt_ring ring(void)
{
	struct pkt_ring r = { .map = mem, .map_len = sizeof(mem), .frame_size = SLOT,
			      .frame_nr = NSLOT, .head = 0 };

	memset(mem, 0, sizeof(mem));
	return r;
}

/* What the kernel writes for a frame of LEN bytes, SNAP of them in the
 * slot, and the status it sets last. */
static struct tpacket2_hdr *fill(unsigned int i, uint32_t mac, uint32_t len, uint32_t snap,
				 uint32_t status)
{
	struct tpacket2_hdr *h = (void *)(mem + i * SLOT);
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34 };
	uint32_t k;

	h->tp_mac = (uint16_t)mac;
	h->tp_len = len;
	h->tp_snaplen = snap;
	if (mac >= sizeof(vh) && (uint64_t)mac + snap <= SLOT) {
		memcpy(mem + i * SLOT + mac - sizeof(vh), &vh, sizeof(vh));
		for (k = 0; k < snap; k++)
			mem[i * SLOT + mac + k] = (uint8_t)(k + i);
	}
	h->tp_status = status;
	return h;
}

static void test_walk_in_order(void **state)
{
	struct pkt_ring r = ring();
	struct pkt_ring_frame f;
	struct tpacket2_hdr *h;
	unsigned int i;

	(void)state;
	assert_null(pkt_ring_peek(&r));           /* all slots the kernel's */
	for (i = 0; i < NSLOT; i++)
		fill(i, MAC, 60 + i, 60 + i, TP_STATUS_USER);
	for (i = 0; i < NSLOT; i++) {
		h = pkt_ring_peek(&r);
		assert_ptr_equal(h, mem + i * SLOT);
		assert_int_equal(pkt_ring_slot(&r, h, &f), PKT_RING_FRAME);
		assert_int_equal(f.len, 60 + i);
		assert_ptr_equal(f.data, mem + i * SLOT + MAC);
		assert_int_equal(f.data[1], (uint8_t)(1 + i));
		assert_int_equal(f.vnet->csum_start, 34);
		assert_int_equal(f.vnet->flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		pkt_ring_release(&r, h);
		assert_int_equal(h->tp_status, TP_STATUS_KERNEL);
	}
	assert_int_equal(r.head, 0);              /* wrapped around */
	assert_null(pkt_ring_peek(&r));
}

static void test_vlan_fields(void **state)
{
	struct pkt_ring r = ring();
	struct pkt_ring_frame f;
	struct tpacket2_hdr *h = fill(0, MAC, 64, 64,
				      TP_STATUS_USER | TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID);

	(void)state;
	h->tp_vlan_tci = 42;
	h->tp_vlan_tpid = 0x88a8;
	assert_int_equal(pkt_ring_slot(&r, pkt_ring_peek(&r), &f), PKT_RING_FRAME);
	assert_true(f.status & TP_STATUS_VLAN_VALID);
	assert_int_equal(f.vlan_tci, 42);
	assert_int_equal(f.vlan_tpid, 0x88a8);
}

/* A GSO frame of 64 KB: the slot has its first bytes, the queue the rest. */
static void test_copy_and_cut(void **state)
{
	struct pkt_ring r = ring();
	struct pkt_ring_frame f;

	(void)state;
	fill(0, MAC, 65000, SLOT - MAC, TP_STATUS_USER | TP_STATUS_COPY);
	fill(1, MAC, 65000, SLOT - MAC, TP_STATUS_USER);
	/* COPY wins even over a slot that looks wrong: the queue holds one */
	fill(2, 9999, 65000, 70000, TP_STATUS_USER | TP_STATUS_COPY);
	assert_int_equal(pkt_ring_slot(&r, (void *)mem, &f), PKT_RING_COPY);
	assert_int_equal(pkt_ring_slot(&r, (void *)(mem + SLOT), &f), PKT_RING_CUT);
	assert_int_equal(pkt_ring_slot(&r, (void *)(mem + 2 * SLOT), &f), PKT_RING_COPY);
}

static void test_bad_slots(void **state)
{
	static const struct { uint32_t mac, len, snap; } bad[] = {
		{ 0, 60, 60 },                   /* vnet header before the slot */
		{ 20, 60, 60 },                  /* over the slot's own header */
		{ SLOT + 1, 60, 0 },             /* frame starts past the slot */
		{ MAC, 4000, SLOT - MAC + 1 },   /* runs past the slot's end */
		{ MAC, 60, 0xffffffffu },        /* wraps around */
		{ MAC, 60, 100 },                /* more captured than sent */
		{ 0xffff, 60, 60 },
	};
	struct pkt_ring r = ring();
	struct pkt_ring_frame f;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tpacket2_hdr *h = fill(0, bad[i].mac, bad[i].len, bad[i].snap,
					      TP_STATUS_USER);

		memset(&f, 0, sizeof(f));
		assert_int_equal(pkt_ring_slot(&r, h, &f), PKT_RING_BAD);
		assert_null(f.data);
	}
	/* the largest frame that fits, right to the slot's last byte */
	fill(0, MAC, SLOT - MAC, SLOT - MAC, TP_STATUS_USER);
	assert_int_equal(pkt_ring_slot(&r, (void *)mem, &f), PKT_RING_FRAME);
	assert_int_equal(f.len, SLOT - MAC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_in_order),
		cmocka_unit_test(test_vlan_fields),
		cmocka_unit_test(test_copy_and_cut),
		cmocka_unit_test(test_bad_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
