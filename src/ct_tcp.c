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
 * Sequence check of RST and FIN (RFC 5961, audit finding 11): one RST
 * with any sequence number used to move an ESTABLISHED entry to CLOSE, so
 * a blind attacker who guessed the 4-tuple (port preservation makes that
 * 28 K guesses) silently killed idle NAT'd connections.  Now each
 * direction keeps what it sent (end = highest seq + length), what it
 * acknowledged (ack: the receiver's RCV.NXT) and the largest window it
 * advertised, scaled by its SYN's window scale (RFC 7323), and:
 *  - an RST whose seq is exactly the receiver's RCV.NXT, or the sender's
 *    next sequence number, acts (the table's transition);
 *  - one inside the receiver's window is passed on but changes nothing:
 *    the endpoint answers it with a challenge ACK (RFC 5961 3.2), and a
 *    genuine peer then resets with the exact number;
 *  - any other is dropped, tcp_out_of_window;
 *  - in SYN_SENT, a reply RST acts only if it acknowledges the SYN
 *    (RFC 793), as the client's own TCP would judge it;
 *  - a FIN must lie within a window of the receiver's RCV.NXT, either
 *    side (a retransmitted FIN lies behind it), else tcp_out_of_window.
 * Other segments are never dropped for their numbers (the endpoints
 * judge them), but only segments inside the window move what is
 * tracked, so a forged one cannot open the way for a forged RST.  An
 * entry restored from a snapshot has no numbers yet: it acts on RST as
 * before until both directions have been seen, and assumes the largest
 * window scale, since it never saw the SYNs.
 *
 * Limits: no full tcp_in_window (data segments outside the window pass;
 * the receiving TCP drops them); SACK blocks are not read.
 *
 * A connection becomes ASSURED once it reaches ESTABLISHED after a reply
 * was seen; assured entries are never evicted to make room.  A SYN on a
 * TIME_WAIT (or CLOSE) tuple reopens it as a new connection (netfilter
 * does the same, so a client reusing its port quickly is not refused).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include "ct.h"

#define CT_TCP_SEEN_ANY 1        /* a segment from this direction */
#define CT_TCP_SEEN_ACK 2        /* ... with ACK: td.ack is set */
#define CT_TCP_SEEN_WS 4         /* its SYN offered window scaling */
#define CT_TCP_SEEN_SYN 8        /* its SYN was seen (windows are known) */
#define CT_TCP_WS_MAX 14         /* RFC 7323 2.3 */
#define CT_TCP_OPT_WS 3

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

/* ct_tcp_flags() - TH's flags byte (TH_SYN...), read once per segment:
 * the bit-fields of struct tcphdr cost a load and a mask each, and every
 * segment asks for four of them several times. */
static inline uint8_t ct_tcp_flags(const struct tcphdr *th)
{
	return ((const uint8_t *)th)[13];
}

/* ct_tcp_pkt_class() - Which column of the table the flags select. */
static enum ct_tcp_class ct_tcp_pkt_class(uint8_t fl)
{
	if (fl & TH_RST)
		return TC_RST;
	if (fl & TH_SYN)
		return fl & TH_ACK ? TC_SYNACK : TC_SYN;
	if (fl & TH_FIN)
		return TC_FIN;
	if (fl & TH_ACK)
		return TC_ACK;
	return TC_NONE;
}

static bool ct_tcp_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* ct_tcp_wscale() - The window scale a SYN offers, or -1 (a bounded
 * walk of its options; parse.c checked doff against the length). */
static int ct_tcp_wscale(const struct tcphdr *th, uint32_t len)
{
	const uint8_t *o = (const uint8_t *)th + sizeof(*th);
	const uint8_t *end = (const uint8_t *)th + th->doff * 4u;

	if (th->doff * 4u > len)
		return -1;
	while (o < end && *o != TCPOPT_EOL) {
		if (*o == TCPOPT_NOP) {
			o++;
			continue;
		}
		if (end - o < 2 || o[1] < 2 || o[1] > end - o)
			return -1;
		if (o[0] == CT_TCP_OPT_WS && o[1] == 3)
			return o[2] > CT_TCP_WS_MAX ? CT_TCP_WS_MAX : o[2];
		o += o[1];
	}
	return -1;
}

/* ct_tcp_window() - The window TH (flags FL) advertises from direction
 * D, scaled.  The usual case, both SYNs seen and both offering scaling,
 * is one test. */
static uint32_t ct_tcp_window(const struct ct_entry *e, enum ct_dir dir,
			      const struct tcphdr *th, uint8_t fl)
{
	const struct ct_tcp_dir *d = &e->tcp[dir], *o = &e->tcp[!dir];
	const uint8_t scaled = CT_TCP_SEEN_SYN | CT_TCP_SEEN_WS;
	uint32_t win = ntohs(th->window);

	if (fl & TH_SYN)
		return win;              /* never scaled (RFC 7323 2.2) */
	if ((d->seen & o->seen & scaled) == scaled)
		return win << d->wscale;
	if (!(d->seen & CT_TCP_SEEN_SYN) || !(o->seen & CT_TCP_SEEN_SYN))
		return win << CT_TCP_WS_MAX;   /* restored: assume the widest */
	if ((d->seen & CT_TCP_SEEN_WS) && (o->seen & CT_TCP_SEEN_WS))
		return win << d->wscale;
	return win;
}

/* Sequence space TH (flags FL) takes: payload, plus one for SYN and for FIN. */
static uint32_t ct_tcp_seg_len(const struct tcphdr *th, uint32_t len, uint8_t fl)
{
	uint32_t hl = th->doff * 4u;

	return (hl <= len ? len - hl : 0) + !!(fl & TH_SYN) + (fl & TH_FIN);
}

/* ct_tcp_in_window() - Does [SEQ, SEQ+N] lie within a window either side
 * of what the receiver (the other direction) acknowledged?  True while
 * the receiver's numbers are unknown. */
static bool ct_tcp_in_window(const struct ct_entry *e, enum ct_dir dir, uint32_t seq,
			     uint32_t n)
{
	const struct ct_tcp_dir *r = &e->tcp[!dir];
	uint32_t win = r->maxwin ? r->maxwin : 1;

	if (!(r->seen & CT_TCP_SEEN_ACK))
		return true;
	return !ct_tcp_after(seq, r->ack + win) && !ct_tcp_after(r->ack - win, seq + n);
}

/**
 * ct_tcp_track() - Record what an accepted segment says of its direction
 * @e:		entry
 * @dir:	direction of the segment
 * @th:		its header
 * @len:	bytes at @th (header and payload)
 *
 * Every segment but an RST passes here, so it is inlined into
 * ct_tcp_conn_update(): the call and its saved registers were a tenth of
 * its cost.
 */
static inline __attribute__((always_inline))
void ct_tcp_track(struct ct_entry *e, enum ct_dir dir, const struct tcphdr *th, uint32_t len)
{
	struct ct_tcp_dir *d = &e->tcp[dir], *o = &e->tcp[!dir];
	uint8_t fl = ct_tcp_flags(th);
	uint32_t seq = ntohl(th->seq), n = ct_tcp_seg_len(th, len, fl), win, ack;
	int ws;

	if (fl & TH_SYN) {
		ws = ct_tcp_wscale(th, len);
		d->seen |= CT_TCP_SEEN_SYN | (ws >= 0 ? CT_TCP_SEEN_WS : 0);
		d->wscale = ws >= 0 ? (uint8_t)ws : 0;
	}
	if (!ct_tcp_in_window(e, dir, seq, n))
		return;                  /* forged or stray: teaches nothing */
	if (!(d->seen & CT_TCP_SEEN_ANY) || ct_tcp_after(seq + n, d->end))
		d->end = seq + n;
	ack = ntohl(th->ack_seq);
	if ((fl & TH_ACK) && (!(o->seen & CT_TCP_SEEN_ANY) || !ct_tcp_after(ack, o->end)) &&
	    (!(d->seen & CT_TCP_SEEN_ACK) || ct_tcp_after(ack, d->ack))) {
		d->ack = ack;
		d->seen |= CT_TCP_SEEN_ACK;
	}
	win = ct_tcp_window(e, dir, th, fl);
	if (win > d->maxwin)
		d->maxwin = win;
	d->seen |= CT_TCP_SEEN_ANY;
}

/* The result of the RFC 5961 check of an RST or FIN. */
enum ct_tcp_verdict { CT_TCP_ACT, CT_TCP_IGNORE, CT_TCP_REFUSE };

/**
 * ct_tcp_check_rst_fin() - RFC 5961 for an RST, the window for a FIN
 * @e:		entry
 * @dir:	direction of the segment
 * @th:		its header
 * @len:	bytes at @th
 *
 * Return: act on it, pass it without a state change, or refuse it
 */
static enum ct_tcp_verdict ct_tcp_check_rst_fin(const struct ct_entry *e, enum ct_dir dir,
						const struct tcphdr *th, uint32_t len)
{
	const struct ct_tcp_dir *r = &e->tcp[!dir], *d = &e->tcp[dir];
	uint32_t seq = ntohl(th->seq), win = r->maxwin ? r->maxwin : 1;

	if (!th->rst)
		return ct_tcp_in_window(e, dir, seq, ct_tcp_seg_len(th, len, ct_tcp_flags(th))) ?
		       CT_TCP_ACT : CT_TCP_REFUSE;
	if (e->state == CT_TCP_SYN_SENT && dir == CT_DIR_REPLY)
		return th->ack && ntohl(th->ack_seq) == r->end ? CT_TCP_ACT : CT_TCP_REFUSE;
	if (!(r->seen & CT_TCP_SEEN_ACK) || !(d->seen & CT_TCP_SEEN_ANY))
		return CT_TCP_ACT;       /* nothing known yet (restored) */
	if (seq == r->ack || ((d->seen & CT_TCP_SEEN_ANY) && seq == d->end))
		return CT_TCP_ACT;
	if (ct_tcp_after(seq, r->ack) && ct_tcp_after(r->ack + win, seq))
		return CT_TCP_IGNORE;    /* the endpoint sends a challenge ACK */
	return CT_TCP_REFUSE;
}

static bool ct_tcp_valid_new(const void *l4, uint32_t len)
{
	const struct tcphdr *th = l4;

	return len >= sizeof(*th) && ct_tcp_pkt_class(ct_tcp_flags(th)) == TC_SYN;
}

static void ct_tcp_new_conn(struct ct_entry *e, const void *l4, uint32_t len)
{
	e->state = sSS;
	e->tclass = CT_TC_TCP_SYN_SENT;
	memset(e->tcp, 0, sizeof(e->tcp));
	ct_tcp_track(e, CT_DIR_ORIG, l4, len);
}

/**
 * ct_tcp_conn_update() - Advance a TCP connection's state
 * @e:		entry
 * @dir:	direction of the packet
 * @l4:		TCP header
 * @len:	bytes available at @l4
 *
 * Return: DROP_NONE, or DROP_CT_INVALID / DROP_TCP_OUT_OF_WINDOW /
 * DROP_BAD_L4
 */
static enum drop_reason ct_tcp_conn_update(struct ct_entry *e, enum ct_dir dir,
					   const void *l4, uint32_t len)
{
	const struct tcphdr *th = l4;
	enum ct_tcp_class c;
	uint8_t next;

	if (len < sizeof(*th))
		return DROP_BAD_L4;
	c = ct_tcp_pkt_class(ct_tcp_flags(th));
	next = ct_tcp_next[dir][c][e->state < CT_TCP_MAX ? e->state : sNO];
	if (next == sIV)
		return DROP_CT_INVALID;
	if ((c == TC_RST || c == TC_FIN) && next != sIG) {
		switch (ct_tcp_check_rst_fin(e, dir, th, len)) {
		case CT_TCP_REFUSE:
			return DROP_TCP_OUT_OF_WINDOW;
		case CT_TCP_IGNORE:
			next = sIG;
			break;
		case CT_TCP_ACT:
			break;
		}
	}
	if (c != TC_RST)
		ct_tcp_track(e, dir, th, len);
	if (next == sIG) {
		e->tclass = ct_tcp_class_of[e->state];
		return DROP_NONE;
	}
	if (c == TC_SYN && dir == CT_DIR_ORIG &&
	    (e->state == sTW || e->state == sCL)) {
		/* Reopened: a new connection on the old tuple, new numbers. */
		e->flags &= (uint8_t)~(CT_F_ASSURED | CT_F_SEEN_REPLY);
		memset(e->tcp, 0, sizeof(e->tcp));
		ct_tcp_track(e, dir, th, len);
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
