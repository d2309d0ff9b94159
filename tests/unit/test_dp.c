/* test_dp.c - two datapaths in one process, through the real pipeline.
 *
 * Issue 13 asked that nothing a packet consults be process-wide: each
 * struct dp has its own learning tables (and their settings and free
 * list) and its own port set (its ports, ids, dirty list, rx batch).
 * This test makes two with dp_init(), one network and two containers in
 * each, on fake ports whose frames go in through port.c's real rx
 * callback, ingress, L2 and egress, and checks that neither datapath sees
 * the other's MACs, ports, caps or queued frames, even where both hold
 * the same MAC (two L2 domains may; nothing links them).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>
#include <netinet/ip.h>
#include "csum.h"
#include "dp.h"
#include "fdb.h"
#include "hash.h"
#include "model.h"
#include "port.h"

/* ---- a fake port type: rx from td_rx_frame, tx into td_sent ---- */

#define TD_MAX_SENT 32

static const uint8_t *td_rx_frame;
static uint32_t td_rx_len;
static struct port *td_sent[TD_MAX_SENT];
static unsigned int td_n_sent;

static int td_port_rx(struct port *port, struct pkt_batch *b)
{
	(void)port;
	if (!td_rx_frame)
		return 0;
	memcpy(b->pkts[0].data, td_rx_frame, td_rx_len);
	b->pkts[0].len = td_rx_len;
	td_rx_frame = NULL;	/* the burst loop's next call finds nothing */
	return 1;
}

static int td_port_tx(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	unsigned int i;

	(void)pkts;
	for (i = 0; i < n && td_n_sent < TD_MAX_SENT; i++)
		td_sent[td_n_sent++] = port;
	return (int)n;
}

static void td_port_close(struct port *port, bool destroy)
{
	(void)destroy;
	close(port->fd);
}

static const struct port_ops td_port_ops = {
	.type = "test", .rx_burst = td_port_rx, .tx_burst = td_port_tx, .close = td_port_close,
};

static unsigned int td_sent_to(const struct port *port)
{
	unsigned int i, n = 0;

	for (i = 0; i < td_n_sent; i++)
		n += td_sent[i] == port;
	return n;
}

/* ---- the two worlds ---- */

static struct dp da, db;
static struct network *na, *nb;
static struct endpoint *a1, *a2, *b1, *b2;

static struct network *td_network(struct dp *dp, const char *name, const char *subnet)
{
	struct network *n = calloc(1, sizeof(*n));
	char err[128];

	assert_non_null(n);
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->id, sizeof(n->id), "%064x", (unsigned int)name[2]);
	assert_int_equal(vs_prefix_parse(subnet, &n->subnet, true, err, sizeof(err)), 0);
	n->gateway = n->subnet.addr;
	n->gateway.b[15] |= 1;
	n->icc = true;
	n->mtu = 1500;
	n->dp = dp;
	LIST_INIT(&n->endpoints);
	model_gw_mac(n, n->gw_mac);
	HASH_ADD_STR(g_model.networks, name, n);
	n->fdb = fdb_new(n);
	assert_non_null(n->fdb);
	return n;
}

/* An endpoint wired as endpoint.c's endpoint_wire() does, with MAC (or
 * its address's) and no port security, so that a test may send from a
 * second MAC. */
static struct endpoint *td_endpoint(struct network *n, const char *ctr, uint8_t host,
				    const uint8_t *mac)
{
	struct endpoint *ep = calloc(1, sizeof(*ep));
	struct container *c = model_container_add(ctr, NULL);
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);	/* never readable */

	assert_non_null(ep);
	assert_non_null(c);
	assert_true(fd >= 0);
	ep->net = n;
	ep->ctr = c;
	ep->ip = n->subnet.addr;
	ep->ip.b[15] |= host;
	if (mac)
		memcpy(ep->mac, mac, 6);
	else
		model_mac_from_ip(&ep->ip, ep->mac);
	model_endpoint_link(ep);
	ep->port = port_alloc(&td_port_ops, ctr, fd);
	assert_non_null(ep->port);
	ep->port->role = PORT_ROLE_ENDPOINT;
	ep->port->net = n;
	ep->port->ep = ep;
	n->n_ports++;
	port_start(ep->port, n->dp);
	return ep;
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(dp_init(&da, EV_DEFAULT, &g_model, 1024, err, sizeof(err)), 0);
	assert_int_equal(dp_init(&db, EV_DEFAULT, &g_model, 1024, err, sizeof(err)), 0);
	fdb_set_max_learned(&da.fdb, 1);	/* db keeps the default */
	na = td_network(&da, "dpa", "172.30.0.0/16");
	nb = td_network(&db, "dpb", "172.31.0.0/16");
	a1 = td_endpoint(na, "a1", 2, NULL);
	a2 = td_endpoint(na, "a2", 3, NULL);
	/* The same MAC in both datapaths: two L2 domains may both hold it. */
	b1 = td_endpoint(nb, "b1", 2, a1->mac);
	b2 = td_endpoint(nb, "b2", 3, NULL);
	td_n_sent = 0;
	return 0;
}

static int teardown(void **state)
{
	struct network *n, *tmp;
	struct endpoint *ep;

	(void)state;
	HASH_ITER(hh, g_model.networks, n, tmp) {
		fdb_free(n->fdb);	/* first: its entries point to the ports */
		n->fdb = NULL;
		LIST_FOREACH(ep, &n->endpoints, net_link)
			if (ep->port)
				port_destroy(ep->port, true);
	}
	model_clear();
	dp_fini(&da);
	dp_fini(&db);
	return 0;
}

/* A UDP frame from SRC_MAC and EP's address to DST_MAC/DST, in F. */
static uint32_t td_frame(uint8_t *f, const struct endpoint *ep, const uint8_t *src_mac,
			 const uint8_t *dst_mac, const struct endpoint *dst)
{
	struct iphdr ip = {
		.version = 4, .ihl = 5, .ttl = 64, .protocol = 17,
		.tot_len = htons(20 + 8 + 4),
		.saddr = vs_addr_get_v4(&ep->ip), .daddr = vs_addr_get_v4(&dst->ip),
	};
	static const uint8_t udp[12] = { 0x10, 0x00, 0x20, 0x00, 0x00, 0x0c };

	ip.check = csum(&ip, 20);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memcpy(f + 14, &ip, 20);
	memcpy(f + 34, udp, sizeof(udp));
	return 14 + 20 + sizeof(udp);
}

/* EP's port reads F: port.c's rx callback, as when its fd is readable. */
static void td_rx(struct endpoint *ep, const uint8_t *f, uint32_t len)
{
	td_rx_frame = f;
	td_rx_len = len;
	ev_invoke(EV_DEFAULT, &ep->port->io, EV_READ);
}

static void td_send(struct endpoint *from, const uint8_t *src_mac, struct endpoint *to)
{
	uint8_t f[128];

	td_rx(from, f, td_frame(f, from, src_mac, to->mac, to));
}

static void test_fdb_apart(void **state)
{
	(void)state;
	/* a1 learns its MAC in da; db has never heard of it */
	td_send(a1, a1->mac, a2);
	assert_ptr_equal(fdb_lookup(na->fdb, a1->mac), a1->port);
	assert_null(fdb_lookup(nb->fdb, a1->mac));
	assert_int_equal(td_sent_to(a2->port), 1);	/* flooded in na only */
	assert_int_equal(td_sent_to(b1->port) + td_sent_to(b2->port), 0);
	/* b1 sends from the same MAC: db learns it on b1, da keeps a1 */
	td_send(b1, b1->mac, b2);
	assert_ptr_equal(fdb_lookup(nb->fdb, a1->mac), b1->port);
	assert_ptr_equal(fdb_lookup(na->fdb, a1->mac), a1->port);
	assert_int_equal(td_sent_to(b2->port), 1);
	assert_int_equal(td_sent_to(a2->port), 1);
	/* a2 answers a1: known unicast in da, nothing reaches db's b1 */
	td_send(a2, a2->mac, a1);
	assert_int_equal(td_sent_to(a1->port), 1);
	assert_int_equal(td_sent_to(b1->port), 0);
	assert_int_equal(na->fdb->count, 2);
	assert_int_equal(nb->fdb->count, 1);
}

static void test_settings_apart(void **state)
{
	static const uint8_t other[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };

	(void)state;
	/* da caps a port at one MAC, db at the default */
	td_send(a1, a1->mac, a2);
	td_send(a1, other, a2);
	assert_int_equal(a1->port->stats.drops[DROP_FDB_CAP], 1);
	assert_null(fdb_lookup(na->fdb, other));
	td_send(b1, b1->mac, b2);
	td_send(b1, other, b2);
	assert_int_equal(b1->port->stats.drops[DROP_FDB_CAP], 0);
	assert_ptr_equal(fdb_lookup(nb->fdb, other), b1->port);
	/* aging too: only da's table ages at 5 s */
	fdb_set_aging(&da.fdb, 5);
	assert_int_equal(fdb_expire(nb->fdb, fdb_now(nb->fdb) + 6), 0);
	assert_int_equal(fdb_expire(na->fdb, fdb_now(na->fdb) + 6), 1);
	/* freed entries go to da's free list, not db's */
	assert_false(TAILQ_EMPTY(&da.fdb.free));
	assert_true(TAILQ_EMPTY(&db.fdb.free));
}

static void test_ports_apart(void **state)
{
	struct port *p;
	unsigned int n = 0;

	(void)state;
	assert_int_equal(port_count(&da), 2);
	assert_int_equal(port_count(&db), 2);
	for (p = port_next(&da, NULL); p; p = port_next(&da, p)) {
		assert_ptr_equal(p->dp, &da);
		n++;
	}
	assert_int_equal(n, 2);
	/* ids are per datapath: the same id names a port in each */
	assert_int_equal(a1->port->id, b1->port->id);
	assert_ptr_equal(port_by_id(&da, a1->port->id), a1->port);
	assert_ptr_equal(port_by_id(&db, b1->port->id), b1->port);
	/* a port that goes leaves its own datapath's set only */
	port_destroy(a2->port, true);
	a2->port = NULL;
	assert_int_equal(port_count(&da), 1);
	assert_int_equal(port_count(&db), 2);
	assert_null(port_by_id(&da, 2));
	assert_non_null(port_by_id(&db, 2));
}

static void test_queues_apart(void **state)
{
	uint8_t buf[PKT_BUF_SIZE] __attribute__((aligned(8)));
	struct pkt p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.data = buf + PKT_HEADROOM;
	p.len = td_frame(p.data, a1, a1->mac, a2->mac, a2);
	port_tx_queue(a2->port, &p);	/* queued in da, not sent yet */
	assert_int_equal(a2->port->txq_count, 1);
	port_tx_flush_all(&db);
	assert_int_equal(td_n_sent, 0);
	assert_int_equal(a2->port->txq_count, 1);
	port_tx_flush_all(&da);
	assert_int_equal(td_sent_to(a2->port), 1);
	assert_int_equal(a2->port->txq_count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fdb_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queues_apart, setup, teardown),
	};

	hash_set_basis(0x5eed);	/* a failure replays in the same buckets */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
