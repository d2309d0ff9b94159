/* ct_icmp.c - ICMP and ICMPv6 echo in connection tracking, keyed by identifier.
 *
 * Only echo requests open a connection; the tuple uses the echo
 * identifier as both "ports" so that the reply (same id, addresses
 * swapped) matches the reply tuple without a special case in the table.
 * ICMP errors never create entries: nat_icmp.c matches them against the
 * connection they quote (RFC 5508).  Timeout 30 s (netfilter's; RFC 5508
 * REQ-1 asks no less than 60 s only for the query mapping in use -- it is
 * configurable, see ct_set_timeout()).
 *
 * ICMPv6 echo (RFC 4443 4.1, 4.2: request 128, reply 129) is the same
 * machine with its own type numbers, ct_l4_icmp6; its errors are
 * nat_icmp.c's likewise, and neighbour discovery never reaches conntrack
 * (the router ports answer it).
 */
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include "ct.h"

static bool ct_icmp_valid_new(const void *l4, uint32_t len)
{
	const struct icmphdr *ih = l4;

	return len >= sizeof(*ih) && ih->type == ICMP_ECHO;
}

static bool ct_icmp6_valid_new(const void *l4, uint32_t len)
{
	const struct icmp6_hdr *ih = l4;

	return len >= sizeof(*ih) && ih->icmp6_type == ICMP6_ECHO_REQUEST;
}

static void ct_icmp_new_conn(struct ct_entry *e, const void *l4, uint32_t len)
{
	(void)l4;
	(void)len;
	e->state = 0;
	e->tclass = CT_TC_ICMP;
}

/* ct_icmp_echo_update() - An echo request (REQ) or reply (REP) of type
 * TYPE in DIR: requests go the original way, replies come back. */
static enum drop_reason ct_icmp_echo_update(struct ct_entry *e, enum ct_dir dir, uint8_t type,
					    uint8_t req, uint8_t rep)
{
	if (type != (dir == CT_DIR_ORIG ? req : rep))
		return DROP_CT_INVALID;
	if (dir == CT_DIR_REPLY)
		e->flags |= CT_F_ASSURED;
	e->tclass = CT_TC_ICMP;
	return DROP_NONE;
}

static enum drop_reason ct_icmp_conn_update(struct ct_entry *e, enum ct_dir dir,
					    const void *l4, uint32_t len)
{
	const struct icmphdr *ih = l4;

	if (len < sizeof(*ih))
		return DROP_BAD_L4;
	return ct_icmp_echo_update(e, dir, ih->type, ICMP_ECHO, ICMP_ECHOREPLY);
}

static enum drop_reason ct_icmp6_conn_update(struct ct_entry *e, enum ct_dir dir,
					     const void *l4, uint32_t len)
{
	const struct icmp6_hdr *ih = l4;

	if (len < sizeof(*ih))
		return DROP_BAD_L4;
	return ct_icmp_echo_update(e, dir, ih->icmp6_type, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY);
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

const struct ct_l4_proto ct_l4_icmp6 = {
	.proto = IPPROTO_ICMPV6,
	.valid_new = ct_icmp6_valid_new,
	.new_conn = ct_icmp_new_conn,
	.conn_update = ct_icmp6_conn_update,
	.state_name = ct_icmp_state_name,
};
