/* ct_icmp.c - ICMP echo in connection tracking, keyed by identifier.
 *
 * Only echo requests open a connection; the tuple uses the echo
 * identifier as both "ports" so that the reply (same id, addresses
 * swapped) matches the reply tuple without a special case in the table.
 * ICMP errors never create entries: nat_icmp.c matches them against the
 * connection they quote (RFC 5508).  Timeout 30 s (netfilter's; RFC 5508
 * REQ-1 asks no less than 60 s only for the query mapping in use -- it is
 * configurable, see ct_set_timeout()).
 */
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include "ct.h"

static bool ct_icmp_valid_new(const void *l4, uint32_t len)
{
	const struct icmphdr *ih = l4;

	return len >= sizeof(*ih) && ih->type == ICMP_ECHO;
}

static void ct_icmp_new_conn(struct ct_entry *e, const void *l4, uint32_t len)
{
	(void)l4;
	(void)len;
	e->state = 0;
	e->tclass = CT_TC_ICMP;
}

static enum drop_reason ct_icmp_conn_update(struct ct_entry *e, enum ct_dir dir,
					    const void *l4, uint32_t len)
{
	const struct icmphdr *ih = l4;

	if (len < sizeof(*ih))
		return DROP_BAD_L4;
	if (ih->type != (dir == CT_DIR_ORIG ? ICMP_ECHO : ICMP_ECHOREPLY))
		return DROP_CT_INVALID;
	if (dir == CT_DIR_REPLY)
		e->flags |= CT_F_ASSURED;
	e->tclass = CT_TC_ICMP;
	return DROP_NONE;
}

static const char *ct_icmp_state_name(const struct ct_entry *e)
{
	(void)e;
	return "";
}

const struct ct_l4_proto ct_l4_icmp = {
	.proto = IPPROTO_ICMP,
	.valid_new = ct_icmp_valid_new,
	.new_conn = ct_icmp_new_conn,
	.conn_update = ct_icmp_conn_update,
	.state_name = ct_icmp_state_name,
};
