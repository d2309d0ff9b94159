/* docker_plugin_net.c - Docker's NetworkDriver methods, as vswitchd requests.
 *
 * Theory of Operation
 *
 * Each method reads Docker's JSON, checks it, and asks vswitchd; nothing
 * is remembered here.  Names are derived from Docker's ids, so any later
 * call (or a restarted plugin) finds what an earlier one made:
 *
 *   Docker network NID   ->  vswitch network  "docker-" + NID[0:12]
 *                            (or, with -o vswitch.network=NAME, that name
 *                            bound to the existing network NAME)
 *   Docker endpoint EID  ->  vswitch container "docker-" + EID[0:12]
 *                            (an endpoint is one vswitch container: Docker
 *                            never tells a driver which container it is)
 *                            and the device Docker moves: "vsd" + EID[0:12]
 *
 * CreateEndpoint is a hand-off connect (doc/docker.md): vswitchd makes a
 * veth whose far end appears in dockerd's namespace (the socket's peer)
 * with the endpoint's MAC and MTU and nothing else.  Join tells vswitchd
 * the sandbox the device is about to move to, and answers Docker with the
 * device's name and the gateway; Docker moves it, renames it ethN and
 * sets the address and routes itself.  Leave points vswitchd back at
 * dockerd's namespace (Docker moves the device back there), and
 * DeleteEndpoint disconnects, which deletes the veth wherever its far end
 * is.  Published ports arrive with ProgramExternalConnectivity, only for a
 * sandbox's gateway endpoint, and go with Revoke.
 *
 * Docker's addresses, pool, gateway and MACs are taken as given: Docker's
 * IPAM already chose them.  Only IPv4 is served: an IPv6 pool or address
 * is refused, never dropped quietly.
 *
 * Join also starts the learning of the container's name from Docker's API
 * (docker_plugin_names.c), which runs after the answer is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_plugin.h"

#define DKP_ID_SHORT 12
#define DKP_PREFIX "docker-"
#define DKP_IF_PREFIX "vsd"

/* vswitch names for one Docker call: network, container, device. */
struct dkp_names {
	char net[32];
	char ctr[32];
	char dev[16];
};

static int dkp_net_reply_empty(struct json_object **reply)
{
	*reply = json_object_new_object();
	return 0;
}

static const char *dkp_net_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *dkp_net_obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/* Docker's ids are 64 lowercase hex digits; accept 12 or more. */
static int dkp_net_id(struct json_object *body, const char *key, char out[DKP_ID_SHORT + 1],
		      char *err, size_t errlen)
{
	const char *id = dkp_net_str(body, key);
	size_t i, len = id ? strlen(id) : 0;

	for (i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			break;
	if (!id || len < DKP_ID_SHORT || len > 64 || i != len) {
		snprintf(err, errlen, "%s must be a Docker id (12 to 64 hex digits)", key);
		return -1;
	}
	memcpy(out, id, DKP_ID_SHORT);
	out[DKP_ID_SHORT] = '\0';
	return 0;
}

/* The names for a call that carries NetworkID and, if EP, EndpointID. */
static int dkp_net_names(struct json_object *body, bool ep, struct dkp_names *n,
			 char *err, size_t errlen)
{
	char nid[DKP_ID_SHORT + 1], eid[DKP_ID_SHORT + 1];

	if (dkp_net_id(body, "NetworkID", nid, err, errlen) < 0)
		return -1;
	snprintf(n->net, sizeof(n->net), DKP_PREFIX "%s", nid);
	if (!ep)
		return 0;
	if (dkp_net_id(body, "EndpointID", eid, err, errlen) < 0)
		return -1;
	snprintf(n->ctr, sizeof(n->ctr), DKP_PREFIX "%s", eid);
	snprintf(n->dev, sizeof(n->dev), DKP_IF_PREFIX "%s", eid);
	return 0;
}

/* "10.1.0.1/24" -> "10.1.0.1" in OUT.  Return: 0, or -1 if too long. */
static int dkp_net_strip_len(const char *cidr, char *out, size_t len)
{
	size_t n = strcspn(cidr, "/");

	if (n >= len)
		return -1;
	memcpy(out, cidr, n);
	out[n] = '\0';
	return 0;
}

static int dkp_activate(const struct dkp_req *req, struct json_object **reply,
			char *err, size_t errlen)
{
	struct json_object *impl = json_object_new_array();

	json_object_array_add(impl, json_object_new_string("NetworkDriver"));
	json_object_array_add(impl, json_object_new_string("IpamDriver"));
	*reply = json_object_new_object();
	json_object_object_add(*reply, "Implements", impl);
	return 0;
}

static int dkp_capabilities(const struct dkp_req *req, struct json_object **reply,
			    char *err, size_t errlen)
{
	*reply = json_object_new_object();
	json_object_object_add(*reply, "Scope", json_object_new_string("local"));
	json_object_object_add(*reply, "ConnectivityScope", json_object_new_string("local"));
	return 0;
}

/* IPv4Data[0] into subnet, gateway and aux of ARGS. */
static int dkp_create_ipv4(struct json_object *body, struct json_object *args,
			   char *err, size_t errlen)
{
	struct json_object *v4, *v6, *d, *aux, *out;
	const char *pool, *gw;
	char ip[64];

	if (json_object_object_get_ex(body, "IPv6Data", &v6) &&
	    json_object_is_type(v6, json_type_array) && json_object_array_length(v6)) {
		snprintf(err, errlen, "vswitch networks are IPv4 only: an IPv6 pool is not supported");
		return -1;
	}
	if (!json_object_object_get_ex(body, "IPv4Data", &v4) ||
	    !json_object_is_type(v4, json_type_array) || json_object_array_length(v4) != 1) {
		snprintf(err, errlen, "IPv4Data must hold exactly one pool (one --subnet)");
		return -1;
	}
	d = json_object_array_get_idx(v4, 0);
	pool = dkp_net_str(d, "Pool");
	gw = dkp_net_str(d, "Gateway");
	if (!pool) {
		snprintf(err, errlen, "IPv4Data has no Pool");
		return -1;
	}
	json_object_object_add(args, "subnet", json_object_new_string(pool));
	if (gw && *gw) {
		if (dkp_net_strip_len(gw, ip, sizeof(ip)) < 0) {
			snprintf(err, errlen, "bad gateway \"%.64s\"", gw);
			return -1;
		}
		json_object_object_add(args, "gateway", json_object_new_string(ip));
	}
	aux = dkp_net_obj(d, "AuxAddresses");
	if (aux && json_object_object_length(aux)) {
		out = json_object_new_object();
		json_object_object_add(args, "aux", out);
		json_object_object_foreach(aux, k, val) {
			if (!json_object_is_type(val, json_type_string) ||
			    dkp_net_strip_len(json_object_get_string(val), ip, sizeof(ip)) < 0) {
				snprintf(err, errlen, "bad aux address \"%.64s\"", k);
				return -1;
			}
			json_object_object_add(out, k, json_object_new_string(ip));
		}
	}
	return 0;
}

/* -o options (com.docker.network.generic) into ARGS; unknown vswitch.*
 * options are refused so that a typo is not silently ignored. */
static int dkp_create_generic(struct json_object *gen, struct json_object *args,
			      char *err, size_t errlen)
{
	json_object_object_foreach(gen, k, val) {
		const char *s = json_object_is_type(val, json_type_string)
				? json_object_get_string(val) : NULL;

		if (!strcmp(k, "com.docker.network.driver.mtu")) {
			char *end;
			long mtu = s ? strtol(s, &end, 10) : 0;

			if (!s || *end || mtu < 68 || mtu > 65535) {
				snprintf(err, errlen, "%s must be a number from 68 to 65535", k);
				return -1;
			}
			json_object_object_add(args, "mtu", json_object_new_int((int)mtu));
		} else if (!strcmp(k, "com.docker.network.bridge.enable_icc")) {
			if (!s || (strcmp(s, "true") && strcmp(s, "false"))) {
				snprintf(err, errlen, "%s must be true or false", k);
				return -1;
			}
			json_object_object_add(args, "icc", json_object_new_boolean(!strcmp(s, "true")));
		} else if (!strcmp(k, "vswitch.network")) {
			if (!s || !*s) {
				snprintf(err, errlen, "%s must name a vswitch network", k);
				return -1;
			}
			json_object_object_add(args, "bind", json_object_new_string(s));
		} else if (!strncmp(k, "vswitch.", 8)) {
			snprintf(err, errlen, "unknown option %s (vswitch takes none of that name)", k);
			return -1;
		}
	}
	return 0;
}

/* The network's subnet and gateway as network.inspect shows them. */
static int dkp_inspect_ipam(const char *net, char subnet[64], char gw[64], char name[64],
			    bool *internal, char *err, size_t errlen);

/**
 * dkp_create_bound() - Bind a Docker network to an existing vswitch network
 * @args:	the network.create args the options made (consumed)
 * @name:	the Docker network's vswitch name ("docker-<nid12>")
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * The vswitch network keeps its own settings, so Docker's must agree:
 * the same subnet and gateway (Docker's IPAM hands out the addresses),
 * and no option that would change the network.
 *
 * Return: 0 or -1.
 */
static int dkp_create_bound(struct json_object *args, const char *name, char *err, size_t errlen)
{
	const char *target = dkp_net_str(args, "bind"), *sub = dkp_net_str(args, "subnet");
	const char *gw = dkp_net_str(args, "gateway");
	char vsub[64], vgw[64], real[64];
	struct json_object *b, *res = NULL;
	bool internal;
	int rc = -1;

	if (json_object_object_length(args) > 3 + !!gw) {
		snprintf(err, errlen, "a network bound with vswitch.network=%s takes its settings "
			 "from it: no --internal, --aux-address or -o options", target);
	} else if (dkp_inspect_ipam(target, vsub, vgw, real, &internal, err, errlen) == 0) {
		if (strcmp(sub, vsub) || (gw && strcmp(gw, vgw)))
			snprintf(err, errlen, "vswitch network %s is %s with gateway %s: create the "
				 "Docker network with --subnet %s --gateway %s", target, vsub, vgw,
				 vsub, vgw);
		else
			rc = 0;
	}
	if (rc == 0) {
		b = json_object_new_object();
		json_object_object_add(b, "network", json_object_new_string(real));
		json_object_object_add(b, "name", json_object_new_string(name));
		rc = dkp_ctl_call("network.bind", b, &res, err, errlen);
		json_object_put(res);
	}
	json_object_put(args);
	return rc;
}

static int dkp_create_network(const struct dkp_req *req, struct json_object **reply,
			      char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *opts, *v, *res = NULL;
	struct dkp_names n;

	if (dkp_net_names(req->body, false, &n, err, errlen) < 0 ||
	    dkp_create_ipv4(req->body, args, err, errlen) < 0)
		goto fail;
	opts = dkp_net_obj(req->body, "Options");
	if (opts && json_object_object_get_ex(opts, "com.docker.network.enable_ipv6", &v) &&
	    json_object_get_boolean(v)) {
		snprintf(err, errlen, "vswitch networks are IPv4 only: --ipv6 is not supported");
		goto fail;
	}
	if (opts && json_object_object_get_ex(opts, "com.docker.network.internal", &v))
		json_object_object_add(args, "internal",
				       json_object_new_boolean(json_object_get_boolean(v)));
	if (opts && (v = dkp_net_obj(opts, "com.docker.network.generic")) &&
	    dkp_create_generic(v, args, err, errlen) < 0)
		goto fail;
	json_object_object_add(args, "name", json_object_new_string(n.net));
	if (dkp_net_str(args, "bind"))
		return dkp_create_bound(args, n.net, err, errlen) < 0 ? -1
		       : dkp_net_reply_empty(reply);
	if (dkp_ctl_call("network.create", args, &res, err, errlen) < 0)
		return -1;
	json_object_put(res);
	return dkp_net_reply_empty(reply);
fail:
	json_object_put(args);
	return -1;
}

static int dkp_delete_network(const struct dkp_req *req, struct json_object **reply,
			      char *err, size_t errlen)
{
	struct json_object *args, *names, *res = NULL;
	struct dkp_names n;

	char sub[64], gw[64], real[64];
	bool internal;

	if (dkp_net_names(req->body, false, &n, err, errlen) < 0 ||
	    dkp_inspect_ipam(n.net, sub, gw, real, &internal, err, errlen) < 0)
		return -1;
	args = json_object_new_object();
	/* A bound network stays: only Docker's name for it goes. */
	if (strcmp(real, n.net)) {
		json_object_object_add(args, "name", json_object_new_string(n.net));
		if (dkp_ctl_call("network.unbind", args, &res, err, errlen) < 0)
			return -1;
		json_object_put(res);
		return dkp_net_reply_empty(reply);
	}
	names = json_object_new_array();
	json_object_array_add(names, json_object_new_string(n.net));
	json_object_object_add(args, "names", names);
	if (dkp_ctl_call("network.rm", args, &res, err, errlen) < 0)
		return -1;
	json_object_put(res);
	return dkp_net_reply_empty(reply);
}

/* Interface.Address/MacAddress into the connect's ARGS.  *MAC_GIVEN says
 * whether Docker chose the MAC (then it must not come back). */
static int dkp_endpoint_iface(struct json_object *body, struct json_object *args,
			      bool *mac_given, char *err, size_t errlen)
{
	struct json_object *ifc = dkp_net_obj(body, "Interface");
	const char *addr = dkp_net_str(ifc, "Address"), *mac = dkp_net_str(ifc, "MacAddress");
	const char *v6 = dkp_net_str(ifc, "AddressIPv6");
	char ip[64];

	if (v6 && *v6) {
		snprintf(err, errlen, "vswitch networks are IPv4 only: cannot give %.64s", v6);
		return -1;
	}
	if (addr && *addr) {
		if (dkp_net_strip_len(addr, ip, sizeof(ip)) < 0) {
			snprintf(err, errlen, "bad address \"%.64s\"", addr);
			return -1;
		}
		json_object_object_add(args, "ip", json_object_new_string(ip));
	}
	*mac_given = mac && *mac;
	if (*mac_given)
		json_object_object_add(args, "mac", json_object_new_string(mac));
	return 0;
}

static int dkp_create_endpoint(const struct dkp_req *req, struct json_object **reply,
			       char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *res = NULL, *ifc;
	const char *addr = dkp_net_str(dkp_net_obj(req->body, "Interface"), "Address");
	struct dkp_names n;
	bool mac_given;
	char ref[32];

	if (dkp_net_names(req->body, true, &n, err, errlen) < 0 ||
	    dkp_endpoint_iface(req->body, args, &mac_given, err, errlen) < 0) {
		json_object_put(args);
		return -1;
	}
	if (req->peer_pid <= 0) {
		json_object_put(args);
		snprintf(err, errlen, "cannot tell dockerd's namespace: no peer credentials");
		return -1;
	}
	snprintf(ref, sizeof(ref), "pid:%d", (int)req->peer_pid);
	json_object_object_add(args, "network", json_object_new_string(n.net));
	json_object_object_add(args, "container", json_object_new_string(n.ctr));
	json_object_object_add(args, "netns", json_object_new_string(ref));
	json_object_object_add(args, "ifname", json_object_new_string(n.dev));
	json_object_object_add(args, "attach", json_object_new_string("veth"));
	json_object_object_add(args, "handoff", json_object_new_boolean(1));
	json_object_object_add(args, "owner", json_object_new_string("docker"));
	/* The DNS name is Docker's container name, learned after Join. */
	json_object_object_add(args, "dns_name", json_object_new_string(""));
	if (dkp_ctl_call("network.connect", args, &res, err, errlen) < 0)
		return -1;
	ifc = json_object_new_object();
	if (!mac_given && dkp_net_str(res, "mac"))
		json_object_object_add(ifc, "MacAddress",
				       json_object_new_string(dkp_net_str(res, "mac")));
	/* vswitch picked the address only if Docker gave none. */
	if ((!addr || !*addr) && dkp_net_str(res, "ip")) {
		char cidr[64];
		struct json_object *p;

		json_object_object_get_ex(res, "prefix", &p);
		snprintf(cidr, sizeof(cidr), "%s/%d", dkp_net_str(res, "ip"), json_object_get_int(p));
		json_object_object_add(ifc, "Address", json_object_new_string(cidr));
	}
	json_object_put(res);
	*reply = json_object_new_object();
	json_object_object_add(*reply, "Interface", ifc);
	return 0;
}

static int dkp_delete_endpoint(const struct dkp_req *req, struct json_object **reply,
			       char *err, size_t errlen)
{
	struct json_object *args, *res = NULL;
	struct dkp_names n;

	if (dkp_net_names(req->body, true, &n, err, errlen) < 0)
		return -1;
	args = json_object_new_object();
	json_object_object_add(args, "network", json_object_new_string(n.net));
	json_object_object_add(args, "container", json_object_new_string(n.ctr));
	if (dkp_ctl_call("network.disconnect", args, &res, err, errlen) < 0)
		return -1;
	json_object_put(res);
	return dkp_net_reply_empty(reply);
}

static int dkp_oper_info(const struct dkp_req *req, struct json_object **reply,
			 char *err, size_t errlen)
{
	struct dkp_names n;

	if (dkp_net_names(req->body, true, &n, err, errlen) < 0)
		return -1;
	*reply = json_object_new_object();
	json_object_object_add(*reply, "Value", json_object_new_object());
	return 0;
}

/* Tell vswitchd where the endpoint's device lives now (REF). */
static int dkp_set_sandbox(const struct dkp_names *n, const char *ref, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *res = NULL;

	json_object_object_add(args, "network", json_object_new_string(n->net));
	json_object_object_add(args, "container", json_object_new_string(n->ctr));
	json_object_object_add(args, "sandbox", json_object_new_string(ref));
	if (dkp_ctl_call("endpoint.sandbox", args, &res, err, errlen) < 0)
		return -1;
	json_object_put(res);
	return 0;
}

/* NET as vswitchd shows it: its subnet, gateway (dotted quad), real name
 * (NET may be a bound name) and whether it is internal. */
static int dkp_inspect_ipam(const char *net, char subnet[64], char gw[64], char name[64],
			    bool *internal, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *names = json_object_new_array();
	struct json_object *res = NULL, *n0, *ipam, *cfg, *v;
	const char *g, *s, *nm;

	json_object_array_add(names, json_object_new_string(net));
	json_object_object_add(args, "names", names);
	if (dkp_ctl_call("network.inspect", args, &res, err, errlen) < 0)
		return -1;
	n0 = json_object_is_type(res, json_type_array) ? json_object_array_get_idx(res, 0) : NULL;
	ipam = dkp_net_obj(n0, "IPAM");
	cfg = ipam && json_object_object_get_ex(ipam, "Config", &v) &&
	      json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, 0) : NULL;
	g = dkp_net_str(cfg, "Gateway");
	s = dkp_net_str(cfg, "Subnet");
	nm = dkp_net_str(n0, "Name");
	*internal = n0 && json_object_object_get_ex(n0, "Internal", &v) && json_object_get_boolean(v);
	if (!g || !s || !nm || dkp_net_strip_len(g, gw, 64) < 0) {
		json_object_put(res);
		snprintf(err, errlen, "vswitchd's network %s has no subnet or gateway", net);
		return -1;
	}
	snprintf(subnet, 64, "%s", s);
	snprintf(name, 64, "%s", nm);
	json_object_put(res);
	return 0;
}

static int dkp_join(const struct dkp_req *req, struct json_object **reply,
		    char *err, size_t errlen)
{
	const char *sb = dkp_net_str(req->body, "SandboxKey");
	struct json_object *ifn;
	struct dkp_names n;
	char gw[64], sub[64], real[64];
	bool internal;

	if (dkp_net_names(req->body, true, &n, err, errlen) < 0)
		return -1;
	if (!sb || sb[0] != '/') {
		snprintf(err, errlen, "SandboxKey must be the sandbox's namespace path");
		return -1;
	}
	if (dkp_inspect_ipam(n.net, sub, gw, real, &internal, err, errlen) < 0 ||
	    dkp_set_sandbox(&n, sb, err, errlen) < 0)
		return -1;
	*reply = json_object_new_object();
	ifn = json_object_new_object();
	json_object_object_add(ifn, "SrcName", json_object_new_string(n.dev));
	json_object_object_add(ifn, "DstPrefix", json_object_new_string("eth"));
	json_object_object_add(*reply, "InterfaceName", ifn);
	/* An internal network has no way out: no default route through it.
	 * Docker then needs to be told not to add its gateway bridge. */
	if (internal)
		json_object_object_add(*reply, "DisableGatewayService", json_object_new_boolean(1));
	else
		json_object_object_add(*reply, "Gateway", json_object_new_string(gw));
	dkp_names_learn(dkp_net_str(req->body, "NetworkID"), dkp_net_str(req->body, "EndpointID"),
			n.ctr);
	return 0;
}

static int dkp_leave(const struct dkp_req *req, struct json_object **reply,
		     char *err, size_t errlen)
{
	struct dkp_names n;
	char ref[32];

	if (dkp_net_names(req->body, true, &n, err, errlen) < 0)
		return -1;
	if (req->peer_pid <= 0) {
		snprintf(err, errlen, "cannot tell dockerd's namespace: no peer credentials");
		return -1;
	}
	/* Docker moves the device back to its own namespace after Leave. */
	snprintf(ref, sizeof(ref), "pid:%d", (int)req->peer_pid);
	if (dkp_set_sandbox(&n, ref, err, errlen) < 0)
		return -1;
	return dkp_net_reply_empty(reply);
}

/* One portmap entry as a vsctl SPEC: [HOSTIP:][HOSTPORT]:CPORT/PROTO. */
static int dkp_port_spec(struct json_object *pm, char *out, size_t len, char *err, size_t errlen)
{
	struct json_object *v;
	const char *hip = dkp_net_str(pm, "HostIP");
	int proto = json_object_object_get_ex(pm, "Proto", &v) ? json_object_get_int(v) : -1;
	int port = json_object_object_get_ex(pm, "Port", &v) ? json_object_get_int(v) : 0;
	int hport = json_object_object_get_ex(pm, "HostPort", &v) ? json_object_get_int(v) : 0;

	if (proto != 6 && proto != 17) {
		snprintf(err, errlen, "published port %d: only tcp and udp are supported", port);
		return -1;
	}
	if (port < 1 || port > 65535 || hport < 0 || hport > 65535) {
		snprintf(err, errlen, "published port %d -> %d: out of range", hport, port);
		return -1;
	}
	if (hip && !strcmp(hip, "::"))
		hip = "";
	if (hip && strchr(hip, ':')) {
		snprintf(err, errlen, "published port on %.64s: vswitch is IPv4 only", hip);
		return -1;
	}
	if (hport)
		snprintf(out, len, "%s%s%d:%d/%s", hip && *hip ? hip : "", hip && *hip ? ":" : "",
			 hport, port, proto == 6 ? "tcp" : "udp");
	else
		snprintf(out, len, "%s%s%d/%s", hip && *hip ? hip : "", hip && *hip ? "::" : "",
			 port, proto == 6 ? "tcp" : "udp");
	return 0;
}

static int dkp_program(const struct dkp_req *req, struct json_object **reply,
		       char *err, size_t errlen)
{
	struct json_object *opts = dkp_net_obj(req->body, "Options"), *pms = NULL;
	struct json_object *args, *specs, *res = NULL;
	struct dkp_names n;
	char spec[96];
	size_t i;

	if (dkp_net_names(req->body, true, &n, err, errlen) < 0)
		return -1;
	if (!opts || !json_object_object_get_ex(opts, "com.docker.network.portmap", &pms) ||
	    !pms || !json_object_array_length(pms))
		return dkp_net_reply_empty(reply);
	if (!json_object_is_type(pms, json_type_array)) {
		snprintf(err, errlen, "com.docker.network.portmap must be an array");
		return -1;
	}
	specs = json_object_new_array();
	for (i = 0; i < json_object_array_length(pms); i++) {
		if (dkp_port_spec(json_object_array_get_idx(pms, i), spec, sizeof(spec),
				  err, errlen) < 0) {
			json_object_put(specs);
			return -1;
		}
		json_object_array_add(specs, json_object_new_string(spec));
	}
	args = json_object_new_object();
	json_object_object_add(args, "container", json_object_new_string(n.ctr));
	json_object_object_add(args, "specs", specs);
	if (dkp_ctl_call("port.publish", args, &res, err, errlen) < 0)
		return -1;
	json_object_put(res);
	return dkp_net_reply_empty(reply);
}

/* A mapping from port.ls back into the SPEC that removes exactly it. */
static void dkp_mapping_spec(struct json_object *m, char *out, size_t len)
{
	struct json_object *v;
	const char *hip = dkp_net_str(m, "host_ip"), *proto = dkp_net_str(m, "proto");
	int cport = json_object_object_get_ex(m, "cport", &v) ? json_object_get_int(v) : 0;
	int hport = json_object_object_get_ex(m, "host_port", &v) ? json_object_get_int(v) : 0;
	int count = json_object_object_get_ex(m, "count", &v) ? json_object_get_int(v) : 1;

	if (count > 1)
		snprintf(out, len, "%s:%d-%d:%d-%d/%s", hip ? hip : "0.0.0.0", hport,
			 hport + count - 1, cport, cport + count - 1, proto ? proto : "tcp");
	else
		snprintf(out, len, "%s:%d:%d/%s", hip ? hip : "0.0.0.0", hport, cport,
			 proto ? proto : "tcp");
}

static int dkp_revoke(const struct dkp_req *req, struct json_object **reply,
		      char *err, size_t errlen)
{
	struct json_object *args, *specs, *res = NULL;
	struct dkp_names n;
	char spec[96];
	size_t i;

	if (dkp_net_names(req->body, true, &n, err, errlen) < 0)
		return -1;
	args = json_object_new_object();
	json_object_object_add(args, "container", json_object_new_string(n.ctr));
	if (dkp_ctl_call("port.ls", args, &res, err, errlen) < 0)
		return -1;
	if (!json_object_is_type(res, json_type_array) || !json_object_array_length(res)) {
		json_object_put(res);
		return dkp_net_reply_empty(reply);
	}
	specs = json_object_new_array();
	for (i = 0; i < json_object_array_length(res); i++) {
		dkp_mapping_spec(json_object_array_get_idx(res, i), spec, sizeof(spec));
		json_object_array_add(specs, json_object_new_string(spec));
	}
	json_object_put(res);
	res = NULL;
	args = json_object_new_object();
	json_object_object_add(args, "container", json_object_new_string(n.ctr));
	json_object_object_add(args, "specs", specs);
	if (dkp_ctl_call("port.unpublish", args, &res, err, errlen) < 0)
		return -1;
	json_object_put(res);
	return dkp_net_reply_empty(reply);
}

/* Node discovery (swarm) means nothing to a local driver: acknowledge. */
static int dkp_discover(const struct dkp_req *req, struct json_object **reply,
			char *err, size_t errlen)
{
	return dkp_net_reply_empty(reply);
}

static const struct dkp_method dkp_net_methods[] = {
	{ "/Plugin.Activate", dkp_activate },
	{ "/NetworkDriver.GetCapabilities", dkp_capabilities },
	{ "/NetworkDriver.CreateNetwork", dkp_create_network },
	{ "/NetworkDriver.DeleteNetwork", dkp_delete_network },
	{ "/NetworkDriver.CreateEndpoint", dkp_create_endpoint },
	{ "/NetworkDriver.EndpointOperInfo", dkp_oper_info },
	{ "/NetworkDriver.DeleteEndpoint", dkp_delete_endpoint },
	{ "/NetworkDriver.Join", dkp_join },
	{ "/NetworkDriver.Leave", dkp_leave },
	{ "/NetworkDriver.ProgramExternalConnectivity", dkp_program },
	{ "/NetworkDriver.RevokeExternalConnectivity", dkp_revoke },
	{ "/NetworkDriver.DiscoverNew", dkp_discover },
	{ "/NetworkDriver.DiscoverDelete", dkp_discover },
};

void dkp_err_oneline(char *err)
{
	for (; *err; err++)
		if ((unsigned char)*err < 0x20 || *err == 0x7f)
			*err = ' ';
}

const struct dkp_method *dkp_net_find(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(dkp_net_methods) / sizeof(dkp_net_methods[0]); i++)
		if (!strcmp(path, dkp_net_methods[i].path))
			return &dkp_net_methods[i];
	return NULL;
}
