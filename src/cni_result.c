/* cni_result.c - the plugin's output: a result, or a CNI error.
 *
 * A result has the shape of the configuration's cniVersion: 1.x lists
 * `ips` without a version (the family is in the address), 0.3.x/0.4.0
 * give each `"version": "4"`; 1.1.0 adds the interface's `mtu`.  When the
 * runtime chains plugins, the result of the ones before comes in
 * `prevResult`; ours is appended to it, and the new address points at our
 * interface by its index in the merged list (SPEC.md "Chained plugins").
 *
 * Errors are one JSON object on standard output with the spec's code and
 * a one-line message, and the exit status is 1: runtimes read stdout, a
 * person reading the runtime's log reads the message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cni.h"

/**
 * cni_error_set() - Record an error (the first one wins)
 * @e:		the error
 * @code:	CNI error code
 * @fmt:	one-line message
 *
 * Return: -1, so callers can `return cni_error_set(...)`.
 */
int cni_error_set(struct cni_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e->code)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* One JSON document on stdout, newline-terminated, flushed. */
void cni_json_print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

void cni_error_print(const struct cni_error *e, const char *version)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cniVersion", json_object_new_string(version ? version : "1.1.0"));
	json_object_object_add(o, "code", json_object_new_int(e->code));
	json_object_object_add(o, "msg", json_object_new_string(e->msg));
	if (e->details[0])
		json_object_object_add(o, "details", json_object_new_string(e->details));
	cni_json_print(o);
	json_object_put(o);
	/* the runtime may log only stderr */
	fprintf(stderr, "vswitch CNI: %s\n", e->msg);
}

/* A copy of ARR (an array in prevResult) or a new empty array. */
static struct json_object *cni_result_list(struct json_object *prev, const char *key)
{
	struct json_object *a = NULL, *copy = NULL;

	if (prev && json_object_object_get_ex(prev, key, &a) &&
	    json_object_is_type(a, json_type_array) && json_object_deep_copy(a, &copy, NULL) == 0)
		return copy;
	return json_object_new_array();
}

static const char *cni_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
}

static struct json_object *cni_result_iface(const struct cni_conf *c, const struct cni_env *env,
					    struct json_object *ep)
{
	struct json_object *i = json_object_new_object(), *v;

	json_object_object_add(i, "name", json_object_new_string(env->ifname));
	json_object_object_add(i, "mac", json_object_new_string(cni_jstr(ep, "mac")));
	if (c->ver >= CNI_VER(1, 1, 0) && json_object_object_get_ex(ep, "mtu", &v))
		json_object_object_add(i, "mtu", json_object_new_int(json_object_get_int(v)));
	json_object_object_add(i, "sandbox", json_object_new_string(env->netns));
	return i;
}

static struct json_object *cni_result_ip(const struct cni_conf *c, struct json_object *ep,
					 size_t iface)
{
	struct json_object *ip = json_object_new_object(), *v;
	char addr[32];

	snprintf(addr, sizeof(addr), "%s/%d", cni_jstr(ep, "ip"),
		 json_object_object_get_ex(ep, "prefix", &v) ? json_object_get_int(v) : 32);
	if (c->ver < CNI_VER(1, 0, 0))
		json_object_object_add(ip, "version", json_object_new_string("4"));
	json_object_object_add(ip, "address", json_object_new_string(addr));
	json_object_object_add(ip, "gateway", json_object_new_string(cni_jstr(ep, "gateway")));
	json_object_object_add(ip, "interface", json_object_new_int((int)iface));
	return ip;
}

/* dns: the gateway answers for container names on networks with DNS. */
static void cni_result_dns(struct json_object *res, struct json_object *prev,
			   struct json_object *ep)
{
	struct json_object *dns = NULL, *ns, *v;

	if (prev && json_object_object_get_ex(prev, "dns", &v) &&
	    json_object_is_type(v, json_type_object))
		json_object_deep_copy(v, &dns, NULL);
	if (json_object_object_get_ex(ep, "dns", &v) && json_object_get_boolean(v)) {
		if (!dns)
			dns = json_object_new_object();
		if (!json_object_object_get_ex(dns, "nameservers", &ns) ||
		    !json_object_is_type(ns, json_type_array)) {
			ns = json_object_new_array();
			json_object_object_add(dns, "nameservers", ns);
		}
		json_object_array_add(ns, json_object_new_string(cni_jstr(ep, "gateway")));
	}
	if (dns)
		json_object_object_add(res, "dns", dns);
}

/**
 * cni_result_build() - The ADD result for endpoint EP (vswitchd's reply)
 * @c:		configuration (version, prevResult)
 * @env:	the runtime's environment (interface name, sandbox)
 * @ep:		network.connect's reply
 *
 * Return: the result object (the caller prints and frees it).
 */
struct json_object *cni_result_build(const struct cni_conf *c, const struct cni_env *env,
				     struct json_object *ep)
{
	struct json_object *res = json_object_new_object(), *v;
	struct json_object *ifs = cni_result_list(c->prev_result, "interfaces");
	struct json_object *ips = cni_result_list(c->prev_result, "ips");
	struct json_object *routes = cni_result_list(c->prev_result, "routes");
	size_t idx = json_object_array_length(ifs);

	json_object_object_add(res, "cniVersion", json_object_new_string(c->version));
	json_object_array_add(ifs, cni_result_iface(c, env, ep));
	json_object_array_add(ips, cni_result_ip(c, ep, idx));
	/* only the routes this endpoint set: the default route goes with
	 * the container's first endpoint */
	if (json_object_object_get_ex(ep, "default_route", &v) && json_object_get_boolean(v)) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "dst", json_object_new_string("0.0.0.0/0"));
		json_object_object_add(r, "gw", json_object_new_string(cni_jstr(ep, "gateway")));
		json_object_array_add(routes, r);
	}
	json_object_object_add(res, "interfaces", ifs);
	json_object_object_add(res, "ips", ips);
	json_object_object_add(res, "routes", routes);
	cni_result_dns(res, c->prev_result, ep);
	return res;
}
