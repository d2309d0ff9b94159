/* trace.h - the typed events of `vsctl trace`, recorded by the stages.
 *
 * A traced frame (PKT_F_DRYRUN, p->trace set) runs through the real stage
 * functions; each decision is recorded as one event, as OVS's
 * ofproto/trace records oftrace nodes: the stage that decided, what it
 * decided (enum trace_decision), the drop reason where one applies, the
 * port concerned and, for NAT, the binding (tuple before and after).  The
 * verdict is computed from these fields only, never from words; the
 * human text is vsctl's rendering of them (src/vsctl_trace.c).
 *
 * Every helper here is a no-op for a frame that is not traced, so the
 * stages call them unconditionally; a real frame pays one pointer test.
 */
#ifndef VS_TRACE_H
#define VS_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include "drop.h"
#include "pkt.h"

struct ct_key;
struct port;

/* What a stage decided.  The names (trace_decision_names) are the JSON
 * "decision" values documented in doc/control-protocol.md. */
#define TRACE_DECISIONS(X) \
	X(STEP, "step")         /* a step on the way, no outcome by itself */ \
	X(ACCEPT, "accept")     /* ingress let the frame in */ \
	X(FORWARD, "forward")   /* switched to one known port */ \
	X(FLOOD, "flood")       /* sent to every port of the network */ \
	X(ROUTE, "route")       /* routed by a gateway */ \
	X(NAT, "nat")           /* translated: binding before/after */ \
	X(OUTPUT, "output")     /* queued on a port: leaves the switch */ \
	X(LOCAL, "local")       /* answered or consumed by the switch */ \
	X(DROP, "drop")         /* dropped: reason (drop.h) where one applies */

#define TRACE_ENUM(name, str) TRACE_##name,
enum trace_decision { TRACE_DECISIONS(TRACE_ENUM) TRACE_N_DECISIONS };
#undef TRACE_ENUM

extern const char *const trace_decision_names[TRACE_N_DECISIONS];

/* The kind of a NAT binding, as nat_plan() decides it (or "existing"). */
enum trace_nat_kind { TRACE_NAT_EXISTING, TRACE_NAT_SNAT, TRACE_NAT_DNAT, TRACE_NAT_HAIRPIN };

/* trace.c */
void trace_init(void);
void trace_event_add(const struct pkt *p, const char *stage, enum trace_decision d,
		     const struct port *port, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void trace_note_add(struct pkt *p, const char *stage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* trace_event(), trace_note() - Record a decision of a traced frame.
 * Every frame passes them, and a call to a variadic function costs its
 * register spill even when it returns at once (a tenth of an L2 frame's
 * instructions, measured with callgrind: doc/performance.md), so only a
 * traced frame makes the call.  P is evaluated twice: pass a variable. */
#define trace_event(p, ...) do { \
	if (__builtin_expect((p)->trace != NULL, 0)) \
		trace_event_add((p), __VA_ARGS__); \
} while (0)
#define trace_note(p, ...) do { \
	if (__builtin_expect((p)->trace != NULL, 0)) \
		trace_note_add((p), __VA_ARGS__); \
} while (0)
void trace_drop(const struct pkt *p, const struct port *port, enum drop_reason why);
void trace_nat(const struct pkt *p, enum trace_nat_kind kind, const struct ct_key *before,
	       const struct ct_key *after);
void trace_stage_set(const struct pkt *p, const char *stage);
void trace_output(const struct pkt *p, const struct port *port);
/* An overlay frame leaves by the tunnel PORT to VTEP:UDP_PORT with VNI:
 * an output event with its "tunnel" object. */
union vs_addr;
void trace_tunnel(const struct pkt *p, const struct port *port, const union vs_addr *vtep,
		  uint16_t udp_port, uint32_t vni);

/* trace_stage() - Name the stage that now holds a traced frame, so that a
 * drop counted by port_drop() is attributed to it. */
static inline void trace_stage(const struct pkt *p, const char *stage)
{
	if (__builtin_expect(p->trace != NULL, 0))
		trace_stage_set(p, stage);
}

#endif
