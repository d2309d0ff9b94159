/* control.h - the daemon side of vsctl's JSON-over-unix-socket protocol.
 *
 * Each module registers the commands it owns (control_register), as OVS
 * modules call unixctl_command_register(): the ct module owns "conntrack.*",
 * dns owns nothing yet, capture owns "capture", and so on.  control.c knows
 * only framing and dispatch.  The protocol is in doc/control-protocol.md.
 *
 * A handler gets the request's "args" object and either fills *result
 * (ownership passes to control.c) and returns 0, or writes a one-line
 * message into err and returns -1.  A handler that changes state must
 * either apply the whole change or none of it, and call state_save()
 * before it returns so that the reply is sent only once the change is on
 * disk.
 *
 * A streaming command (capture) calls control_conn_detach() to take the
 * connection's fd for itself after its first reply.
 */
#ifndef VS_CONTROL_H
#define VS_CONTROL_H

#include <json-c/json.h>
#include <stddef.h>

struct ctl_conn;
struct ev_loop;

typedef int ctl_handler_fn(struct ctl_conn *c, struct json_object *args,
			   struct json_object **result, char *err, size_t errlen);

void control_register(const char *cmd, ctl_handler_fn *fn);
ctl_handler_fn *control_lookup(const char *cmd);
int control_init(struct ev_loop *loop, const char *path);
void control_fini(void);
/* Take the connection's fd (the caller now owns it; control.c forgets the
 * connection once the current reply has been written). */
int control_conn_detach(struct ctl_conn *c);
/* Send a reply now, before the handler returns (streaming commands).
 * Fails, never blocks the loop, if the client has not read the replies
 * to its earlier requests; waits at most a second for a full socket. */
int control_conn_reply(struct ctl_conn *c, struct json_object *reply);

/* Typed access to request arguments; absent keys give the default. */
const char *ctl_arg_str(struct json_object *args, const char *key);
int ctl_arg_bool(struct json_object *args, const char *key, int dflt);
long long ctl_arg_int(struct json_object *args, const char *key, long long dflt);

#endif
