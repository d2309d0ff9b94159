/* cni_cmd.c - ADD, DEL, CHECK, STATUS and GC, in vswitchd's terms.
 *
 * Each CNI operation is one or a few control requests:
 *
 *   ADD     network.inspect (the network must exist: else code 7),
 *           network.connect {container: CNI_CONTAINERID, netns, ifname,
 *           owner "cni:NAME", dns_name, ip, mac, aliases}, then
 *           port.publish for the portMappings the container does not
 *           have yet; if that fails the endpoint is disconnected again,
 *           so a failed ADD leaves nothing behind.
 *   DEL     network.disconnect with missing_ok (a second DEL, an unknown
 *           container, a network removed since: all succeed) and
 *           drop_ports (the ports go with the container's last endpoint).
 *           CNI_NETNS may be empty: vswitchd knows the namespace.
 *   CHECK   endpoint.check against prevResult's interface, address, MAC.
 *   STATUS  network.inspect: vswitchd up and the network there, or 50.
 *   GC      container.ls {owner: "cni:NAME"}, and a disconnect of every
 *           attachment not in cni.dev/valid-attachments.
 *
 * The attachment key is (CNI_CONTAINERID, network): vswitchd keeps one
 * endpoint per container and network, and CNI_IFNAME names its interface.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cni.h"

static const char *cni_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
}

static int cni_jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

static void cni_add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

/* The configured vswitch network must exist: a wrong name is a wrong
 * configuration (7), not a refusal. */
static int cni_cmd_network_exists(int fd, const struct cni_conf *c, struct cni_error *e)
{
	struct json_object *args = json_object_new_object(), *names = json_object_new_array(), *r;

	json_object_array_add(names, json_object_new_string(c->network));
	json_object_object_add(args, "names", names);
	r = cni_ctl_call(fd, "network.inspect", args, e);
	if (!r && e->code == CNI_ERR_REFUSED) {
		e->code = 0;
		return cni_error_set(e, CNI_ERR_CONFIG, "vswitch network %s does not exist "
				     "(vsctl network create %s)", c->network, c->network);
	}
	json_object_put(r);
	return r ? 0 : -1;
}

static struct json_object *cni_cmd_connect_args(const struct cni_conf *c, const struct cni_env *env)
{
	struct json_object *a = json_object_new_object();
	int i;

	cni_add_str(a, "network", c->network);
	cni_add_str(a, "container", env->containerid);
	cni_add_str(a, "netns", env->netns);
	cni_add_str(a, "ifname", env->ifname);
	cni_add_str(a, "owner", c->owner);
	/* always sent: without it vswitchd would make the key the name */
	cni_add_str(a, "dns_name", c->dns_name);
	if (c->ip[0])
		cni_add_str(a, "ip", c->ip);
	if (c->mac[0])
		cni_add_str(a, "mac", c->mac);
	if (c->attach)
		cni_add_str(a, "attach", c->attach);
	if (c->n_aliases) {
		struct json_object *al = json_object_new_array();

		for (i = 0; i < c->n_aliases; i++)
			json_object_array_add(al, json_object_new_string(c->aliases[i]));
		json_object_object_add(a, "aliases", al);
	}
	return a;
}

/* Is mapping P among the container's published ports (port.ls)?  podman
 * passes the same portMappings to the plugin of each of its networks. */
static bool cni_cmd_port_published(struct json_object *have, const struct cni_portmap *p)
{
	size_t i;

	for (i = 0; have && i < json_object_array_length(have); i++) {
		struct json_object *m = json_object_array_get_idx(have, i);
		const char *hip = cni_jstr(m, "host_ip");

		if (!strcmp(cni_jstr(m, "proto"), p->proto) && cni_jint(m, "cport") == p->container_port &&
		    cni_jint(m, "host_port") == p->host_port &&
		    !strcmp(*p->host_ip ? p->host_ip : "0.0.0.0", *hip ? hip : "0.0.0.0"))
			return true;
	}
	return false;
}

static int cni_cmd_publish(int fd, const struct cni_conf *c, const struct cni_env *env,
			   struct cni_error *e)
{
	struct json_object *a = json_object_new_object(), *have, *specs, *r;
	char spec[64];
	int i;

	cni_add_str(a, "container", env->containerid);
	have = cni_ctl_call(fd, "port.ls", a, e);
	if (!have)
		return -1;
	specs = json_object_new_array();
	for (i = 0; i < c->n_ports; i++) {
		const struct cni_portmap *p = &c->ports[i];

		if (cni_cmd_port_published(have, p))
			continue;
		snprintf(spec, sizeof(spec), "%s%s%d:%d/%s", p->host_ip, *p->host_ip ? ":" : "",
			 p->host_port, p->container_port, p->proto);
		json_object_array_add(specs, json_object_new_string(spec));
	}
	json_object_put(have);
	if (!json_object_array_length(specs)) {
		json_object_put(specs);
		return 0;
	}
	a = json_object_new_object();
	cni_add_str(a, "container", env->containerid);
	json_object_object_add(a, "specs", specs);
	r = cni_ctl_call(fd, "port.publish", a, e);
	json_object_put(r);
	return r ? 0 : -1;
}

static struct json_object *cni_cmd_disconnect_args(const char *net, const char *ctr)
{
	struct json_object *a = json_object_new_object();

	cni_add_str(a, "network", net);
	cni_add_str(a, "container", ctr);
	json_object_object_add(a, "missing_ok", json_object_new_boolean(1));
	json_object_object_add(a, "drop_ports", json_object_new_boolean(1));
	return a;
}

/**
 * cni_cmd_add() - ADD: connect, publish, print the result
 * @c:		configuration (runtimeConfig is read here)
 * @env:	CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS
 * @e:		the error
 *
 * Return: 0 with the result on stdout, or -1 with @e set and nothing left
 * in vswitchd.
 */
int cni_cmd_add(struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct json_object *ep, *res;
	int fd;

	if (cni_conf_runtime(c, env, e))
		return -1;
	fd = cni_ctl_open(c->socket, e);
	if (fd < 0)
		return -1;
	if (cni_cmd_network_exists(fd, c, e) ||
	    !(ep = cni_ctl_call(fd, "network.connect", cni_cmd_connect_args(c, env), e))) {
		close(fd);
		return -1;
	}
	if (c->n_ports && cni_cmd_publish(fd, c, env, e)) {
		struct cni_error ignore = { 0 };

		/* nothing half-made: the endpoint goes again */
		json_object_put(cni_ctl_call(fd, "network.disconnect",
					     cni_cmd_disconnect_args(c->network, env->containerid),
					     &ignore));
		json_object_put(ep);
		close(fd);
		return -1;
	}
	close(fd);
	res = cni_result_build(c, env, ep);
	cni_json_print(res);
	json_object_put(res);
	json_object_put(ep);
	return 0;
}

/**
 * cni_cmd_del() - DEL: disconnect whatever is there (idempotent)
 * @c:		configuration
 * @env:	CNI_CONTAINERID (CNI_NETNS may be empty)
 * @e:		the error (only when vswitchd cannot be asked)
 *
 * Return: 0 or -1.
 */
int cni_cmd_del(struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct json_object *r;
	int fd = cni_ctl_open(c->socket, e);

	if (fd < 0)
		return -1;
	r = cni_ctl_call(fd, "network.disconnect",
			 cni_cmd_disconnect_args(c->network, env->containerid), e);
	close(fd);
	json_object_put(r);
	return r ? 0 : -1;
}

/* prevResult's interface named IFNAME (in SANDBOX) and its address. */
static int cni_cmd_prev(const struct cni_conf *c, const struct cni_env *env, const char **mac,
			char *ip, size_t iplen, struct cni_error *e)
{
	struct json_object *ifs = NULL, *ips = NULL, *it;
	size_t i, n;
	int idx = -1;

	if (!c->prev_result)
		return cni_error_set(e, CNI_ERR_CONFIG, "CHECK needs prevResult");
	json_object_object_get_ex(c->prev_result, "interfaces", &ifs);
	json_object_object_get_ex(c->prev_result, "ips", &ips);
	n = json_object_is_type(ifs, json_type_array) ? json_object_array_length(ifs) : 0;
	for (i = 0; i < n && idx < 0; i++) {
		it = json_object_array_get_idx(ifs, i);
		if (!strcmp(cni_jstr(it, "name"), env->ifname) &&
		    (!*cni_jstr(it, "sandbox") || !strcmp(cni_jstr(it, "sandbox"), env->netns)))
			idx = (int)i;
	}
	if (idx < 0)
		return cni_error_set(e, CNI_ERR_CHECK, "prevResult has no interface %s in %s",
				     env->ifname, env->netns);
	*mac = cni_jstr(json_object_array_get_idx(ifs, (size_t)idx), "mac");
	n = json_object_is_type(ips, json_type_array) ? json_object_array_length(ips) : 0;
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(ips, i);
		if (cni_jint(it, "interface") == idx) {
			snprintf(ip, iplen, "%s", cni_jstr(it, "address"));
			ip[strcspn(ip, "/")] = '\0';
			break;
		}
	}
	return 0;
}

/**
 * cni_cmd_check() - CHECK: the attachment is still as prevResult says
 * @c:		configuration with prevResult
 * @env:	the attachment
 * @e:		the error: 3 unknown container, 101 something changed
 *
 * Return: 0 or -1.
 */
int cni_cmd_check(struct cni_conf *c, const struct cni_env *env, struct cni_error *e)
{
	struct json_object *a, *r;
	const char *mac = "";
	char ip[64] = "";
	int fd;

	if (c->ver < CNI_VER(0, 4, 0))
		return cni_error_set(e, CNI_ERR_VERSION, "CHECK needs cniVersion 0.4.0 or later");
	if (cni_cmd_prev(c, env, &mac, ip, sizeof(ip), e))
		return -1;
	fd = cni_ctl_open(c->socket, e);
	if (fd < 0)
		return -1;
	a = json_object_new_object();
	cni_add_str(a, "network", c->network);
	cni_add_str(a, "container", env->containerid);
	cni_add_str(a, "ifname", env->ifname);
	if (*ip)
		cni_add_str(a, "ip", ip);
	if (*mac)
		cni_add_str(a, "mac", mac);
	r = cni_ctl_call(fd, "endpoint.check", a, e);
	close(fd);
	if (!r) {
		/* vswitchd says which: a container it does not know is code 3 */
		if (e->code == CNI_ERR_REFUSED)
			e->code = strstr(e->msg, " not found") || strstr(e->msg, "is not connected") ?
				  CNI_ERR_UNKNOWN_CTR : CNI_ERR_CHECK;
		return -1;
	}
	if (strcmp(cni_jstr(r, "netns"), env->netns)) {
		cni_error_set(e, CNI_ERR_CHECK, "container %s is in %s, not %s", env->containerid,
			      cni_jstr(r, "netns"), env->netns);
		json_object_put(r);
		return -1;
	}
	json_object_put(r);
	return 0;
}

/**
 * cni_cmd_status() - STATUS: could an ADD succeed now?
 * @c:		configuration (socket, network)
 * @e:		code 50 with the reason when not
 *
 * Return: 0 or -1.
 */
int cni_cmd_status(struct cni_conf *c, struct cni_error *e)
{
	int fd = cni_ctl_open(c->socket, e), rc;

	if (fd >= 0) {
		rc = cni_cmd_network_exists(fd, c, e);
		close(fd);
		if (!rc)
			return 0;
	}
	/* whatever the cause, STATUS says "cannot ADD now" */
	e->code = CNI_ERR_NOT_AVAILABLE;
	return -1;
}

/* Is (CTR, IFNAME) in cni.dev/valid-attachments? */
static bool cni_cmd_valid(struct json_object *valid, const char *ctr, const char *ifname)
{
	size_t i;

	for (i = 0; valid && i < json_object_array_length(valid); i++) {
		struct json_object *a = json_object_array_get_idx(valid, i);

		if (!strcmp(cni_jstr(a, "containerID"), ctr) && !strcmp(cni_jstr(a, "ifname"), ifname))
			return true;
	}
	return false;
}

static int cni_cmd_gc_check_list(struct json_object *valid, struct cni_error *e)
{
	size_t i;

	for (i = 0; valid && i < json_object_array_length(valid); i++) {
		struct json_object *a = json_object_array_get_idx(valid, i);

		if (!json_object_is_type(a, json_type_object) || !*cni_jstr(a, "containerID") ||
		    !*cni_jstr(a, "ifname"))
			return cni_error_set(e, CNI_ERR_CONFIG, "cni.dev/valid-attachments entries "
					     "need containerID and ifname");
	}
	return 0;
}

/**
 * cni_cmd_gc() - GC: remove this CNI network's stale attachments
 * @c:		configuration with cni.dev/valid-attachments
 * @e:		the first error met (the walk goes on after it)
 *
 * Only endpoints owned by cni:NAME are candidates, so vsctl's, Docker's
 * and other CNI networks' endpoints are never touched.
 *
 * Return: 0 or -1.
 */
int cni_cmd_gc(struct cni_conf *c, struct cni_error *e)
{
	struct json_object *a, *ctrs;
	size_t i, j;
	int fd;

	if (cni_cmd_gc_check_list(c->valid_attachments, e))
		return -1;
	fd = cni_ctl_open(c->socket, e);
	if (fd < 0)
		return -1;
	a = json_object_new_object();
	cni_add_str(a, "owner", c->owner);
	ctrs = cni_ctl_call(fd, "container.ls", a, e);
	for (i = 0; ctrs && i < json_object_array_length(ctrs); i++) {
		struct json_object *ct = json_object_array_get_idx(ctrs, i), *eps = NULL;
		const char *name = cni_jstr(ct, "name");

		json_object_object_get_ex(ct, "endpoints", &eps);
		for (j = 0; eps && j < json_object_array_length(eps); j++) {
			struct json_object *ep = json_object_array_get_idx(eps, j);

			if (cni_cmd_valid(c->valid_attachments, name, cni_jstr(ep, "ifname")))
				continue;
			fprintf(stderr, "vswitch CNI: GC: removing %s %s from %s\n", name,
				cni_jstr(ep, "ifname"), cni_jstr(ep, "network"));
			/* keep going after a failure; the first error is reported */
			json_object_put(cni_ctl_call(fd, "network.disconnect",
					cni_cmd_disconnect_args(cni_jstr(ep, "network"), name), e));
		}
	}
	json_object_put(ctrs);
	close(fd);
	return e->code ? -1 : 0;
}
