/* docker_plugin_ipam.c - Docker's IpamDriver methods: vswitch's IPAM.
 *
 * Theory of Operation
 *
 * `docker network create -d vswitch --ipam-driver vswitch` lets vswitch
 * choose the subnet and the addresses instead of Docker's default IPAM,
 * whose pools are vswitch's own (doc/docker.md).  Like the NetworkDriver
 * methods, these keep no state: a pool's id is its subnet ("10.1.0.0/24"),
 * and vswitchd is asked what it would choose (ipam.suggest), changing
 * nothing.  The choice is made real by what Docker does next:
 * CreateNetwork with the pool and gateway, CreateEndpoint with the
 * address, each checked again by vswitchd.  Releases therefore have
 * nothing to undo: an address is free again once its endpoint is gone,
 * a pool once its network is.
 *
 * A pool Docker's user gives (--subnet, --gateway, --ip) is taken as is;
 * IPv6 pools are refused.
 */
#include <stdio.h>
#include <string.h>

#include "docker_plugin.h"

#define DKP_GW_TYPE "com.docker.network.gateway"

static const char *dkp_ipam_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int dkp_ipam_caps(const struct dkp_req *req, struct json_object **reply,
			 char *err, size_t errlen)
{
	*reply = json_object_new_object();
	json_object_object_add(*reply, "RequiresMACAddress", json_object_new_boolean(0));
	return 0;
}

static int dkp_ipam_spaces(const struct dkp_req *req, struct json_object **reply,
			   char *err, size_t errlen)
{
	*reply = json_object_new_object();
	json_object_object_add(*reply, "LocalDefaultAddressSpace", json_object_new_string("vswitch"));
	json_object_object_add(*reply, "GlobalDefaultAddressSpace",
			       json_object_new_string("vswitch-global"));
	return 0;
}

/* The prefix length of CIDR ("10.1.0.0/24" -> 24), or -1. */
static int dkp_ipam_len(const char *cidr)
{
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	int len;

	if (!slash || sscanf(slash + 1, "%d", &len) != 1 || len < 0 || len > 32)
		return -1;
	return len;
}

static int dkp_ipam_request_pool(const struct dkp_req *req, struct json_object **reply,
				 char *err, size_t errlen)
{
	const char *pool = dkp_ipam_str(req->body, "Pool"), *sub = dkp_ipam_str(req->body, "SubPool");
	struct json_object *v, *res = NULL, *data;
	char gw[64], ip[48];
	unsigned int a, b, c, d;

	if (json_object_object_get_ex(req->body, "V6", &v) && json_object_get_boolean(v)) {
		snprintf(err, errlen, "vswitch networks are IPv4 only: no IPv6 pool");
		return -1;
	}
	if (sub && *sub) {
		snprintf(err, errlen, "vswitch's IPAM takes no --ip-range: use the default IPAM for it");
		return -1;
	}
	if (!pool || !*pool) {
		if (dkp_ctl_call("ipam.suggest", NULL, &res, err, errlen) < 0)
			return -1;
		pool = dkp_ipam_str(res, "subnet");
		snprintf(gw, sizeof(gw), "%s/%d", dkp_ipam_str(res, "gateway"), dkp_ipam_len(pool));
	} else if (dkp_ipam_len(pool) < 0 || sscanf(pool, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 ||
		   a > 255 || b > 255 || c > 255 || d > 254) {
		snprintf(err, errlen, "invalid pool \"%.64s\" (a.b.c.d/len)", pool);
		return -1;
	} else {
		/* The gateway is the subnet's first address, as vswitch's own. */
		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a, b, c, d + 1);
		snprintf(gw, sizeof(gw), "%s/%d", ip, dkp_ipam_len(pool));
	}
	*reply = json_object_new_object();
	json_object_object_add(*reply, "PoolID", json_object_new_string(pool));
	json_object_object_add(*reply, "Pool", json_object_new_string(pool));
	data = json_object_new_object();
	json_object_object_add(data, DKP_GW_TYPE, json_object_new_string(gw));
	json_object_object_add(*reply, "Data", data);
	json_object_put(res);
	return 0;
}

/* The vswitch network whose subnet is POOL (into NAME).  Return: 0 or -1. */
static int dkp_ipam_network(const char *pool, char name[64], char *err, size_t errlen)
{
	struct json_object *res = NULL;
	size_t i;
	int rc = -1;

	if (dkp_ctl_call("network.ls", NULL, &res, err, errlen) < 0)
		return -1;
	for (i = 0; json_object_is_type(res, json_type_array) &&
		    i < json_object_array_length(res); i++) {
		struct json_object *n = json_object_array_get_idx(res, i);
		const char *s = dkp_ipam_str(n, "subnet");

		if (s && !strcmp(s, pool)) {
			snprintf(name, 64, "%s", dkp_ipam_str(n, "name"));
			rc = 0;
			break;
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "no vswitch network has the pool %.64s", pool);
	json_object_put(res);
	return rc;
}

static int dkp_ipam_request_address(const struct dkp_req *req, struct json_object **reply,
				    char *err, size_t errlen)
{
	const char *pool = dkp_ipam_str(req->body, "PoolID"), *addr = dkp_ipam_str(req->body, "Address");
	struct json_object *opts = json_object_object_get(req->body, "Options");
	const char *type = json_object_is_type(opts, json_type_object)
			   ? dkp_ipam_str(opts, "RequestAddressType") : NULL;
	int len = dkp_ipam_len(pool);
	struct json_object *args, *res = NULL;
	char cidr[64], net[64];

	if (len < 0) {
		snprintf(err, errlen, "PoolID must be a pool this driver gave (a.b.c.d/len)");
		return -1;
	}
	if (addr && *addr) {
		snprintf(cidr, sizeof(cidr), "%.40s/%d", addr, len);
	} else if (type && !strcmp(type, DKP_GW_TYPE)) {
		/* RequestPool's Data gave it already; asked anyway: the same. */
		unsigned int a, b, c, d;

		if (sscanf(pool, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || d > 254) {
			snprintf(err, errlen, "invalid pool \"%.64s\"", pool);
			return -1;
		}
		snprintf(cidr, sizeof(cidr), "%u.%u.%u.%u/%d", a, b, c, d + 1, len);
	} else {
		if (dkp_ipam_network(pool, net, err, errlen) < 0)
			return -1;
		args = json_object_new_object();
		json_object_object_add(args, "network", json_object_new_string(net));
		if (dkp_ctl_call("ipam.suggest", args, &res, err, errlen) < 0)
			return -1;
		snprintf(cidr, sizeof(cidr), "%.40s/%d", dkp_ipam_str(res, "ip"), len);
		json_object_put(res);
	}
	*reply = json_object_new_object();
	json_object_object_add(*reply, "Address", json_object_new_string(cidr));
	json_object_object_add(*reply, "Data", json_object_new_object());
	return 0;
}

/* vswitchd frees an address with its endpoint and a pool with its
 * network: nothing is left to release. */
static int dkp_ipam_release(const struct dkp_req *req, struct json_object **reply,
			    char *err, size_t errlen)
{
	*reply = json_object_new_object();
	return 0;
}

static const struct dkp_method dkp_ipam_methods[] = {
	{ "/IpamDriver.GetCapabilities", dkp_ipam_caps },
	{ "/IpamDriver.GetDefaultAddressSpaces", dkp_ipam_spaces },
	{ "/IpamDriver.RequestPool", dkp_ipam_request_pool },
	{ "/IpamDriver.ReleasePool", dkp_ipam_release },
	{ "/IpamDriver.RequestAddress", dkp_ipam_request_address },
	{ "/IpamDriver.ReleaseAddress", dkp_ipam_release },
};

const struct dkp_method *dkp_ipam_find(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(dkp_ipam_methods) / sizeof(dkp_ipam_methods[0]); i++)
		if (!strcmp(path, dkp_ipam_methods[i].path))
			return &dkp_ipam_methods[i];
	return NULL;
}
