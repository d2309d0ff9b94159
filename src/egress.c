/* egress.c - the last decision before a frame is queued on a port.
 *
 * DOC: Theory of Operation
 *
 * Every frame the switch sends passes here, whether switched (l2_forward),
 * routed (gateway_deliver) or made by the switch (ARP and ICMP replies),
 * so the per-network output rules live in one place:
 *  - --no-icc: a frame from one container port to another container port
 *    of the same network is dropped (DROP_NO_ICC, counted on the input
 *    port).  Frames made by the switch (PKT_F_LOCAL, or no input port)
 *    and frames from the uplink pass, so the gateway, ARP with the gateway
 *    and egress traffic keep working, as Docker's icc=false does with its
 *    FORWARD rule between bridge ports.
 *  - MTU: a frame longer than the network's MTU plus the Ethernet header
 *    is dropped (DROP_MTU) unless it is a GSO frame that the port will
 *    segment.  Routed packets get ICMP "fragmentation needed" from the
 *    gateway before they get here; switched ones are the sender's fault.
 *  - dry run (vsctl trace): record the output port, queue nothing.
 * Then port_tx_queue() copies the frame into the port's tx area; port.c
 * flushes every dirty port once per burst.
 */
#include <net/ethernet.h>
#include "model.h"
#include "pipeline.h"
#include "port.h"
#include "trace.h"

#define EGRESS_DEFAULT_MTU 1500
/* The Ethernet header: no tagged frame gets this far (ingress.c and
 * uplink.c drop them as vlan_tagged). */
#define EGRESS_L2_OVERHEAD 14

static void egress_drop(struct pkt *p, struct port *out, enum drop_reason why)
{
	trace_stage(p, "egress");
	port_drop(p->in_port ? p->in_port : out, p, why);
}

/* --no-icc: container port to container port on one network. */
static bool egress_icc_denied(const struct port *out, const struct pkt *p)
{
	const struct port *in = p->in_port;

	if (!out->net || out->net->icc || !in || (p->flags & PKT_F_LOCAL))
		return false;
	if (in->role == PORT_ROLE_TUNNEL)	/* another host's container */
		return out->role == PORT_ROLE_ENDPOINT;
	return in->role == PORT_ROLE_ENDPOINT && out->role == PORT_ROLE_ENDPOINT &&
	       in->net == out->net;
}

static bool egress_too_big(const struct port *out, const struct pkt *p)
{
	int mtu;

	if (!out->net || (p->flags & PKT_F_GSO))
		return false;
	mtu = out->net->mtu > 0 ? out->net->mtu : EGRESS_DEFAULT_MTU;
	return p->len > (uint32_t)mtu + EGRESS_L2_OVERHEAD;
}

/**
 * egress_output() - Queue P on port OUT, or drop it for a reason
 * @out:	output port
 * @p:		frame (copied by port_tx_queue; not changed here)
 */
void egress_output(struct port *out, struct pkt *p)
{
	if (!out)
		return;
	if (egress_icc_denied(out, p)) {
		egress_drop(p, out, DROP_NO_ICC);
		return;
	}
	if (egress_too_big(out, p)) {
		egress_drop(p, out, DROP_MTU);
		return;
	}
	trace_stage(p, "egress");
	port_tx_queue(out, p);	/* a traced frame is recorded there, not sent */
}
