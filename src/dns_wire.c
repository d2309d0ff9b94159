/* dns_wire.c - DNS messages on the wire: a strict parser and a small builder.
 *
 * Theory of Operation
 *
 * Every byte parsed here comes from a container or an upstream server, so
 * the parser trusts nothing: each read is checked against the message
 * length first, counts in the header are believed only as far as the
 * records they announce actually fit, and a name is at most 255 bytes of
 * at most 63-byte labels (RFC 1035 2.3.4).
 *
 * Compression pointers (RFC 1035 4.1.4) are where parsers loop forever.
 * Here a pointer must point strictly before the lowest offset the name has
 * visited so far, and never into the header; offsets therefore fall at
 * every jump and a name can take no more jumps than the message has bytes.
 * No hop counter is needed, and loops of any shape are impossible.
 *
 * The parser answers one question: what should the resolver do with this
 * query?  DNS_PARSE_OK; an rcode to answer with (FORMERR for counts that
 * lie or trailing bytes, NOTIMP for opcodes other than QUERY); or
 * DNS_PARSE_DROP for what must get no answer at all (shorter than a
 * header, or a response: answering responses makes reflection loops).
 *
 * The builder writes into a caller's buffer and never past its end; an
 * RR that does not fit marks the message full and the reply gets TC=1, so
 * the client asks again over TCP.
 *
 * Limits: one question per query (as every resolver sends, RFC 9619); at
 * most DNS_MAX_ADDITIONAL additional records, of which one OPT.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "dns_internal.h"

#define DNS_MAX_ADDITIONAL 4

static uint16_t dns_wire_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void dns_wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * dns_wire_name() - Read a possibly compressed name into plain wire form
 * @msg:	the whole message (pointers are offsets into it)
 * @len:	its length
 * @off:	where the name starts
 * @wire:	out: the name, uncompressed, at least DNS_NAME_WIRE_MAX bytes
 * @wire_len:	out: its length including the final zero byte
 * @next:	out: offset just past the name where it sat in the message
 *
 * Return: 0, or -1 if the name is truncated, too long, has a label type
 * other than plain and pointer, or a pointer that does not go backwards.
 */
int dns_wire_name(const uint8_t *msg, size_t len, size_t off, uint8_t *wire,
		  size_t *wire_len, size_t *next)
{
	size_t pos = off, low = off, out = 0, after = 0;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -1;
		c = msg[pos];
		if (c == 0) {
			wire[out++] = 0;
			*wire_len = out;
			*next = jumped ? after : pos + 1;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -1;
			target = ((size_t)(c & 0x3f) << 8) | msg[pos + 1];
			/* Strictly backwards, below everything seen: no loops. */
			if (target >= low || target < DNS_HDR_LEN)
				return -1;
			if (!jumped)
				after = pos + 2;
			jumped = true;
			low = pos = target;
			continue;
		}
		if (c & 0xc0)        /* 0x40/0x80: extended label types, obsolete */
			return -1;
		/* Label of C bytes; keep room for the final zero. */
		if (pos + 1 + c > len || out + 1 + c + 1 > DNS_NAME_WIRE_MAX)
			return -1;
		memcpy(wire + out, msg + pos, 1 + (size_t)c);
		out += 1 + (size_t)c;
		pos += 1 + (size_t)c;
	}
}

/**
 * dns_wire_name_text() - Lowercase dotted text of a wire name
 * @wire:	uncompressed name (dns_wire_name's output)
 * @wire_len:	its length
 * @out:	buffer, at least DNS_NAME_WIRE_MAX + 1 bytes for any name
 * @outlen:	its size
 * @plain:	out: false if a label holds '.', '\\' or a non-printable byte
 *		(written as '?'), so the text cannot name a local record
 *
 * Return: length of the text, or -1 if it does not fit.
 */
int dns_wire_name_text(const uint8_t *wire, size_t wire_len, char *out,
		       size_t outlen, bool *plain)
{
	size_t pos = 0, o = 0;

	*plain = true;
	while (pos < wire_len && wire[pos]) {
		uint8_t l = wire[pos++];
		size_t i;

		if (l > DNS_LABEL_MAX || pos + l > wire_len)
			return -1;
		if (o && o + 1 < outlen)
			out[o++] = '.';
		for (i = 0; i < l; i++, pos++) {
			uint8_t ch = wire[pos];

			if (o + 1 >= outlen)
				return -1;
			if (ch <= 0x20 || ch >= 0x7f || ch == '.' || ch == '\\') {
				*plain = false;
				ch = '?';
			}
			out[o++] = (char)tolower(ch);
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = 0;
	return (int)o;
}

/**
 * dns_wire_name_from_text() - Encode dotted TEXT as an uncompressed name
 * @text:	"c2.n1" or "c2.n1." (empty labels are refused)
 * @wire:	output buffer
 * @cap:	its size
 *
 * Return: length in bytes including the final zero, or -1.
 */
int dns_wire_name_from_text(const char *text, uint8_t *wire, size_t cap)
{
	size_t o = 0;
	const char *p = text;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > DNS_LABEL_MAX || o + 1 + l + 1 > cap ||
		    o + 1 + l + 1 > DNS_NAME_WIRE_MAX)
			return -1;
		wire[o++] = (uint8_t)l;
		memcpy(wire + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	if (o + 1 > cap)
		return -1;
	wire[o++] = 0;
	return (int)o;
}

/* Skip one resource record at *POS; fill TYPE, CLASS, TTL, RDLEN and the
 * owner's wire length.  -1 if it does not fit in the message. */
static int dns_wire_skip_rr(const uint8_t *msg, size_t len, size_t *pos,
			    uint16_t *type, uint16_t *klass, uint32_t *ttl,
			    size_t *owner_len)
{
	uint8_t owner[DNS_NAME_WIRE_MAX];
	size_t next, rdlen;

	if (dns_wire_name(msg, len, *pos, owner, owner_len, &next) < 0)
		return -1;
	if (next + 10 > len)
		return -1;
	*type = dns_wire_get16(msg + next);
	*klass = dns_wire_get16(msg + next + 2);
	*ttl = ((uint32_t)dns_wire_get16(msg + next + 4) << 16) |
	       dns_wire_get16(msg + next + 6);
	rdlen = dns_wire_get16(msg + next + 8);
	if (next + 10 + rdlen > len)
		return -1;
	*pos = next + 10 + rdlen;
	return 0;
}

/* Parse the additional section from POS: at most one OPT (EDNS), which
 * must be owned by the root.  Returns DNS_PARSE_OK or FORMERR. */
static int dns_wire_parse_additional(const uint8_t *msg, size_t len, size_t pos,
				     struct dns_query *q)
{
	unsigned int i;

	if (q->arcount > DNS_MAX_ADDITIONAL)
		return DNS_RC_FORMERR;
	for (i = 0; i < q->arcount; i++) {
		uint16_t type, klass;
		uint32_t ttl;
		size_t owner_len;

		if (dns_wire_skip_rr(msg, len, &pos, &type, &klass, &ttl, &owner_len) < 0)
			return DNS_RC_FORMERR;
		if (type != DNS_T_OPT)
			continue;
		if (q->edns || owner_len != 1)     /* RFC 6891 6.1.1 */
			return DNS_RC_FORMERR;
		q->edns = true;
		q->edns_size = klass < 512 ? 512 : klass;
		q->edns_version = (uint8_t)(ttl >> 16);
		q->edns_do = (ttl & 0x8000) != 0;
	}
	/* Bytes after the last announced record: the counts lie. */
	return pos == len ? DNS_PARSE_OK : DNS_RC_FORMERR;
}

/**
 * dns_wire_parse_query() - Check a query and extract what the resolver needs
 * @msg:	the DNS message (UDP payload, or TCP message without its prefix)
 * @len:	its length
 * @q:		out: header fields, question, EDNS
 *
 * Return: DNS_PARSE_OK; DNS_PARSE_DROP (no reply: too short for a header,
 * or QR set); or an rcode to reply with (FORMERR, NOTIMP).  q->q_end is
 * non-zero whenever the question itself was sound, so that error replies
 * can echo it.
 */
int dns_wire_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
	uint8_t wire[DNS_NAME_WIRE_MAX];
	size_t wire_len, next;

	memset(q, 0, sizeof(*q));
	if (len < DNS_HDR_LEN)
		return DNS_PARSE_DROP;
	q->id = dns_wire_get16(msg);
	q->flags = dns_wire_get16(msg + 2);
	q->qdcount = dns_wire_get16(msg + 4);
	q->ancount = dns_wire_get16(msg + 6);
	q->nscount = dns_wire_get16(msg + 8);
	q->arcount = dns_wire_get16(msg + 10);
	if (q->flags & DNS_F_QR)
		return DNS_PARSE_DROP;
	if (DNS_F_OPCODE(q->flags) != 0)
		return DNS_RC_NOTIMP;
	if (q->qdcount != 1)
		return DNS_RC_FORMERR;
	if (dns_wire_name(msg, len, DNS_HDR_LEN, wire, &wire_len, &next) < 0 ||
	    next + 4 > len)
		return DNS_RC_FORMERR;
	if (dns_wire_name_text(wire, wire_len, q->name, sizeof(q->name),
			       &q->name_plain) < 0)
		return DNS_RC_FORMERR;
	q->qtype = dns_wire_get16(msg + next);
	q->qclass = dns_wire_get16(msg + next + 2);
	q->q_end = (uint16_t)(next + 4);
	if (q->ancount || q->nscount)
		return DNS_RC_FORMERR;
	return dns_wire_parse_additional(msg, len, q->q_end, q);
}

/* Question section of MSG as (name wire, type, class); -1 if absent. */
static int dns_wire_question(const uint8_t *msg, size_t len, uint8_t *wire,
			     size_t *wire_len, uint8_t tc[4])
{
	size_t next;

	if (len < DNS_HDR_LEN || dns_wire_get16(msg + 4) != 1)
		return -1;
	if (dns_wire_name(msg, len, DNS_HDR_LEN, wire, wire_len, &next) < 0 ||
	    next + 4 > len)
		return -1;
	memcpy(tc, msg + next, 4);
	return 0;
}

/**
 * dns_wire_same_question() - Do two messages ask the same question?
 * @a:		first message (e.g. the query we forwarded)
 * @alen:	its length
 * @b:		second message (e.g. the answer from upstream)
 * @blen:	its length
 *
 * Names compare case-insensitively (RFC 4343).  An upstream answer that
 * does not repeat our question is not an answer to it (RFC 5452 9.1).
 *
 * Return: true if both have one question with the same name, type, class.
 */
bool dns_wire_same_question(const uint8_t *a, size_t alen,
			    const uint8_t *b, size_t blen)
{
	uint8_t wa[DNS_NAME_WIRE_MAX], wb[DNS_NAME_WIRE_MAX], ta[4], tb[4];
	size_t la, lb, i;

	if (dns_wire_question(a, alen, wa, &la, ta) < 0 ||
	    dns_wire_question(b, blen, wb, &lb, tb) < 0)
		return false;
	if (la != lb || memcmp(ta, tb, 4))
		return false;
	for (i = 0; i < la; i++)
		if (tolower(wa[i]) != tolower(wb[i]))
			return false;
	return true;
}

/**
 * dns_wire_reply_start() - Begin a reply to Q: header, question echoed
 * @m:		message under construction (buf, cap set by the caller)
 * @query:	the query message (its question bytes are copied as sent)
 * @q:		the parsed query (q_end == 0: no question is echoed)
 * @rcode:	the response code (low four bits; BADVERS goes in OPT)
 * @aa:		set the authoritative-answer bit
 *
 * A valid query's question is never compressed (a pointer at offset 12
 * could only point into the header), so its bytes copy as they are.
 *
 * Return: the length written, 0 if even the header does not fit.
 */
size_t dns_wire_reply_start(struct dns_msg *m, const uint8_t *query,
			    const struct dns_query *q, int rcode, bool aa)
{
	size_t qlen = q->q_end ? (size_t)q->q_end - DNS_HDR_LEN : 0;
	uint16_t flags;

	m->len = 0;
	m->ancount = 0;
	m->full = false;
	if (m->cap < DNS_HDR_LEN + qlen)
		return 0;
	flags = DNS_F_QR | (q->flags & (0x7800 | DNS_F_RD | 0x0010)) | DNS_F_RA |
		(aa ? DNS_F_AA : 0) | (rcode & 0xf);
	dns_wire_put16(m->buf, q->id);
	dns_wire_put16(m->buf + 2, flags);
	dns_wire_put16(m->buf + 4, qlen ? 1 : 0);
	memset(m->buf + 6, 0, 6);
	if (qlen)
		memcpy(m->buf + DNS_HDR_LEN, query + DNS_HDR_LEN, qlen);
	m->len = DNS_HDR_LEN + qlen;
	return m->len;
}

/**
 * dns_wire_add_rr() - Append one answer record of class IN
 * @m:		message under construction
 * @owner:	owner name in wire form (may be a 2-byte pointer, 0xc0 0x0c)
 * @owner_len:	its length
 * @type:	RR type
 * @ttl:	TTL in seconds
 * @rdata:	RDATA
 * @rdlen:	its length
 *
 * Return: 0, or -1 (and m->full set) if it does not fit.
 */
int dns_wire_add_rr(struct dns_msg *m, const uint8_t *owner, size_t owner_len,
		    uint16_t type, uint32_t ttl, const void *rdata, size_t rdlen)
{
	uint8_t *p;

	if (m->full || rdlen > 0xffff ||
	    m->len + owner_len + 10 + rdlen > m->cap) {
		m->full = true;
		return -1;
	}
	p = m->buf + m->len;
	memcpy(p, owner, owner_len);
	p += owner_len;
	dns_wire_put16(p, type);
	dns_wire_put16(p + 2, DNS_CLASS_IN);
	dns_wire_put16(p + 4, (uint16_t)(ttl >> 16));
	dns_wire_put16(p + 6, (uint16_t)ttl);
	dns_wire_put16(p + 8, (uint16_t)rdlen);
	memcpy(p + 10, rdata, rdlen);
	m->len += owner_len + 10 + rdlen;
	m->ancount++;
	return 0;
}

/**
 * dns_wire_add_opt() - Append our OPT record (RFC 6891 6.1.2)
 * @m:		message under construction (after the answers)
 * @udp_size:	the payload size we accept
 * @ext_rcode:	upper eight bits of a 12-bit rcode (1 for BADVERS)
 *
 * Return: 0, or -1 if it does not fit.
 */
int dns_wire_add_opt(struct dns_msg *m, uint16_t udp_size, uint8_t ext_rcode)
{
	uint8_t *p;

	if (m->len + 11 > m->cap)
		return -1;
	p = m->buf + m->len;
	p[0] = 0;
	dns_wire_put16(p + 1, DNS_T_OPT);
	dns_wire_put16(p + 3, udp_size);
	p[5] = ext_rcode;
	memset(p + 6, 0, 5);       /* version 0, flags 0, rdlen 0 */
	m->len += 11;
	dns_wire_put16(m->buf + 10, (uint16_t)(dns_wire_get16(m->buf + 10) + 1));
	return 0;
}

/* Write the answer count, the rcode, and TC if an RR was left out. */
void dns_wire_finish(struct dns_msg *m, int rcode)
{
	uint16_t flags = dns_wire_get16(m->buf + 2);

	flags = (uint16_t)((flags & ~0xf) | (rcode & 0xf));
	if (m->full)
		flags |= DNS_F_TC;
	dns_wire_put16(m->buf + 2, flags);
	dns_wire_put16(m->buf + 6, m->ancount);
}

/**
 * dns_wire_truncate() - Cut a response down to header and question, TC=1
 * @msg:	the response (modified in place)
 * @len:	its length
 *
 * For an answer that cannot reach the client over UDP in one piece: the
 * client retries over TCP (RFC 1035 4.2.1, RFC 7766).
 *
 * Return: the new length.
 */
size_t dns_wire_truncate(uint8_t *msg, size_t len)
{
	uint8_t wire[DNS_NAME_WIRE_MAX], tc[4];
	size_t wire_len, next, keep = DNS_HDR_LEN;

	if (len < DNS_HDR_LEN)
		return len;
	if (dns_wire_question(msg, len, wire, &wire_len, tc) == 0 &&
	    dns_wire_name(msg, len, DNS_HDR_LEN, wire, &wire_len, &next) == 0)
		keep = next + 4;
	else
		dns_wire_put16(msg + 4, 0);
	dns_wire_put16(msg + 2, dns_wire_get16(msg + 2) | DNS_F_TC);
	memset(msg + 6, 0, 6);
	return keep;
}
