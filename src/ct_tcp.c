/* ct_tcp.c - the TCP state machine of connection tracking.
 *
 * DOC: Theory of Operation
 *
 * States and transitions follow netfilter's tcp_conntracks[][][] table
 * (nf_conntrack_proto_tcp.c): the packet's flags pick one of six classes
 * (SYN, SYN+ACK, FIN, ACK, RST, none), and (direction, class, state) give
 * the next state, "ignore" (pass, keep the state) or "invalid" (drop and
 * count).  Only a SYN opens a connection: NAT must not invent a mapping
 * for a stray mid-stream segment.
 *
 * Limits: no sequence-number window tracking (netfilter's tcp_in_window);
 * the NAT does not need it to translate, and its absence costs only the
 * detection of out-of-window segments.
 *
 * A connection becomes ASSURED once it reaches ESTABLISHED after a reply
 * was seen; assured entries are never evicted to make room.  A SYN on a
 * TIME_WAIT (or CLOSE) tuple reopens it as a new connection (netfilter
 * does the same, so a client reusing its port quickly is not refused).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "ct.h"

enum ct_tcp_class { TC_SYN, TC_SYNACK, TC_FIN, TC_ACK, TC_RST, TC_NONE, TC_MAX };

#define sNO CT_TCP_NONE
#define sSS CT_TCP_SYN_SENT
#define sSR CT_TCP_SYN_RECV
#define sES CT_TCP_ESTABLISHED
#define sFW CT_TCP_FIN_WAIT
#define sCW CT_TCP_CLOSE_WAIT
#define sLA CT_TCP_LAST_ACK
#define sTW CT_TCP_TIME_WAIT
#define sCL CT_TCP_CLOSE
#define sS2 CT_TCP_SYN_SENT2
#define sIV CT_TCP_MAX           /* invalid */
#define sIG (CT_TCP_MAX + 1)     /* ignore */

/* [dir][class][state] -> next state; columns in enum ct_tcp_state order:
 *                sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
static const uint8_t ct_tcp_next[2][TC_MAX][CT_TCP_MAX] = {
	[CT_DIR_ORIG] = {
		[TC_SYN]    = { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
		[TC_SYNACK] = { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
		[TC_FIN]    = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		[TC_ACK]    = { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
		[TC_RST]    = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		[TC_NONE]   = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
	[CT_DIR_REPLY] = {
		[TC_SYN]    = { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
		[TC_SYNACK] = { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
		[TC_FIN]    = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		[TC_ACK]    = { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
		[TC_RST]    = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		[TC_NONE]   = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
};

static const enum ct_tclass ct_tcp_class_of[CT_TCP_MAX] = {
	[sNO] = CT_TC_TCP_SYN_SENT, [sSS] = CT_TC_TCP_SYN_SENT,
	[sSR] = CT_TC_TCP_SYN_RECV, [sES] = CT_TC_TCP_ESTABLISHED,
	[sFW] = CT_TC_TCP_FIN_WAIT, [sCW] = CT_TC_TCP_CLOSE_WAIT,
	[sLA] = CT_TC_TCP_LAST_ACK, [sTW] = CT_TC_TCP_TIME_WAIT,
	[sCL] = CT_TC_TCP_CLOSE, [sS2] = CT_TC_TCP_SYN_SENT,
};

static const char *const ct_tcp_names[CT_TCP_MAX] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

/* ct_tcp_pkt_class() - Which column of the table the flags select. */
static enum ct_tcp_class ct_tcp_pkt_class(const struct tcphdr *th)
{
	if (th->rst)
		return TC_RST;
	if (th->syn)
		return th->ack ? TC_SYNACK : TC_SYN;
	if (th->fin)
		return TC_FIN;
	if (th->ack)
		return TC_ACK;
	return TC_NONE;
}

static bool ct_tcp_valid_new(const void *l4, uint32_t len)
{
	const struct tcphdr *th = l4;

	return len >= sizeof(*th) && ct_tcp_pkt_class(th) == TC_SYN;
}

static void ct_tcp_new_conn(struct ct_entry *e, const void *l4, uint32_t len)
{
	(void)l4;
	(void)len;
	e->state = sSS;
	e->tclass = CT_TC_TCP_SYN_SENT;
}

/**
 * ct_tcp_conn_update() - Advance a TCP connection's state
 * @e:		entry
 * @dir:	direction of the packet
 * @l4:		TCP header
 * @len:	bytes available at @l4
 *
 * Return: DROP_NONE, or DROP_CT_INVALID / DROP_BAD_L4
 */
static enum drop_reason ct_tcp_conn_update(struct ct_entry *e, enum ct_dir dir,
					   const void *l4, uint32_t len)
{
	const struct tcphdr *th = l4;
	enum ct_tcp_class c;
	uint8_t next;

	if (len < sizeof(*th))
		return DROP_BAD_L4;
	c = ct_tcp_pkt_class(th);
	next = ct_tcp_next[dir][c][e->state < CT_TCP_MAX ? e->state : sNO];
	if (next == sIV)
		return DROP_CT_INVALID;
	if (next == sIG) {
		e->tclass = ct_tcp_class_of[e->state];
		return DROP_NONE;
	}
	if (c == TC_SYN && dir == CT_DIR_ORIG &&
	    (e->state == sTW || e->state == sCL)) {
		/* Reopened: a new connection on the old tuple. */
		e->flags &= (uint8_t)~(CT_F_ASSURED | CT_F_SEEN_REPLY);
	}
	if (next == sES && (e->flags & CT_F_SEEN_REPLY))
		e->flags |= CT_F_ASSURED;
	e->state = next;
	e->tclass = ct_tcp_class_of[next];
	return DROP_NONE;
}

static const char *ct_tcp_state_name(const struct ct_entry *e)
{
	return e->state < CT_TCP_MAX ? ct_tcp_names[e->state] : "?";
}

const struct ct_l4_proto ct_l4_tcp = {
	.proto = IPPROTO_TCP,
	.valid_new = ct_tcp_valid_new,
	.new_conn = ct_tcp_new_conn,
	.conn_update = ct_tcp_conn_update,
	.state_name = ct_tcp_state_name,
};
