/* cmd.h - the control commands the core owns (networks, containers, show). */
#ifndef VS_CMD_H
#define VS_CMD_H

#include <json-c/json.h>
#include <stddef.h>

struct network;
struct endpoint;
struct container;
struct dp;
struct ctl_conn;

/* cmd_network.c */
void cmd_network_init(void);
void cmd_network_start(struct dp *dp, struct network *n);
int cmd_network_ensure_default(char *err, size_t errlen);
struct json_object *cmd_network_inspect_json(const struct network *n);
/* Global networks (cluster_net.c): link a filled one, make one from its
 * spec in etcd, drop one the cluster removed. */
int cmd_network_link(struct network *n, char *err, size_t errlen);
struct network *cmd_network_adopt(struct json_object *spec, char *err, size_t errlen);
void cmd_network_drop(struct network *n);

/* cmd_container.c */
void cmd_container_init(void);
void cmd_container_restore(void);
void cmd_container_shutdown(void);
void cmd_container_gc(struct container *c);
/* The connect itself, after a global network's address was claimed. */
int cmd_connect_run(struct ctl_conn *conn, struct json_object *args,
		    struct json_object **result, char *err, size_t errlen);
/* The namespace watcher's upcall (netns_died_fn): ARG is the dp. */
void cmd_container_netns_gone(void *arg, struct container *c);
void cmd_handoff_init(void);

/* publish.c */
void publish_drop_all(struct container *c);
void publish_shutdown(void);    /* at exit, before dp_fini() */

/* cmd_show.c */
struct dp;
void cmd_show_init(void);
/* Register the control commands of every module, serving datapath DP. */
void cmd_init_all(struct dp *dp);
/* The datapath the control handlers act on (set by cmd_init_all). */
struct dp *cmd_dp(void);
/* Only bind (harnesses that load state without the commands). */
void cmd_bind_dp(struct dp *dp);

/* trace.c */
void trace_init(void);

#endif
