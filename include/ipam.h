/* ipam.h - address management: address policy, subnets, address allocation.
 *
 * Docker's rules, as DESIGN.md states them: the default network `bridge` is
 * 172.17.0.0/16; a network without --subnet gets the next free /16 from
 * 172.18.0.0/16 to 172.31.0.0/16, then /20s of 192.168.0.0/16; addresses go
 * out in order from --ip-range (else the subnet), skipping the network and
 * broadcast addresses, the gateway, aux addresses and addresses in use.
 *
 * Addresses and prefixes are the family-aware types of addr.h; the parsers
 * here are the policy on top of them: a network's first subnet is IPv4
 * (ipam_parse_cidr refuses IPv6 there with a clear reason); --ipv6 adds a
 * second, IPv6 subnet (the *6 functions).  Automatic IPv6 subnets are /64s
 * of the host's random ULA /48 (RFC 4193 3.2), as Docker's default pool
 * of fd00::/8 does; the /48 is drawn once and kept in the state file.
 */
#ifndef VS_IPAM_H
#define VS_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "model.h"

int ipam_parse_ip(const char *s, union vs_addr *addr);
int ipam_parse_cidr(const char *s, struct vs_prefix *c, bool strict, char *err, size_t errlen);
const char *ipam_ntoa(uint32_t addr, char buf[16]);
uint32_t ipam_mask(uint8_t len);
int ipam_auto_subnet(struct vs_prefix *out);
bool ipam_subnet_free(const struct vs_prefix *c, const struct network *except);
int ipam_alloc(const struct network *n, union vs_addr *addr, char *err, size_t errlen);
int ipam_alloc_after(const struct network *n, const union vs_addr *after, union vs_addr *addr,
		     char *err, size_t errlen);
int ipam_check_fixed(const struct network *n, const union vs_addr *addr, char *err, size_t errlen);
bool ipam_reserved(const struct network *n, const union vs_addr *addr);
/* IPv6: the second subnet of a --ipv6 network (ipam.c). */
int ipam_parse_ip6(const char *s, union vs_addr *addr);
int ipam_parse_cidr6(const char *s, struct vs_prefix *c, char *err, size_t errlen);
int ipam_auto_subnet6(struct vs_prefix *out);
bool ipam_subnet6_free(const struct vs_prefix *c, const struct network *except);
int ipam_alloc6(const struct network *n, union vs_addr *addr, char *err, size_t errlen);
int ipam_check_fixed6(const struct network *n, const union vs_addr *addr, char *err, size_t errlen);
/* Set by the cluster (cluster_net.c): an address another host holds on
 * global network N; NULL without a cluster. */
extern bool (*ipam_remote_taken)(const struct network *n, const union vs_addr *addr);
int ipam_parse_mac(const char *s, uint8_t mac[6]);
const char *ipam_mac_str(const uint8_t mac[6], char buf[18]);

#endif
