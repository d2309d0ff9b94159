/* cni.h - the `vswitch` CNI plugin: what its files share.
 *
 * The plugin is a short-lived program a container runtime executes once
 * per operation (CNI spec, SPEC.md): the operation and the container come
 * in environment variables, the network configuration on standard input,
 * and the result or a CNI error goes to standard output.  It holds no
 * state: everything lives in vswitchd, which it asks over the control
 * socket (doc/control-protocol.md), so a plugin killed at any point leaves
 * nothing the next call cannot see.  doc/cni.md tells the whole path.
 *
 * Files: cni_main.c (environment, dispatch, VERSION), cni_conf.c (the
 * configuration, runtimeConfig and CNI_ARGS), cni_ctl.c (vswitchd's
 * socket), cni_cmd.c (ADD, DEL, CHECK, STATUS, GC), cni_result.c (results
 * and errors in the shape of the configuration's version).
 */
#ifndef VS_CNI_H
#define VS_CNI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Error codes of the CNI spec ("Error" section) and our own (>= 100). */
enum cni_code {
	CNI_ERR_VERSION = 1,       /* incompatible CNI version */
	CNI_ERR_FIELD = 2,         /* unsupported field in the configuration */
	CNI_ERR_UNKNOWN_CTR = 3,   /* container unknown or does not exist */
	CNI_ERR_ENV = 4,           /* invalid environment variables */
	CNI_ERR_IO = 5,            /* I/O failure */
	CNI_ERR_DECODE = 6,        /* failed to decode content */
	CNI_ERR_CONFIG = 7,        /* invalid network configuration */
	CNI_ERR_TRY_LATER = 11,    /* try again later (vswitchd unreachable) */
	CNI_ERR_NOT_AVAILABLE = 50,/* STATUS: cannot serve ADD now */
	CNI_ERR_REFUSED = 100,     /* vswitchd refused the request */
	CNI_ERR_CHECK = 101,       /* CHECK: the attachment changed */
};

#define CNI_MSG_MAX 512

struct cni_error {
	int code;                  /* 0: no error */
	char msg[CNI_MSG_MAX];
	char details[CNI_MSG_MAX];
};

/* The environment a runtime sets (SPEC.md "Parameters"). */
struct cni_env {
	const char *command, *containerid, *netns, *ifname, *args, *path;
};

/* One mapping of runtimeConfig.portMappings. */
struct cni_portmap {
	int host_port, container_port;
	char proto[4];             /* tcp or udp */
	char host_ip[16];          /* "" = every address */
};

#define CNI_MAX_PORTMAPS 64
#define CNI_MAX_ALIASES 8

/* The configuration and what the runtime asks for, checked. */
struct cni_conf {
	struct json_object *root;  /* standard input, owned */
	const char *version;       /* cniVersion */
	int ver;                   /* the same, as major*10000+minor*100+patch */
	const char *name;          /* the CNI network's name */
	const char *network;       /* the vswitch network (default: name) */
	const char *socket;        /* vswitchd's control socket */
	const char *attach;        /* tap or veth, NULL: vswitchd's default */
	bool id_as_name;           /* no pod name: the container id is the DNS name */
	char owner[80];            /* cni:NAME */
	/* from runtimeConfig, args and CNI_ARGS */
	char ip[16], mac[18], dns_name[64];
	const char *aliases[CNI_MAX_ALIASES];
	int n_aliases;
	struct cni_portmap ports[CNI_MAX_PORTMAPS];
	int n_ports;
	struct json_object *prev_result;       /* NULL if none */
	struct json_object *valid_attachments; /* GC; NULL if none */
};

#define CNI_VER(a, b, c) ((a) * 10000 + (b) * 100 + (c))

/* cni_conf.c */
int cni_version_parse(const char *s);
bool cni_version_supported(int ver);
extern const char *const cni_supported_versions[];
int cni_conf_load(struct cni_conf *c, const char *input, const struct cni_env *env,
		  struct cni_error *e);
int cni_conf_runtime(struct cni_conf *c, const struct cni_env *env, struct cni_error *e);
void cni_conf_free(struct cni_conf *c);

/* cni_ctl.c */
int cni_ctl_open(const char *path, struct cni_error *e);
struct json_object *cni_ctl_call(int fd, const char *cmd, struct json_object *args,
				 struct cni_error *e);

/* cni_cmd.c */
int cni_cmd_add(struct cni_conf *c, const struct cni_env *env, struct cni_error *e);
int cni_cmd_del(struct cni_conf *c, const struct cni_env *env, struct cni_error *e);
int cni_cmd_check(struct cni_conf *c, const struct cni_env *env, struct cni_error *e);
int cni_cmd_status(struct cni_conf *c, struct cni_error *e);
int cni_cmd_gc(struct cni_conf *c, struct cni_error *e);

/* cni_result.c */
int cni_error_set(struct cni_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cni_error_print(const struct cni_error *e, const char *version);
struct json_object *cni_result_build(const struct cni_conf *c, const struct cni_env *env,
				     struct json_object *ep);
void cni_json_print(struct json_object *o);

#endif
