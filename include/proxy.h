/* proxy.h - the userspace proxy for published ports (proxy.c).
 *
 * One per datapath (dp->proxy), started by dp_init(): published ports on
 * 0.0.0.0 and 127.0.0.1 listen in vswitchd's own namespace and carry each
 * connection through the first uplink's host leg into the switch.
 */
#ifndef VS_PROXY_H
#define VS_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"

struct dp;
struct proxy;
struct json_object;

/* Where listeners come from when not from socket() in our namespace: a
 * rootless vswitchd gets them bound in the host's namespace from its
 * uplink supervisor (rootless_uplink.c).  Returns a nonblocking bound
 * (TCP: listening) fd, or -1 with errno. */
typedef int proxy_listen_fn(uint8_t proto, uint32_t host_ip, uint16_t port);
void proxy_set_listen_fn(proxy_listen_fn *fn);

struct proxy *proxy_new(struct dp *dp);
void proxy_free(struct proxy *px);
/* Listen on HOST_IP:[HOST_PORT, +COUNT); 0, or -1 with a one-line ERR. */
int proxy_add(struct proxy *px, uint8_t proto, const union vs_addr *host_ip,
	      uint16_t host_port, uint16_t count, char *err, size_t errlen);
void proxy_del(struct proxy *px, uint8_t proto, const union vs_addr *host_ip,
	       uint16_t host_port, uint16_t count);
/* Counters and what the proxy holds (vsctl stats: "proxy"). */
struct json_object *proxy_stats_json(const struct proxy *px);

#endif
