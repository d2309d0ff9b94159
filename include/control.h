/* control.h - the daemon side of vsctl's JSON-over-unix-socket protocol.
 *
 * Each module registers the commands it owns with their rows of the
 * schema (ctl_schema.h), control_register(&ctl_schema_trace, fn), as OVS
 * modules call unixctl_command_register() with their usage: the ct module
 * owns "conntrack.*", capture owns "capture", and so on.  control.c knows
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
 *
 * Before a handler runs, control_check.c has checked the request: its
 * "args" hold only the keys the command's schema row names, each of the
 * type the row says, and the required ones.  So the ctl_arg_*()
 * accessors below never meet a value of the wrong type; a handler still
 * judges what the values mean before it changes anything.
 *
 * Who may connect (control_auth.c): root, vswitchd's own user, and
 * members of the socket's group (--ctl-group, default "vswitch"), checked
 * with SO_PEERCRED on every connection as well as by the file mode.
 */
#ifndef VS_CONTROL_H
#define VS_CONTROL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include "ctl_schema.h"

/* The characters of a name given on the control socket (networks,
 * containers, aliases, aux names) or as the control group: Docker's set.
 * Each caller adds its own rules for length and the first character. */
#define CTL_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

static inline bool ctl_name_chars_ok(const char *s)
{
	return s[strspn(s, CTL_NAME_CHARS)] == '\0';
}

struct ctl_conn;
struct ev_loop;

typedef int ctl_handler_fn(struct ctl_conn *c, struct json_object *args,
			   struct json_object **result, char *err, size_t errlen);

void control_register(const struct ctl_schema *row, ctl_handler_fn *fn);
void control_check_registered(void);
ctl_handler_fn *control_lookup(const char *cmd);
int control_init(struct ev_loop *loop, const char *path, const char *group);
void control_fini(void);
/* Close connections with nothing in progress for SECONDS (default 60). */
void control_set_idle_timeout(double seconds);
/* The client's uid (SO_PEERCRED); 0 for NULL, the daemon's own calls. */
uid_t control_conn_uid(const struct ctl_conn *c);
/* Take the connection's fd (the caller now owns it; control.c forgets the
 * connection once the current reply has been written). */
int control_conn_detach(struct ctl_conn *c);
/* The same, for a reply streamed in pieces: -1 while earlier replies
 * are still unwritten (the stream must not overtake them). */
int control_conn_stream(struct ctl_conn *c);
/* Send a reply now, before the handler returns (streaming commands).
 * Fails, never blocks the loop, if the client has not read the replies
 * to its earlier requests; waits at most a second for a full socket. */
int control_conn_reply(struct ctl_conn *c, struct json_object *reply);

/* A command that waits for etcd: the handler calls control_conn_defer()
 * and returns 0; later, exactly once, control_conn_resume() sends its
 * result (ownership passes) or its error.  Later requests on the same
 * connection wait until then (replies stay in order). */
void control_conn_defer(struct ctl_conn *c);
void control_conn_resume(struct ctl_conn *c, struct json_object *result, const char *err);

/* Typed access to request arguments; absent keys give the default. */
const char *ctl_arg_str(struct json_object *args, const char *key);
int ctl_arg_bool(struct json_object *args, const char *key, int dflt);
long long ctl_arg_int(struct json_object *args, const char *key, long long dflt);

/* control_check.c: the request envelope and the arguments, against the
 * command's row of the schema (ctl_schema.h). */
int ctl_check_request(const char *line, size_t len, struct json_object **req,
		      const char **cmd, struct json_object **args, char *err, size_t errlen);
int ctl_check_args(const char *cmd, const struct ctl_schema *row, struct json_object *args,
		   char *err, size_t errlen);
struct json_object *ctl_args_json(const struct ctl_schema *row);

/* control_auth.c: the socket's group and the peer check. */
bool control_group_name_ok(const char *name);
int control_auth_init(const char *group, char *err, size_t errlen);
/* Rootless: only vswitchd's own user may connect; no group is used. */
void control_auth_same_user(void);
int control_auth_socket(const char *path, char *err, size_t errlen);
const char *control_auth_group(void);
bool control_auth_allowed(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
			  uid_t self, gid_t sock_gid);
int control_auth_peer(int fd, uid_t *uid, char *why, size_t whylen);

#endif
