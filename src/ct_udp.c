/* ct_udp.c - UDP in connection tracking: unreplied, then assured.
 *
 * UDP has no state on the wire, so a flow is "unreplied" until a packet
 * comes back, then "assured".  The two get separate timeout classes:
 * RFC 4787 REQ-5 asks at least 2 minutes for any mapping (and recommends
 * 5 for the ones in use), so even unreplied flows live 120 s here, unlike
 * netfilter's 30 s.
 */
#include <netinet/in.h>
#include <netinet/udp.h>
#include "ct.h"

enum ct_udp_state { CT_UDP_UNREPLIED, CT_UDP_ASSURED };

static bool ct_udp_valid_new(const void *l4, uint32_t len)
{
	(void)l4;
	return len >= sizeof(struct udphdr);
}

static void ct_udp_new_conn(struct ct_entry *e, const void *l4, uint32_t len)
{
	(void)l4;
	(void)len;
	e->state = CT_UDP_UNREPLIED;
	e->tclass = CT_TC_UDP_UNREPLIED;
}

static enum drop_reason ct_udp_conn_update(struct ct_entry *e, enum ct_dir dir,
					   const void *l4, uint32_t len)
{
	(void)l4;
	if (len < sizeof(struct udphdr))
		return DROP_BAD_L4;
	if (dir == CT_DIR_REPLY || (e->flags & CT_F_SEEN_REPLY)) {
		e->state = CT_UDP_ASSURED;
		e->flags |= CT_F_ASSURED;
		e->tclass = CT_TC_UDP_ASSURED;
	} else {
		e->tclass = CT_TC_UDP_UNREPLIED;
	}
	return DROP_NONE;
}

static const char *ct_udp_state_name(const struct ct_entry *e)
{
	(void)e;
	return "";     /* conntrack -L prints no state for UDP */
}

const struct ct_l4_proto ct_l4_udp = {
	.proto = IPPROTO_UDP,
	.valid_new = ct_udp_valid_new,
	.new_conn = ct_udp_new_conn,
	.conn_update = ct_udp_conn_update,
	.state_name = ct_udp_state_name,
};
