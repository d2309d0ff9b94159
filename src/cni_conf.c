/* cni_conf.c - the plugin's configuration and what the runtime asks for.
 *
 * Standard input is the plugin's entry of a conflist, as the runtime
 * completed it: our own keys (`network`, `socket`, `attach`,
 * `nameFromContainerID`), the runtime's `runtimeConfig` for the
 * capabilities we declare (ips, mac, aliases, portMappings), `args`,
 * `prevResult` and, for GC, `cni.dev/valid-attachments`.  The legacy
 * CNI_ARGS (`IP=`, `MAC=`, `K8S_POD_NAME=`) is read too, since podman's
 * CNI backend passes a static address only that way.
 *
 * Everything is checked before vswitchd is asked anything, so bad input
 * is refused with the spec's code (6 for JSON that does not parse, 7 for
 * a configuration that is wrong, 4 for a bad environment, 2 for a field we
 * do not support) and changes nothing.  Addresses and names are checked
 * for shape here and for meaning by vswitchd, which has the last word.
 *
 * Precedence when one thing comes several ways (CONVENTIONS.md):
 * runtimeConfig, then args.cni, then CNI_ARGS.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cni.h"
#include "control.h"

const char *const cni_supported_versions[] = {
	"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL
};

#define CNI_DEFAULT_SOCKET "/run/vswitch/vswitchd.sock"

/* "a.b.c" as a number; -1 if it is not one. */
int cni_version_parse(const char *s)
{
	unsigned int a, b, c;
	int n = 0;

	if (!s || sscanf(s, "%3u.%3u.%3u%n", &a, &b, &c, &n) != 3 || s[n] || a > 99 ||
	    b > 99 || c > 99)
		return -1;
	return (int)CNI_VER(a, b, c);
}

bool cni_version_supported(int ver)
{
	int i;

	for (i = 0; cni_supported_versions[i]; i++)
		if (cni_version_parse(cni_supported_versions[i]) == ver)
			return true;
	return false;
}

static const char *cni_conf_str(struct json_object *o, const char *key, bool *bad)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = true;
		return NULL;
	}
	return json_object_get_string(v);
}

/* One JSON object and nothing but white space after it. */
static struct json_object *cni_conf_parse(const char *input, struct cni_error *e)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	size_t len = strlen(input), end;

	if (!tok) {
		cni_error_set(e, CNI_ERR_IO, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, input, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		cni_error_set(e, CNI_ERR_DECODE, "the configuration on stdin is not JSON: %s",
			      json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	} else if (input[end + strspn(input + end, " \t\r\n")] ||
		   !json_object_is_type(o, json_type_object)) {
		cni_error_set(e, CNI_ERR_DECODE, "the configuration on stdin is not one JSON object");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* cniVersion, name, type and our own keys. */
static int cni_conf_keys(struct cni_conf *c, struct cni_error *e)
{
	struct json_object *v;
	bool bad = false;
	const char *type;

	c->version = cni_conf_str(c->root, "cniVersion", &bad);
	c->name = cni_conf_str(c->root, "name", &bad);
	type = cni_conf_str(c->root, "type", &bad);
	c->network = cni_conf_str(c->root, "network", &bad);
	c->socket = cni_conf_str(c->root, "socket", &bad);
	c->attach = cni_conf_str(c->root, "attach", &bad);
	if (bad)
		return cni_error_set(e, CNI_ERR_CONFIG,
				     "cniVersion, name, type, network, socket and attach must be strings");
	if (!c->version)
		return cni_error_set(e, CNI_ERR_CONFIG, "the configuration has no cniVersion");
	c->ver = cni_version_parse(c->version);
	if (!cni_version_supported(c->ver))
		return cni_error_set(e, CNI_ERR_VERSION,
				     "cniVersion %s is not supported (0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)",
				     c->version);
	if (!c->name || !*c->name || strlen(c->name) > 63 || !ctl_name_chars_ok(c->name))
		return cni_error_set(e, CNI_ERR_CONFIG, "invalid network name \"%s\"",
				     c->name ? c->name : "");
	if (!type || !*type)
		return cni_error_set(e, CNI_ERR_CONFIG, "the configuration has no type");
	if (c->attach && strcmp(c->attach, "tap") && strcmp(c->attach, "veth"))
		return cni_error_set(e, CNI_ERR_CONFIG, "attach must be tap or veth, not \"%s\"",
				     c->attach);
	if (!c->network)
		c->network = c->name;
	if (!c->socket)
		c->socket = getenv("VSWITCH_SOCKET") ? getenv("VSWITCH_SOCKET") : CNI_DEFAULT_SOCKET;
	if (json_object_object_get_ex(c->root, "nameFromContainerID", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return cni_error_set(e, CNI_ERR_CONFIG, "nameFromContainerID must be true or false");
		c->id_as_name = json_object_get_boolean(v);
	}
	snprintf(c->owner, sizeof(c->owner), "cni:%s", c->name);
	return 0;
}

/**
 * cni_conf_load() - Parse and check standard input
 * @c:		filled in (c->root owns the JSON)
 * @input:	standard input, NUL-terminated
 * @env:	the environment (unused today; kept for symmetry)
 * @e:		the error
 *
 * Return: 0 or -1 with @e set.
 */
int cni_conf_load(struct cni_conf *c, const char *input, const struct cni_env *env,
		  struct cni_error *e)
{
	struct json_object *v;

	(void)env;
	memset(c, 0, sizeof(*c));
	c->root = cni_conf_parse(input, e);
	if (!c->root || cni_conf_keys(c, e))
		return -1;
	if (json_object_object_get_ex(c->root, "prevResult", &v) && v) {
		if (!json_object_is_type(v, json_type_object))
			return cni_error_set(e, CNI_ERR_CONFIG, "prevResult must be an object");
		c->prev_result = v;
	}
	if (json_object_object_get_ex(c->root, "cni.dev/valid-attachments", &v) && v) {
		if (!json_object_is_type(v, json_type_array))
			return cni_error_set(e, CNI_ERR_CONFIG,
					     "cni.dev/valid-attachments must be an array");
		c->valid_attachments = v;
	}
	return 0;
}

void cni_conf_free(struct cni_conf *c)
{
	json_object_put(c->root);
	c->root = NULL;
}

/* ---- what the runtime asks for ---- */

static int cni_conf_set_ip(struct cni_conf *c, const char *s, struct cni_error *e)
{
	char buf[64], *slash;
	struct in_addr a;
	struct in6_addr a6;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET6, buf, &a6) == 1)
		return cni_error_set(e, CNI_ERR_FIELD, "IPv6 address %s: vswitch networks are IPv4", s);
	if (inet_pton(AF_INET, buf, &a) != 1)
		return cni_error_set(e, CNI_ERR_CONFIG, "invalid IP address \"%s\"", s);
	inet_ntop(AF_INET, &a, c->ip, sizeof(c->ip));
	return 0;
}

/* runtimeConfig.ips or args.cni.ips: one IPv4 address. */
static int cni_conf_ips(struct cni_conf *c, struct json_object *ips, const char *where,
			struct cni_error *e)
{
	size_t n;

	if (!json_object_is_type(ips, json_type_array))
		return cni_error_set(e, CNI_ERR_CONFIG, "%s must be an array of addresses", where);
	n = json_object_array_length(ips);
	if (n > 1)
		return cni_error_set(e, CNI_ERR_FIELD, "%s: one address per attachment, not %zu",
				     where, n);
	if (n == 1 && !json_object_is_type(json_object_array_get_idx(ips, 0), json_type_string))
		return cni_error_set(e, CNI_ERR_CONFIG, "%s must be an array of addresses", where);
	return n ? cni_conf_set_ip(c, json_object_get_string(json_object_array_get_idx(ips, 0)), e)
		 : 0;
}

static int cni_conf_mac(struct cni_conf *c, struct json_object *m, struct cni_error *e)
{
	if (!json_object_is_type(m, json_type_string) || json_object_get_string_len(m) != 17)
		return cni_error_set(e, CNI_ERR_CONFIG, "invalid MAC address \"%s\"",
				     json_object_get_string(m));
	snprintf(c->mac, sizeof(c->mac), "%s", json_object_get_string(m));
	return 0;
}

/* aliases: a list (CONVENTIONS.md) or podman's map {network: [aliases]}. */
static int cni_conf_aliases(struct cni_conf *c, struct json_object *al, struct cni_error *e)
{
	struct json_object *list = al;
	size_t i;

	if (json_object_is_type(al, json_type_object) &&
	    !json_object_object_get_ex(al, c->name, &list))
		return 0;                /* aliases for other networks only */
	if (!list || !json_object_is_type(list, json_type_array))
		return cni_error_set(e, CNI_ERR_CONFIG, "runtimeConfig.aliases must be a list of names");
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *a = json_object_array_get_idx(list, i);

		if (!json_object_is_type(a, json_type_string))
			return cni_error_set(e, CNI_ERR_CONFIG, "runtimeConfig.aliases must be names");
		if (c->n_aliases >= CNI_MAX_ALIASES)
			return cni_error_set(e, CNI_ERR_CONFIG, "at most %d aliases", CNI_MAX_ALIASES);
		c->aliases[c->n_aliases++] = json_object_get_string(a);
	}
	return 0;
}

static int cni_conf_int(struct json_object *o, const char *key, int lo, int hi, int dflt)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return dflt;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	return n < lo || n > hi ? -1 : (int)n;
}

/* One portMappings entry: {hostPort, containerPort, protocol, hostIP}. */
static int cni_conf_portmap(struct cni_conf *c, struct json_object *m, struct cni_error *e)
{
	struct cni_portmap *p = &c->ports[c->n_ports];
	struct json_object *v;
	const char *proto = "tcp", *hip = "";
	struct in_addr a;

	if (!json_object_is_type(m, json_type_object))
		return cni_error_set(e, CNI_ERR_CONFIG, "portMappings entries must be objects");
	p->host_port = cni_conf_int(m, "hostPort", 1, 65535, -1);
	p->container_port = cni_conf_int(m, "containerPort", 1, 65535, -1);
	if (p->host_port < 0 || p->container_port < 0)
		return cni_error_set(e, CNI_ERR_CONFIG,
				     "portMappings: hostPort and containerPort must be 1-65535");
	if (json_object_object_get_ex(m, "protocol", &v))
		proto = json_object_get_string(v);
	if (json_object_object_get_ex(m, "hostIP", &v))
		hip = json_object_get_string(v);
	if (strcasecmp(proto, "tcp") && strcasecmp(proto, "udp"))
		return cni_error_set(e, CNI_ERR_FIELD, "portMappings: protocol %s is not supported "
				     "(tcp, udp)", proto);
	if (*hip && inet_pton(AF_INET, hip, &a) != 1)
		return cni_error_set(e, CNI_ERR_FIELD, "portMappings: host IP \"%s\" is not IPv4", hip);
	snprintf(p->proto, sizeof(p->proto), "%s", strcasecmp(proto, "udp") ? "tcp" : "udp");
	snprintf(p->host_ip, sizeof(p->host_ip), "%s", hip);
	c->n_ports++;
	return 0;
}

static int cni_conf_portmaps(struct cni_conf *c, struct json_object *pm, struct cni_error *e)
{
	size_t i;

	if (!json_object_is_type(pm, json_type_array))
		return cni_error_set(e, CNI_ERR_CONFIG, "runtimeConfig.portMappings must be a list");
	if (json_object_array_length(pm) > CNI_MAX_PORTMAPS)
		return cni_error_set(e, CNI_ERR_CONFIG, "at most %d port mappings", CNI_MAX_PORTMAPS);
	for (i = 0; i < json_object_array_length(pm); i++)
		if (cni_conf_portmap(c, json_object_array_get_idx(pm, i), e))
			return -1;
	return 0;
}

static bool cni_args_known(const char *k)
{
	static const char *const known[] = {
		"IP", "MAC", "K8S_POD_NAME", "K8S_POD_NAMESPACE", "K8S_POD_INFRA_CONTAINER_ID",
		"K8S_POD_UID", "IgnoreUnknown", NULL
	};
	int i;

	for (i = 0; known[i]; i++)
		if (!strcmp(k, known[i]))
			return true;
	return false;
}

/* CNI_ARGS "K=V;K=V": IP, MAC, K8S_POD_NAME; other keys are an error
 * unless IgnoreUnknown is 1/true (CONVENTIONS.md). */
static int cni_conf_cni_args(struct cni_conf *c, const char *args, char *pod, size_t podlen,
			     struct cni_error *e)
{
	char buf[4096], *save = NULL, *kv, *unknown = NULL;
	bool ignore = false;

	if (!args || !*args)
		return 0;
	if (strlen(args) >= sizeof(buf))
		return cni_error_set(e, CNI_ERR_ENV, "CNI_ARGS is too long");
	snprintf(buf, sizeof(buf), "%s", args);
	for (kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq || eq == kv)
			return cni_error_set(e, CNI_ERR_ENV, "CNI_ARGS: \"%s\" is not KEY=VALUE", kv);
		*eq = '\0';
		if (!strcmp(kv, "IgnoreUnknown"))
			ignore = !strcasecmp(eq + 1, "1") || !strcasecmp(eq + 1, "true");
		else if (!strcmp(kv, "IP") && !c->ip[0] && cni_conf_set_ip(c, eq + 1, e))
			return -1;
		else if (!strcmp(kv, "MAC") && !c->mac[0])
			snprintf(c->mac, sizeof(c->mac), "%.17s", eq + 1);
		else if (!strcmp(kv, "K8S_POD_NAME"))
			snprintf(pod, podlen, "%s", eq + 1);
		else if (!cni_args_known(kv) && !unknown)
			unknown = kv;
	}
	if (unknown && !ignore)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_ARGS: unknown key %s (IgnoreUnknown=1 "
				     "to ignore it)", unknown);
	return 0;
}

/* The DNS name: the pod name (podman: the container's name), else the
 * container id if the configuration asks for it; "" if neither is a name. */
static void cni_conf_dns_name(struct cni_conf *c, const struct cni_env *env, const char *pod)
{
	const char *n = *pod ? pod : c->id_as_name ? env->containerid : "";

	if (n && *n && strlen(n) < sizeof(c->dns_name) && ctl_name_chars_ok(n) && n[0] != '-' &&
	    n[0] != '.')
		snprintf(c->dns_name, sizeof(c->dns_name), "%s", n);
	else if (n && *n)
		fprintf(stderr, "vswitch CNI: \"%s\" is not a DNS name; the container gets none\n", n);
}

/**
 * cni_conf_runtime() - Read runtimeConfig, args and CNI_ARGS (ADD)
 * @c:		configuration; address, MAC, aliases, ports filled in
 * @env:	the environment (CNI_ARGS, the container id)
 * @e:		the error
 *
 * Return: 0 or -1 with @e set.
 */
int cni_conf_runtime(struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct json_object *rc = NULL, *v, *args, *cni;
	char pod[256] = "";

	if (json_object_object_get_ex(c->root, "runtimeConfig", &rc) && rc &&
	    !json_object_is_type(rc, json_type_object))
		return cni_error_set(e, CNI_ERR_CONFIG, "runtimeConfig must be an object");
	if (rc && json_object_object_get_ex(rc, "ips", &v) && v && cni_conf_ips(c, v, "runtimeConfig.ips", e))
		return -1;
	if (!c->ip[0] && json_object_object_get_ex(c->root, "args", &args) &&
	    json_object_is_type(args, json_type_object) &&
	    json_object_object_get_ex(args, "cni", &cni) && json_object_is_type(cni, json_type_object) &&
	    json_object_object_get_ex(cni, "ips", &v) && cni_conf_ips(c, v, "args.cni.ips", e))
		return -1;
	if (rc && json_object_object_get_ex(rc, "mac", &v) && v && cni_conf_mac(c, v, e))
		return -1;
	if (rc && json_object_object_get_ex(rc, "aliases", &v) && v && cni_conf_aliases(c, v, e))
		return -1;
	if (rc && json_object_object_get_ex(rc, "portMappings", &v) && v && cni_conf_portmaps(c, v, e))
		return -1;
	if (cni_conf_cni_args(c, env->args, pod, sizeof(pod), e))
		return -1;
	cni_conf_dns_name(c, env, pod);
	return 0;
}
