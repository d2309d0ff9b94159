/* endpoint.h - wiring an endpoint of the model to a port of the datapath.
 *
 * The control plane decides (network connect, state restore) and calls
 * these; they do everything that touches the kernel: open the container's
 * namespace, make or adopt the TAP or veth, configure the interface inside
 * the namespace, make the port and start it in the event loop.
 */
#ifndef VS_ENDPOINT_H
#define VS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

struct endpoint;
struct ev_loop;
struct port;


/* Before a connect saves its intent: check EP's interface name is free in
 * the container and pick a veth's host-side name.  Return: 0 or -1. */
int endpoint_prepare(struct endpoint *ep, char *err, size_t errlen);

/* At start-up, for an endpoint whose connect or disconnect was cut short:
 * remove whatever interface it may have left (no port is open). */
void endpoint_remove_leftovers(struct endpoint *ep);

/* Make (ADOPT false) or re-attach to (ADOPT true, after a restart) EP's
 * interface and port.  On failure everything done is undone and ERR says
 * why in one line.  Return: 0 or -1. */
int endpoint_attach(struct endpoint *ep, bool adopt, char *err, size_t errlen);

/* Stop and close EP's port.  DESTROY (disconnect, namespace death) also
 * removes the interface from the container; otherwise it stays for the
 * next vswitchd (shutdown). */
void endpoint_detach(struct endpoint *ep, bool destroy);

/* True if EP is its container's first endpoint: the one that sets the
 * default route (the connect reply and the CNI result say so). */
bool endpoint_is_first(const struct endpoint *ep);

/* endpoint_handoff.c: devices a runtime moves (Docker). */
struct container;
/* MAC and MTU on a new hand-off device, nothing else.  Return: 0 or -1. */
int endpoint_handoff_configure(struct endpoint *ep, char *err, size_t errlen);
/* The device's current name in the container's namespace (ethN). */
void endpoint_handoff_ifname(const struct endpoint *ep, char out[16]);
/* Point container C at namespace REF, where its device moves.  Return: 0 or -1. */
int endpoint_handoff_move(struct container *c, const char *ref, char *err, size_t errlen);

#endif
