/* events.h - the switch's event stream (`vsctl events`, src/events.c).
 *
 * The control plane calls one function per change; each becomes a line
 * shaped like `docker events --format '{{json .}}'` for every listener.
 * Emitting never blocks: a listener that does not read loses events,
 * counted, and is told how many (doc/events.md).
 */
#ifndef VS_EVENTS_H
#define VS_EVENTS_H

struct ev_loop;
struct network;
struct endpoint;
struct container;
struct json_object;

void events_init(struct ev_loop *loop);
void events_fini(void);
/* network: "create", "destroy" */
void events_network(const char *action, const struct network *n);
/* endpoint: "connect", "disconnect" (Docker's network events) */
void events_endpoint(const char *action, const struct endpoint *ep);
/* a container's namespace is gone: "die" */
void events_container_die(const struct container *c);
/* "publish", "unpublish": MAPPING as port ls prints it */
void events_port(const char *action, const struct container *c, const char *mapping);
struct json_object *events_stats_json(void);

#endif
