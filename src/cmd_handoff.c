/* cmd_handoff.c - control commands of hand-off endpoints (endpoint_handoff.c).
 *
 * endpoint.sandbox records where a runtime moves a hand-off container's
 * device: Docker's Join gives the sandbox (its SandboxKey, a namespace
 * path) before it moves the device there, and Leave points back at
 * dockerd's own namespace, where Docker returns the device before
 * DeleteEndpoint.  Only the record changes (and is saved before the
 * answer, like every change); the device is the runtime's to move, and
 * nothing is configured in either namespace.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "control.h"
#include "endpoint.h"
#include "log.h"
#include "model.h"
#include "state.h"

static int cmd_handoff_sandbox(struct ctl_conn *conn, struct json_object *args,
			       struct json_object **result, char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network"), *name = ctl_arg_str(args, "container");
	const char *ref = ctl_arg_str(args, "sandbox");
	struct network *n = net ? model_network(net) : NULL;
	struct container *c = name ? model_container(name) : NULL;
	struct endpoint *ep = n && c ? model_endpoint(n, c) : NULL;
	char old[sizeof(c->netns_ref)];

	if (!n || !c || !ep) {
		snprintf(err, errlen, !n ? "network %s not found" : !c ? "container %s not found"
			 : "container %s is not connected to network %s",
			 !n ? (net ? net : "") : name, n ? n->name : "");
		return -1;
	}
	if (!ep->handoff) {
		snprintf(err, errlen, "endpoint %s on %s is not a hand-off endpoint", c->name, n->name);
		return -1;
	}
	if (!ref || !*ref) {
		snprintf(err, errlen, "sandbox must name a namespace");
		return -1;
	}
	snprintf(old, sizeof(old), "%s", c->netns_ref);
	if (endpoint_handoff_move(c, ref, err, errlen) < 0)
		return -1;
	if (state_save(err, errlen)) {
		snprintf(c->netns_ref, sizeof(c->netns_ref), "%s", old);
		return -1;
	}
	log_info("container %s: its device follows the runtime to %s", c->name, ref);
	*result = json_object_new_object();
	return 0;
}

void cmd_handoff_init(void)
{
	control_register("endpoint.sandbox", cmd_handoff_sandbox);
}
