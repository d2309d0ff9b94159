/* cmd.h - the control commands the core owns (networks, containers, show). */
#ifndef VS_CMD_H
#define VS_CMD_H

#include <json-c/json.h>
#include <stddef.h>

struct network;
struct endpoint;
struct container;

/* cmd_network.c */
void cmd_network_init(void);
void cmd_network_start(struct network *n);
int cmd_network_ensure_default(char *err, size_t errlen);
struct json_object *cmd_network_inspect_json(const struct network *n);

/* cmd_container.c */
void cmd_container_init(void);
void cmd_container_restore(void);
void cmd_container_shutdown(void);
void cmd_container_gc(struct container *c);

/* publish.c */
void publish_drop_all(struct container *c);

/* cmd_show.c */
struct ev_loop;
void cmd_show_init(void);
/* Register the control commands of every module. */
void cmd_init_all(struct ev_loop *loop);

/* trace.c */
void trace_init(void);

#endif
