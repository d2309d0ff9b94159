/* fuzz_dns.c - libFuzzer target for the DNS wire parser (dns_wire.c).
 *
 * Feeds arbitrary bytes to everything in dns_wire.c that reads network
 * input: the query parser, the name reader at every offset, the question
 * comparison and truncation used on upstream answers, and the reply
 * builder on whatever the parser accepted.  AddressSanitizer turns any
 * out-of-bounds read or write into a crash; a compression loop would show
 * as a timeout.  Built and run by `make fuzz` (mk/dns.mk).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dns_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_dns_reply(const uint8_t *data, size_t size, const struct dns_query *q)
{
	uint8_t out[600];
	struct dns_msg m = { .buf = out, .cap = sizeof(out) };
	static const uint8_t ptr[2] = { 0xc0, 12 };
	uint32_t a = 0x0100000a;

	if (!dns_wire_reply_start(&m, data, q, 0, true))
		return;
	while (!m.full)
		dns_wire_add_rr(&m, ptr, 2, DNS_T_A, DNS_TTL, &a, 4);
	dns_wire_add_opt(&m, 1232, 0);
	dns_wire_finish(&m, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t wire[DNS_NAME_WIRE_MAX], *copy;
	char text[DNS_NAME_WIRE_MAX + 1];
	struct dns_query q;
	size_t off, wl, next;
	bool plain;
	int rc;

	rc = dns_wire_parse_query(data, size, &q);
	if (rc != DNS_PARSE_DROP)
		fuzz_dns_reply(data, size, &q);
	for (off = 0; off < size && off < 512; off++)
		if (dns_wire_name(data, size, off, wire, &wl, &next) == 0) {
			if (next > size || wl > DNS_NAME_WIRE_MAX)
				abort();
			dns_wire_name_text(wire, wl, text, sizeof(text), &plain);
		}
	dns_wire_same_question(data, size, data, size);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (dns_wire_truncate(copy, size) > size)
		abort();
	free(copy);
	return 0;
}
