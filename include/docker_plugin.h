/* docker_plugin.h - vswitch-docker-plugin: Docker's remote network driver.
 *
 * The plugin is a translator with no state of its own: each HTTP request
 * from dockerd becomes one or a few control requests to vswitchd, and
 * every vswitch name is derived from Docker's ids, so a restarted plugin
 * serves networks and endpoints made before it (doc/docker.md).
 *
 * The files: docker_plugin.c (main, HTTP on the unix socket),
 * docker_plugin_net.c (the NetworkDriver methods), docker_plugin_ipam.c
 * (the IpamDriver methods), docker_plugin_names.c (container names from
 * Docker's API, after Join), docker_plugin_ctl.c (the client of
 * vswitchd's control socket).
 */
#ifndef VS_DOCKER_PLUGIN_H
#define VS_DOCKER_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

/* One request as the HTTP layer hands it to a method. */
struct dkp_req {
	struct json_object *body;    /* the parsed JSON object, never NULL */
	pid_t peer_pid;              /* dockerd's pid (SO_PEERCRED), 0 if unknown */
};

/* A method fills REPLY (a new object) and returns 0, or writes a one-line
 * ERR (sent to dockerd as {"Err": ERR}) and returns -1. */
typedef int dkp_method_fn(const struct dkp_req *req, struct json_object **reply,
			  char *err, size_t errlen);

struct dkp_method {
	const char *path;            /* "/NetworkDriver.CreateNetwork" */
	dkp_method_fn *fn;
};

/* docker_plugin_net.c */
/* Make ERR one line: an error may quote what dockerd or vswitchd sent,
 * newlines and all; every control character becomes a space. */
void dkp_err_oneline(char *err);
/* The method serving PATH, or NULL (answered 404: not implemented). */
const struct dkp_method *dkp_net_find(const char *path);

/* docker_plugin_ipam.c */
/* The IpamDriver method serving PATH, or NULL. */
const struct dkp_method *dkp_ipam_find(const char *path);

/* docker_plugin_names.c */
/* Docker's API socket (--docker-host; "" asks nothing); call once. */
void dkp_names_init(const char *docker_sock);
/* After Join: learn the container name of endpoint EID on network NID in
 * the background and give it to vswitchd as CTR's DNS name. */
void dkp_names_learn(const char *nid, const char *eid, const char *ctr);

/* docker_plugin_ctl.c */
/* vswitchd's control socket, set once from --socket. */
void dkp_ctl_init(const char *socket_path, int timeout_sec);
/* Send {"cmd": CMD, "args": ARGS} (ARGS is consumed, may be NULL) and wait
 * for the reply.  Return: 0 with *RESULT (owned by the caller, may be
 * NULL), or -1 with ERR: vswitchd's own error text, or why it could not
 * be asked. */
int dkp_ctl_call(const char *cmd, struct json_object *args, struct json_object **result,
		 char *err, size_t errlen);

#endif
