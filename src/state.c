/* state.c - the durable state: lock, load, state.json and its journal.
 *
 * Theory of operation.  The model (networks, containers, endpoints,
 * published ports) lives in two files of the state dir:
 *
 * - state.json, the whole model, written atomically (state_save(): a temp
 *   file, fsync, rename over state.json, fsync of the directory), so after
 *   a crash (kill -9, power loss after the fsyncs) it is the old or the new
 *   model, never a mix;
 * - state.journal, the changes to containers made since (state_save_ctr()):
 *   a header line {"journal":1,"gen":G} and then one line per change, the
 *   whole container as state.json would hold it, or null when it is gone:
 *   {"container":NAME,"state":{...}|null}.  A change is one append and one
 *   fdatasync; the reply to vsctl goes out only after it returns.
 *
 * Why a journal: rewriting state.json for every connect costs O(containers)
 * (311 kB rewritten and fsynced twice per connect at 500 containers, so
 * connects slowed as the switch grew; issue 19).  An append costs the
 * size of one container whatever their number.  Each record replaces one
 * container whole, so replaying a record twice is harmless, and the
 * records are replayed in order: the last one of a container wins.
 *
 * Compaction is a state_save(): it writes state.json with "journal_gen":
 * G+1 and then a fresh journal whose header says G+1.  A crash between
 * the two leaves a journal of generation G next to a state.json of G+1:
 * every record in it is already in state.json, and the load ignores it.
 * Compaction happens when the journal grows past twice state.json (so
 * its cost per change stays O(1) amortised), for every change that is
 * not a container's (networks are few), at start when the journal had
 * records (so state.json alone is the model again), and at a clean exit.
 *
 * A crash can cut only the last record short (appends are serial, each
 * synced before the next): a last line without its newline, or one that
 * is not a record, is dropped with a warning (its command was never
 * acknowledged).  A bad record anywhere else is damage, and vswitchd
 * refuses to start naming the file, as for a damaged state.json.
 *
 * Files of earlier releases have no journal and no "journal_gen" (0) and
 * load as before.  An earlier release started on a dir with a journal
 * would not read it: a clean exit compacts, so only a crashed switch's
 * last changes would be missed (doc/crash-safety.md).
 *
 * The state dir is locked with flock() on DIR/lock, held for the daemon's
 * life: a second vswitchd on the same dir is refused with the holder's pid.
 * A state file that does not parse or does not validate stops vswitchd
 * with its path; starting empty would silently lose every network.
 *
 * An endpoint may carry "pending": "connect" or "disconnect", the intent
 * its command wrote before touching the kernel; cmd_container_restore()
 * settles it at the next start (doc/crash-safety.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include "control.h"
#include "ipam.h"
#include "log.h"
#include "model.h"
#include "overlay.h"
#include "state.h"

#define STATE_FILE "state.json"
#define STATE_JOURNAL "state.journal"
#define STATE_VERSION 1
#define STATE_JOURNAL_MIN (64 * 1024)	/* compaction bound, at least */

static char state_dirpath[4096];
static int state_lock_fd = -1;
static int64_t state_gen;		/* "journal_gen" of state.json */
static int state_journal_fd = -1;	/* open for appends, or -1 */
static size_t state_journal_len;	/* its length */
static size_t state_journal_max;	/* compact past this */
static unsigned int state_journal_records;	/* appended since it started */
static unsigned int state_journal_torn;	/* torn records dropped at load */
static uint64_t state_compactions;	/* state.json rewrites since start */

const char *state_dir(void) { return state_dirpath; }

static int state_mkdirs(const char *dir)
{
	char buf[4096], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return (mkdir(buf, 0755) && errno != EEXIST) ? -1 : 0;
}

/* Take DIR/lock; on failure say who holds it. */
static int state_lock(char *err, size_t errlen)
{
	char path[4200], pid[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/lock", state_dirpath);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "state dir %s is in use by another vswitchd (pid %s)",
			 state_dirpath, *pid ? pid : "unknown");
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write pid to %s", path);
	state_lock_fd = fd;
	return 0;
}

/* ---- model -> JSON ---- */

static struct json_object *state_str(const char *s) { return json_object_new_string(s); }

/* IPv4 addresses print as dotted quads, as every release wrote them. */
static struct json_object *state_ip(const union vs_addr *a)
{
	char buf[VS_ADDR_STRLEN];

	return state_str(vs_addr_str(a, buf, sizeof(buf)));
}

static struct json_object *state_prefix(const struct vs_prefix *p)
{
	char buf[VS_PREFIX_STRLEN];

	return state_str(vs_prefix_str(p, buf, sizeof(buf)));
}

static struct json_object *state_network_json(const struct network *n)
{
	struct json_object *o = json_object_new_object(), *aux = json_object_new_object();
	int i;

	json_object_object_add(o, "name", state_str(n->name));
	json_object_object_add(o, "id", state_str(n->id));
	json_object_object_add(o, "created", json_object_new_int64(n->created));
	json_object_object_add(o, "subnet", state_prefix(&n->subnet));
	json_object_object_add(o, "gateway", state_ip(&n->gateway));
	if (n->ip_range.len)
		json_object_object_add(o, "ip_range", state_prefix(&n->ip_range));
	/* Only on --ipv6 networks: older files have none and load as IPv4. */
	if (n->ipv6) {
		json_object_object_add(o, "subnet6", state_prefix(&n->subnet6));
		json_object_object_add(o, "gateway6", state_ip(&n->gateway6));
		if (n->ip_range6.len)
			json_object_object_add(o, "ip_range6", state_prefix(&n->ip_range6));
		if (n->routed6)
			json_object_object_add(o, "routed6", json_object_new_boolean(true));
	}
	for (i = 0; i < n->n_aux; i++)
		json_object_object_add(aux, n->aux[i].name, state_ip(&n->aux[i].addr));
	json_object_object_add(o, "aux", aux);
	json_object_object_add(o, "internal", json_object_new_boolean(n->internal));
	json_object_object_add(o, "icc", json_object_new_boolean(n->icc));
	json_object_object_add(o, "dns", json_object_new_boolean(n->dns));
	json_object_object_add(o, "dns_intercept", json_object_new_boolean(n->dns_intercept));
	json_object_object_add(o, "default", json_object_new_boolean(n->is_default));
	json_object_object_add(o, "global", json_object_new_boolean(n->global));
	json_object_object_add(o, "mtu", json_object_new_int(n->mtu));
	/* Only for LAN networks: files of earlier releases have no driver. */
	if (n->driver != NET_DRIVER_BRIDGE) {
		json_object_object_add(o, "driver", state_str(model_driver_name(n->driver)));
		json_object_object_add(o, "parent", state_str(n->parent));
	}
	overlay_ctl_state_json(n, o);
	if (n->n_bound) {
		struct json_object *b = json_object_new_array();

		for (i = 0; i < n->n_bound; i++)
			json_object_array_add(b, state_str(n->bound[i]));
		json_object_object_add(o, "bound", b);
	}
	/* Written only when there are some: files of earlier releases have no
	 * "labels", and load as a network without any. */
	if (n->n_labels)
		json_object_object_add(o, "labels", net_labels_json(n));
	return o;
}

static struct json_object *state_endpoint_json(const struct endpoint *ep)
{
	struct json_object *o = json_object_new_object(), *al = json_object_new_array();
	char mac[18];
	int i;

	json_object_object_add(o, "network", state_str(ep->net->name));
	json_object_object_add(o, "ip", state_ip(&ep->ip));
	if (ep->net->ipv6)
		json_object_object_add(o, "ip6", state_ip(&ep->ip6));
	json_object_object_add(o, "mac", state_str(ipam_mac_str(ep->mac, mac)));
	json_object_object_add(o, "ifname", state_str(ep->ifname));
	json_object_object_add(o, "host_if", state_str(ep->host_if));
	json_object_object_add(o, "attach", state_str(ep->attach == ATTACH_VETH ? "veth" : "tap"));
	json_object_object_add(o, "port_security", json_object_new_boolean(ep->port_security));
	json_object_object_add(o, "offload", json_object_new_boolean(ep->offload));
	json_object_object_add(o, "handoff", json_object_new_boolean(ep->handoff));
	json_object_object_add(o, "order", json_object_new_int((int)ep->conn_order));
	json_object_object_add(o, "owner", state_str(ep->owner[0] ? ep->owner : "vsctl"));
	if (ep->pending)
		json_object_object_add(o, "pending", state_str(ep->pending == EP_PENDING_CONNECT ?
							      "connect" : "disconnect"));
	for (i = 0; i < ep->n_aliases; i++)
		json_object_array_add(al, state_str(ep->aliases[i]));
	json_object_object_add(o, "aliases", al);
	return o;
}

static struct json_object *state_published_json(const struct published *pp)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "proto", state_str(pp->proto == IPPROTO_UDP ? "udp" : "tcp"));
	json_object_object_add(o, "host_ip", state_ip(&pp->host_ip));
	json_object_object_add(o, "host_port", json_object_new_int(pp->host_port));
	json_object_object_add(o, "cport", json_object_new_int(pp->cport));
	json_object_object_add(o, "count", json_object_new_int(pp->count));
	return o;
}

/* The namespace's identity as three numbers; int64 holds every dev, inode
 * and start time Linux hands out. */
static struct json_object *state_netns_id_json(const struct netns_id *id)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "dev", json_object_new_int64((int64_t)id->dev));
	json_object_object_add(o, "ino", json_object_new_int64((int64_t)id->ino));
	json_object_object_add(o, "start", json_object_new_int64((int64_t)id->start));
	return o;
}

static struct json_object *state_container_json(const struct container *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *eps = json_object_new_array(), *pub = json_object_new_array();
	struct endpoint *ep;
	struct published *pp;

	json_object_object_add(o, "name", state_str(c->name));
	json_object_object_add(o, "dns_name", state_str(c->dns_name));
	json_object_object_add(o, "netns", state_str(c->netns_ref));
	if (c->netns_id.ino)
		json_object_object_add(o, "netns_id", state_netns_id_json(&c->netns_id));
	json_object_object_add(o, "next_order", json_object_new_int((int)c->next_order));
	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		json_object_array_add(eps, state_endpoint_json(ep));
	LIST_FOREACH(pp, &c->published, link)
		json_object_array_add(pub, state_published_json(pp));
	json_object_object_add(o, "endpoints", eps);
	json_object_object_add(o, "published", pub);
	return o;
}

/* A container lives while it has endpoints or published ports; one with
 * neither is on its way out and is not state. */
static bool state_ctr_live(const struct container *c)
{
	return c && (!LIST_EMPTY(&c->endpoints) || !LIST_EMPTY(&c->published));
}

struct json_object *state_to_json(void)
{
	struct json_object *root = json_object_new_object();
	struct json_object *nets = json_object_new_array(), *ctrs = json_object_new_array();
	struct network *n, *ntmp;
	struct container *c, *ctmp;

	json_object_object_add(root, "version", json_object_new_int(STATE_VERSION));
	json_object_object_add(root, "journal_gen", json_object_new_int64(state_gen));
	HASH_ITER(hh, g_model.networks, n, ntmp)
		json_object_array_add(nets, state_network_json(n));
	HASH_ITER(hh, g_model.containers, c, ctmp)
		if (state_ctr_live(c))
			json_object_array_add(ctrs, state_container_json(c));
	json_object_object_add(root, "networks", nets);
	json_object_object_add(root, "containers", ctrs);
	if (g_model.ula_pool.len)
		json_object_object_add(root, "ula_pool", state_prefix(&g_model.ula_pool));
	return root;
}

/* ---- JSON -> model, validating every field ---- */

/* Fetch a member of the given type; NULL if absent or of another type. */
static struct json_object *state_get(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static const char *state_get_str(struct json_object *o, const char *key)
{
	struct json_object *v = state_get(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static bool state_get_bool(struct json_object *o, const char *key, bool dflt)
{
	struct json_object *v = state_get(o, key, json_type_boolean);

	return v ? json_object_get_boolean(v) : dflt;
}

static int state_get_int(struct json_object *o, const char *key, int dflt)
{
	struct json_object *v = state_get(o, key, json_type_int);

	return v ? json_object_get_int(v) : dflt;
}

static int64_t state_get_int64(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v = state_get(o, key, json_type_int);

	return v ? json_object_get_int64(v) : dflt;
}

#define STATE_BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

static int state_load_aux(struct network *n, struct json_object *aux, char *err, size_t errlen)
{
	if (!aux)
		return 0;
	json_object_object_foreach(aux, key, val) {
		if (n->n_aux >= VS_MAX_AUX || !model_name_ok(key) ||
		    !json_object_is_type(val, json_type_string) ||
		    ipam_parse_ip(json_object_get_string(val), &n->aux[n->n_aux].addr) ||
		    !vs_prefix_contains(&n->subnet, &n->aux[n->n_aux].addr)) {
			snprintf(err, errlen, "network %s: bad aux name or address %s", n->name, key);
			return -1;
		}
		snprintf(n->aux[n->n_aux].name, VS_NAME_MAX, "%s", key);
		n->n_aux++;
	}
	return 0;
}

/* The names bound to N (Docker networks, -o vswitch.network). */
static int state_load_bound(struct network *n, struct json_object *b, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; b && i < json_object_array_length(b); i++) {
		struct json_object *v = json_object_array_get_idx(b, i);
		const char *s = json_object_get_string(v);

		if (n->n_bound >= VS_MAX_BOUND || !json_object_is_type(v, json_type_string) ||
		    !model_dns_name_ok(s) || model_network(s)) {
			snprintf(err, errlen, "network %s: bad bound name", n->name);
			return -1;
		}
		snprintf(n->bound[n->n_bound++], VS_NAME_MAX, "%s", s);
	}
	return 0;
}

/* A --ipv6 network's second subnet: all of it, consistent, or refused. */
static int state_load_net6(struct network *n, struct json_object *o, char *err, size_t errlen)
{
	const char *sub = state_get_str(o, "subnet6"), *gw = state_get_str(o, "gateway6");
	const char *rng = state_get_str(o, "ip_range6");
	char e2[200];

	if (!sub && !gw && !rng)
		return 0;
	n->ipv6 = true;
	if (!sub || ipam_parse_cidr6(sub, &n->subnet6, e2, sizeof(e2)) ||
	    !gw || ipam_parse_ip6(gw, &n->gateway6) ||
	    (rng && ipam_parse_cidr6(rng, &n->ip_range6, e2, sizeof(e2))) ||
	    !vs_prefix_contains(&n->subnet6, &n->gateway6) ||
	    (n->ip_range6.len && !vs_prefix_within(&n->ip_range6, &n->subnet6))) {
		snprintf(err, errlen, "network %s: bad subnet6, gateway6 or ip_range6", n->name);
		return -1;
	}
	n->routed6 = state_get_bool(o, "routed6", false);
	return 0;
}

static int state_load_network(struct json_object *o, char *err, size_t errlen)
{
	struct network *n = calloc(1, sizeof(*n));
	const char *name = state_get_str(o, "name"), *id = state_get_str(o, "id");
	const char *rng = state_get_str(o, "ip_range");
	char e2[200];

	if (!n)
		STATE_BAD("out of memory");
	if (!model_name_ok(name))
		STATE_BAD("a network named \"%.80s\": not 1 to %d letters, digits, . _ -",
			  name ? name : "", VS_NAME_MAX - 1);
	if (!id || strlen(id) != 64)
		STATE_BAD("network %s: no valid id", name);
	if (model_network(name))
		STATE_BAD("network %s appears twice", name);
	snprintf(n->name, sizeof(n->name), "%s", name);
	memcpy(n->id, id, 65);
	n->created = (time_t)state_get_int64(o, "created", 0);
	if (ipam_parse_cidr(state_get_str(o, "subnet"), &n->subnet, true, e2, sizeof(e2)) ||
	    ipam_parse_ip(state_get_str(o, "gateway"), &n->gateway) ||
	    (rng && ipam_parse_cidr(rng, &n->ip_range, true, e2, sizeof(e2))))
		STATE_BAD("network %s: bad subnet, gateway or ip_range", name);
	if (!vs_prefix_contains(&n->subnet, &n->gateway) ||
	    (n->ip_range.len && !vs_prefix_within(&n->ip_range, &n->subnet)))
		STATE_BAD("network %s: gateway or ip_range outside the subnet", name);
	if (state_load_net6(n, o, err, errlen) ||
	    state_load_aux(n, state_get(o, "aux", json_type_object), err, errlen))
		goto fail;
	n->internal = state_get_bool(o, "internal", false);
	n->icc = state_get_bool(o, "icc", true);
	n->dns = state_get_bool(o, "dns", true);
	n->dns_intercept = state_get_bool(o, "dns_intercept", false);
	n->is_default = state_get_bool(o, "default", false);
	n->global = state_get_bool(o, "global", false);
	n->mtu = state_get_int(o, "mtu", 1500);
	if (n->mtu < 68 || n->mtu > 65535)
		STATE_BAD("network %s: bad mtu", name);
	if (model_driver_parse(state_get_str(o, "driver"), &n->driver) < 0 ||
	    strlen(state_get_str(o, "parent") ? state_get_str(o, "parent") : "") >= sizeof(n->parent))
		STATE_BAD("network %s: bad driver or parent", name);
	snprintf(n->parent, sizeof(n->parent), "%s",
		 state_get_str(o, "parent") ? state_get_str(o, "parent") : "");
	if (state_load_bound(n, state_get(o, "bound", json_type_array), err, errlen))
		goto fail;
	if (net_labels_set(n, state_get(o, "labels", json_type_object), e2, sizeof(e2)))
		STATE_BAD("network %s: %s", name, e2);
	if (overlay_ctl_state_load(n, o, err, errlen))
		goto fail;
	model_gw_mac(n, n->gw_mac);
	LIST_INIT(&n->endpoints);
	HASH_ADD_STR(g_model.networks, name, n);
	return 0;
fail:
	free(n);
	return -1;
}

static int state_load_aliases(struct endpoint *ep, struct json_object *al)
{
	size_t i;

	for (i = 0; al && i < json_object_array_length(al); i++) {
		struct json_object *a = json_object_array_get_idx(al, i);

		if (ep->n_aliases >= VS_MAX_ALIASES || !json_object_is_type(a, json_type_string) ||
		    !model_dns_name_ok(json_object_get_string(a)))
			return -1;
		snprintf(ep->aliases[ep->n_aliases++], VS_NAME_MAX, "%s", json_object_get_string(a));
	}
	return 0;
}

/* "pending": absent, "connect" or "disconnect"; -1 for anything else. */
static int state_load_pending(struct json_object *o, enum ep_pending *p)
{
	struct json_object *v;
	const char *s;

	*p = EP_PENDING_NONE;
	if (!json_object_object_get_ex(o, "pending", &v))
		return 0;
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	if (!strcmp(s, "connect"))
		*p = EP_PENDING_CONNECT;
	else if (!strcmp(s, "disconnect"))
		*p = EP_PENDING_DISCONNECT;
	else
		return -1;
	return 0;
}

/* An endpoint of a --ipv6 network has its IPv6 address; others none. */
static int state_load_ip6(struct endpoint *ep, const char *ip6)
{
	if (!ep->net->ipv6)
		return ip6 ? -1 : 0;
	if (!ip6 || ipam_parse_ip6(ip6, &ep->ip6) ||
	    !vs_prefix_contains(&ep->net->subnet6, &ep->ip6) ||
	    model_endpoint_by_ip6(ep->net, &ep->ip6))
		return -1;
	return 0;
}

/* Connect refuses a second interface of one name in a container. */
static bool state_ifname_used(const struct container *c, const char *ifn)
{
	const struct endpoint *o;

	LIST_FOREACH(o, &c->endpoints, ctr_link)
		if (!strcmp(o->ifname, ifn))
			return true;
	return false;
}

static int state_load_endpoint(struct container *c, struct json_object *o, char *err, size_t errlen)
{
	struct endpoint *ep = calloc(1, sizeof(*ep));
	const char *net = state_get_str(o, "network"), *ifn = state_get_str(o, "ifname");
	const char *hif = state_get_str(o, "host_if"), *att = state_get_str(o, "attach");
	const char *owner = state_get_str(o, "owner");

	if (!ep)
		STATE_BAD("out of memory");
	ep->net = net ? model_network(net) : NULL;
	ep->ctr = c;
	if (!ep->net)
		STATE_BAD("container %s: endpoint on unknown network %s", c->name, net ? net : "?");
	if (ipam_parse_ip(state_get_str(o, "ip"), &ep->ip) ||
	    ipam_parse_mac(state_get_str(o, "mac"), ep->mac) ||
	    !ifn || !*ifn || strlen(ifn) >= VS_IFNAME_MAX || (hif && strlen(hif) >= VS_IFNAME_MAX) ||
	    state_load_pending(o, &ep->pending))
		STATE_BAD("container %s: bad endpoint on network %s", c->name, net);
	if (owner && !model_owner_ok(owner))
		STATE_BAD("container %s: bad owner on network %s (WORD or WORD:NAME)", c->name, net);
	if (state_load_aliases(ep, state_get(o, "aliases", json_type_array)))
		STATE_BAD("container %s: bad alias on network %s (at most %d, each 1 to %d "
			  "letters, digits, . _ -, nor - or . first)", c->name, net,
			  VS_MAX_ALIASES, VS_NAME_MAX - 1);
	if (!vs_prefix_contains(&ep->net->subnet, &ep->ip) || state_get_int(o, "order", 0) < 0)
		STATE_BAD("container %s: endpoint address outside network %s or bad order", c->name, net);
	if (model_ip_in_use(ep->net, &ep->ip) || model_endpoint(ep->net, c))
		STATE_BAD("container %s: duplicate endpoint or address on network %s", c->name, net);
	if (state_ifname_used(c, ifn))
		STATE_BAD("container %s: two interfaces %s", c->name, ifn);
	if (state_load_ip6(ep, state_get_str(o, "ip6")))
		STATE_BAD("container %s: bad or duplicate ip6 on network %s", c->name, net);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifn);
	snprintf(ep->host_if, sizeof(ep->host_if), "%s", hif ? hif : "");
	ep->attach = att && !strcmp(att, "veth") ? ATTACH_VETH : ATTACH_TAP;
	ep->port_security = state_get_bool(o, "port_security", true);
	ep->offload = state_get_bool(o, "offload", true);
	ep->handoff = state_get_bool(o, "handoff", false);
	ep->conn_order = (unsigned int)state_get_int(o, "order", 0);
	/* files from before owners: whatever is there was made by vsctl */
	snprintf(ep->owner, sizeof(ep->owner), "%s", owner ? owner : "vsctl");
	model_endpoint_link(ep);
	return 0;
fail:
	free(ep);
	return -1;
}

static int state_load_published(struct container *c, struct json_object *o, char *err, size_t errlen)
{
	struct published *pp = calloc(1, sizeof(*pp));
	const char *proto = state_get_str(o, "proto");
	int hp = state_get_int(o, "host_port", -1), cp = state_get_int(o, "cport", -1);
	int cnt = state_get_int(o, "count", 1);

	if (!pp || !proto || (strcmp(proto, "tcp") && strcmp(proto, "udp")) ||
	    !state_get_str(o, "host_ip") ||    /* either family: "[::]:8080:80" */
	    vs_addr_parse(state_get_str(o, "host_ip"), &pp->host_ip) ||
	    hp < 1 || cp < 1 || cnt < 1 || hp > 65535 || cp > 65535 || cnt > 65535 ||
	    hp + cnt - 1 > 65535 || cp + cnt - 1 > 65535) {   /* no int overflow */
		free(pp);
		snprintf(err, errlen, "container %s: bad published port", c->name);
		return -1;
	}
	pp->proto = strcmp(proto, "udp") ? IPPROTO_TCP : IPPROTO_UDP;
	pp->host_port = (uint16_t)hp;
	pp->cport = (uint16_t)cp;
	pp->count = (uint16_t)cnt;
	LIST_INSERT_HEAD(&c->published, pp, link);
	return 0;
}

/* Files from before identities have none: the id stays zero (unknown). */
static int state_load_netns_id(struct container *c, struct json_object *o,
			       char *err, size_t errlen)
{
	int64_t dev, ino, start;

	if (!o)
		return 0;
	dev = state_get_int64(o, "dev", -1);
	ino = state_get_int64(o, "ino", -1);
	start = state_get_int64(o, "start", -1);
	if (dev < 0 || ino < 0 || start < 0) {
		snprintf(err, errlen, "container %s: bad netns_id", c->name);
		return -1;
	}
	c->netns_id.dev = (uint64_t)dev;
	c->netns_id.ino = (uint64_t)ino;
	c->netns_id.start = (uint64_t)start;
	return 0;
}

/*
 * A container's key, DNS name and netns reference, by the rules `network
 * connect` applies (model.c): a file the daemon wrote passes, and what
 * no command would have made is refused here rather than kept, since the
 * next save would write it back (a key the DNS name defaults to, a
 * reference cut to fit).
 */
static int state_check_container(const char *name, const char *dns, const char *ref,
				  char *err, size_t errlen)
{
	if (!model_ckey_ok(name)) {
		snprintf(err, errlen, "a container named \"%.80s\": not 1 to %d letters, "
			 "digits, . _ - (nor - or . first)", name ? name : "", VS_CKEY_MAX - 1);
		return -1;
	}
	if (model_container(name)) {
		snprintf(err, errlen, "container %s appears twice", name);
		return -1;
	}
	if (dns && *dns && !model_dns_name_ok(dns)) {
		snprintf(err, errlen, "container %s: bad dns_name \"%.80s\" (1 to %d letters, "
			 "digits, . _ -, nor - or . first)", name, dns, VS_NAME_MAX - 1);
		return -1;
	}
	if (ref && strlen(ref) >= sizeof(((struct container *)0)->netns_ref)) {
		snprintf(err, errlen, "container %s: netns reference too long", name);
		return -1;
	}
	return 0;
}

static int state_load_container(struct json_object *o, char *err, size_t errlen)
{
	const char *name = state_get_str(o, "name"), *dns = state_get_str(o, "dns_name");
	struct json_object *eps = state_get(o, "endpoints", json_type_array);
	struct json_object *pub = state_get(o, "published", json_type_array);
	struct container *c;
	size_t i;

	if (state_check_container(name, dns, state_get_str(o, "netns"), err, errlen))
		return -1;
	c = model_container_add(name, state_get_str(o, "netns"));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->next_order = (unsigned int)state_get_int(o, "next_order", 0);
	if (state_load_netns_id(c, state_get(o, "netns_id", json_type_object), err, errlen))
		return -1;
	/* files from before keys and DNS names: the name was both, when it
	 * makes a DNS name (connect's rule: cmd_container_dns_name()) */
	snprintf(c->dns_name, sizeof(c->dns_name), "%s",
		 dns ? dns : model_dns_name_ok(name) ? name : "");
	/* Lists insert at the head: load backwards to keep the saved order. */
	for (i = eps ? json_object_array_length(eps) : 0; i > 0; i--)
		if (state_load_endpoint(c, json_object_array_get_idx(eps, i - 1), err, errlen))
			return -1;
	for (i = pub ? json_object_array_length(pub) : 0; i > 0; i--)
		if (state_load_published(c, json_object_array_get_idx(pub, i - 1), err, errlen))
			return -1;
	return 0;
}

/* The host's ULA /48 (ipam.c); absent in files without IPv6 networks. */
static int state_load_ula(struct json_object *root, char *err, size_t errlen)
{
	const char *ula = state_get_str(root, "ula_pool");
	struct vs_prefix p;
	char e2[200];

	if (!ula)
		return 0;
	if (vs_prefix_parse(ula, &p, true, e2, sizeof(e2)) || vs_addr_is_v4(&p.addr) ||
	    p.len != 48 || p.addr.b[0] != 0xfd) {
		snprintf(err, errlen, "bad ula_pool \"%s\" (an fd00::/8 /48)", ula);
		return -1;
	}
	g_model.ula_pool = p;
	return 0;
}

/**
 * state_from_json() - Replace the model with the one ROOT describes
 * Return: 0, or -1 with a reason in @err (the model is then cleared)
 */
int state_from_json(struct json_object *root, char *err, size_t errlen)
{
	struct json_object *nets, *ctrs;
	size_t i;

	model_clear();
	if (!json_object_is_type(root, json_type_object) ||
	    state_get_int(root, "version", -1) != STATE_VERSION ||
	    !(nets = state_get(root, "networks", json_type_array)) ||
	    !(ctrs = state_get(root, "containers", json_type_array)))
		STATE_BAD("not a vswitch state file (version %d expected)", STATE_VERSION);
	if (state_load_ula(root, err, errlen))
		goto fail;
	state_gen = state_get_int64(root, "journal_gen", 0);
	for (i = 0; i < json_object_array_length(nets); i++)
		if (state_load_network(json_object_array_get_idx(nets, i), err, errlen))
			goto fail;
	for (i = 0; i < json_object_array_length(ctrs); i++)
		if (state_load_container(json_object_array_get_idx(ctrs, i), err, errlen))
			goto fail;
	return 0;
fail:
	model_clear();
	return -1;
}

/* ---- files ---- */

static int state_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int state_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/**
 * state_write_file() - Put the pieces IOV at DIR/NAME, atomically and durably
 * @dir:	directory (the state dir)
 * @name:	file name in it
 * @iov:	the contents, in pieces written one after the other
 * @iovcnt:	how many pieces
 *
 * Temp file, fsync, rename, fsync of the directory: a crash leaves the old
 * file or the new one, never a mix.  Touches nothing but its arguments, so
 * the conntrack snapshot's writer thread uses it too.
 *
 * Return: 0, or -1 with errno set; on failure the old file is untouched
 */
int state_write_file(const char *dir, const char *name, const struct iovec *iov, int iovcnt)
{
	char tmp[4200], path[4200];
	int fd, i, e;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	for (i = 0; i < iovcnt; i++)
		if (state_write_all(fd, iov[i].iov_base, iov[i].iov_len))
			break;
	if (i < iovcnt || fsync(fd)) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	close(fd);
	if (rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return state_fsync_dir(dir);
}

/* state_journal_close() - Stop appending (the next change compacts). */
static void state_journal_close(void)
{
	if (state_journal_fd >= 0)
		close(state_journal_fd);
	state_journal_fd = -1;
}

/**
 * state_journal_start() - Replace the journal by an empty one of state_gen
 *
 * Atomically (state_write_file), so a crash leaves the old journal (of an
 * older generation: ignored) or the new one.  On failure no journal is
 * open and every change compacts, which is slower but as safe.
 */
static void state_journal_start(void)
{
	char head[64], path[4200];
	struct iovec iov;
	int n;

	state_journal_close();
	n = snprintf(head, sizeof(head), "{\"journal\":1,\"gen\":%lld}\n", (long long)state_gen);
	iov.iov_base = head;
	iov.iov_len = (size_t)n;
	snprintf(path, sizeof(path), "%s/%s", state_dirpath, STATE_JOURNAL);
	if (state_write_file(state_dirpath, STATE_JOURNAL, &iov, 1) ||
	    (state_journal_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
		log_warn("cannot start the state journal %s: %s; every change rewrites %s",
			 path, strerror(errno), STATE_FILE);
		return;
	}
	state_journal_len = (size_t)n;
	state_journal_records = 0;
}

/**
 * state_save() - Write the model to DIR/state.json atomically and durably,
 * and start a fresh journal (a compaction)
 * Return: 0, or -1 with @err set; on failure the old files are untouched
 */
int state_save(char *err, size_t errlen)
{
	struct json_object *root;
	const char *text;
	struct iovec iov[2] = { { NULL, 0 }, { "\n", 1 } };
	int rc;

	state_gen++;
	root = state_to_json();
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	iov[0].iov_base = (void *)text;
	iov[0].iov_len = strlen(text);
	rc = state_write_file(state_dirpath, STATE_FILE, iov, 2);
	if (rc) {
		state_gen--;
		snprintf(err, errlen, "cannot save state to %s/%s: %s", state_dirpath, STATE_FILE,
			 strerror(errno));
	} else {
		state_compactions++;
		state_journal_max = 2 * iov[0].iov_len;
		if (state_journal_max < STATE_JOURNAL_MIN)
			state_journal_max = STATE_JOURNAL_MIN;
		state_journal_start();
	}
	json_object_put(root);
	return rc;
}

/* state_journal_append() - One line at the end, synced; 0 or -1 (errno). */
static int state_journal_append(const char *line, size_t len)
{
	if (state_write_all(state_journal_fd, line, len) == 0 &&
	    fdatasync(state_journal_fd) == 0) {
		state_journal_len += len;
		state_journal_records++;
		return 0;
	}
	/* Take a partial line back, so that it cannot end up mid-journal.
	 * If even that fails the journal is closed: the caller compacts. */
	if (ftruncate(state_journal_fd, (off_t)state_journal_len))
		state_journal_close();
	return -1;
}

/**
 * state_save_ctr() - Make the change to container NAME durable
 * @name:   the container's name (it may be gone from the model: then its
 *          removal is what is saved)
 * @err:    reason on failure
 * @errlen: its size
 *
 * One journal record, or a compaction when there is no journal yet, the
 * journal is past its bound or the append failed.
 *
 * Return: 0, or -1 with @err set
 */
int state_save_ctr(const char *name, char *err, size_t errlen)
{
	const struct container *c = model_container(name);
	struct json_object *rec;
	const char *text;
	char *line;
	size_t len;
	int rc = -1;

	if (state_journal_fd < 0 || state_journal_len > state_journal_max)
		return state_save(err, errlen);
	rec = json_object_new_object();
	json_object_object_add(rec, "container", json_object_new_string(name));
	json_object_object_add(rec, "state", state_ctr_live(c) ? state_container_json(c) : NULL);
	text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	line = malloc(len + 1);
	if (line) {
		memcpy(line, text, len);
		line[len] = '\n';
		rc = state_journal_append(line, len + 1);
		free(line);
	}
	json_object_put(rec);
	return rc ? state_save(err, errlen) : 0;
}

/* Read the whole file; NULL with errno on failure. */
static char *state_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	long sz;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) || (sz = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)sz + 1);
	if (buf && fread(buf, 1, (size_t)sz, fp) != (size_t)sz) {
		free(buf);
		buf = NULL;
		goto out;
	}
	if (buf) {
		buf[sz] = '\0';
		*len = (size_t)sz;
	}
out:
	fclose(fp);
	return buf;
}

static int state_load(char *err, size_t errlen)
{
	char path[4200], why[256];
	struct json_tokener *tok;
	struct json_object *root;
	size_t len = 0;
	char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", state_dirpath, STATE_FILE);
	text = state_read_file(path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;	/* first start */
		snprintf(err, errlen, "cannot read state file %s: %s", path, strerror(errno));
		return -1;
	}
	tok = json_tokener_new();
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len) {
		/* trailing whitespace is fine; anything else is damage */
		size_t off = root ? (size_t)tok->char_offset : 0;

		while (root && off < len && strchr(" \t\r\n", text[off]))
			off++;
		if (!root || off != len) {
			snprintf(err, errlen, "state file %s is corrupt or truncated (%s); "
				 "refusing to start with empty state: fix or move it away",
				 path, root ? "trailing garbage" :
				 json_tokener_error_desc(json_tokener_get_error(tok)));
			json_object_put(root);
			json_tokener_free(tok);
			free(text);
			return -1;
		}
	}
	json_tokener_free(tok);
	free(text);
	rc = state_from_json(root, why, sizeof(why));
	json_object_put(root);
	if (rc) {
		char *c;

		/* WHY quotes names from the file, which may hold a newline or
		 * an escape sequence: the error stays one harmless line. */
		for (c = why; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		snprintf(err, errlen, "state file %s is invalid: %s; refusing to start "
			 "with empty state: fix or move it away", path, why);
	}
	return rc;
}

/* state_parse_text() - TEXT[0..LEN) as one JSON value and nothing else
 * but blanks; NULL if it is not. */
static struct json_object *state_parse_text(const char *text, size_t len, const char **why)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root;
	size_t off;

	*why = "out of memory";
	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, text, (int)len);
	*why = json_tokener_error_desc(json_tokener_get_error(tok));
	off = root ? (size_t)tok->char_offset : 0;
	while (root && off < len && strchr(" \t\r\n", text[off]))
		off++;
	if (root && off != len) {
		json_object_put(root);
		root = NULL;
		*why = "trailing garbage";
	}
	json_tokener_free(tok);
	return root;
}

/* state_journal_gen() - The generation a journal's header line names, or
 * -1 if the line is not a header. */
static int64_t state_journal_gen(const char *line, size_t len)
{
	const char *why;
	struct json_object *h = state_parse_text(line, len, &why);
	int64_t gen = -1;

	if (h && json_object_is_type(h, json_type_object) &&
	    state_get_int(h, "journal", -1) == 1)
		gen = state_get_int64(h, "gen", -1);
	json_object_put(h);
	return gen;
}

/**
 * state_journal_apply() - Replace one container by what record REC says
 * Return: 0; 1 if REC is not a record; -1 with @err if it does not load
 */
static int state_journal_apply(struct json_object *rec, char *err, size_t errlen)
{
	const char *name = state_get_str(rec, "container");
	struct json_object *st;
	struct container *c;

	if (!name || !json_object_object_get_ex(rec, "state", &st) ||
	    (st && (!json_object_is_type(st, json_type_object) ||
		    !state_get_str(st, "name") || strcmp(state_get_str(st, "name"), name))))
		return 1;
	c = model_container(name);
	if (c)
		model_container_del(c);
	return st ? state_load_container(st, err, errlen) : 0;
}

/**
 * state_journal_replay() - Apply DIR/state.journal to the loaded model
 * @path:   the journal's path
 * @text:   its contents
 * @len:    their length
 * @err:    reason when it cannot be applied
 * @errlen: its size
 *
 * Return: the number of records applied, or -1 with @err
 */
static int state_journal_replay(const char *path, const char *text, size_t len,
				char *err, size_t errlen)
{
	const char *p = text, *end = memchr(text, '\n', len), *why;
	char e2[200];
	int n = 0, rc;

	if (!end || state_journal_gen(p, (size_t)(end - p)) != state_gen) {
		if (end || len)
			log_info("state journal %s is not of %s's generation %lld: "
				 "its changes are in %s already; ignored",
				 path, STATE_FILE, (long long)state_gen, STATE_FILE);
		return 0;
	}
	for (p = end + 1; p < text + len; p = end + 1, n++) {
		struct json_object *rec;

		end = memchr(p, '\n', (size_t)(text + len - p));
		rec = end ? state_parse_text(p, (size_t)(end - p), &why) : NULL;
		rc = rec ? state_journal_apply(rec, e2, sizeof(e2)) : 1;
		json_object_put(rec);
		if (rc == 1 && (!end || end + 1 == text + len)) {
			state_journal_torn++;
			log_warn("state journal %s: dropped a torn last record (%zu bytes; "
				 "%u so far): its change was never acknowledged",
				 path, (size_t)(text + len - p), state_journal_torn);
			break;
		}
		if (rc) {
			snprintf(err, errlen, "record %d %s", n + 1,
				 rc == 1 ? "is not a journal record" : e2);
			return -1;
		}
	}
	return n;
}

/* state_load_journal() - Replay the journal if there is one; compact when
 * it held records, so that state.json alone is the model again. */
static int state_load_journal(char *err, size_t errlen)
{
	char path[4200], why[256], e2[300];
	size_t len = 0;
	char *text, *c;
	int n;

	snprintf(path, sizeof(path), "%s/%s", state_dirpath, STATE_JOURNAL);
	text = state_read_file(path, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read state journal %s: %s", path, strerror(errno));
		return -1;
	}
	n = state_journal_replay(path, text, len, why, sizeof(why));
	free(text);
	if (n < 0) {
		model_clear();
		for (c = why; *c; c++)	/* names from the file: one harmless line */
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		snprintf(err, errlen, "state journal %s is invalid: %s; refusing to start "
			 "with a partial state: fix or move it away", path, why);
		return -1;
	}
	if (n > 0)
		log_info("state journal %s: %d change%s replayed", path, n, n == 1 ? "" : "s");
	if ((n > 0 || state_journal_torn) && state_save(e2, sizeof(e2)))
		log_warn("%s; the journal stays as it is", e2);
	return 0;
}

/* state_journal_torn_count() - Torn journal records dropped at start. */
unsigned int state_journal_torn_count(void)
{
	return state_journal_torn;
}

/* state_stats_json() - The journal's counters, for `vsctl stats` ("state"). */
struct json_object *state_stats_json(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "journal_records", json_object_new_int64(state_journal_records));
	json_object_object_add(o, "journal_bytes",
			       json_object_new_int64(state_journal_fd < 0 ? 0 :
						     (int64_t)state_journal_len));
	json_object_object_add(o, "journal_torn", json_object_new_int64(state_journal_torn));
	json_object_object_add(o, "compactions", json_object_new_int64((int64_t)state_compactions));
	return o;
}

/**
 * state_compact() - Fold the journal into state.json (clean exit)
 *
 * Called before anything is torn down, so the model is still the state.
 */
void state_compact(void)
{
	char err[300];

	if (state_journal_fd < 0 || !state_journal_records)
		return;
	if (state_save(err, sizeof(err)))
		log_warn("%s; the journal keeps the changes", err);
}

/**
 * state_init() - Create and lock the state dir, then load the model from it
 * Return: 0, or -1 with @err naming the dir or file at fault
 */
int state_init(const char *dir, char *err, size_t errlen)
{
	snprintf(state_dirpath, sizeof(state_dirpath), "%s", dir);
	if (state_mkdirs(dir)) {
		snprintf(err, errlen, "cannot create state dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (state_lock(err, errlen))
		return -1;
	state_journal_torn = 0;
	if (state_load(err, errlen))
		return -1;
	return state_load_journal(err, errlen);
}

void state_fini(void)
{
	state_journal_close();
	state_gen = 0;
	state_journal_len = 0;
	state_journal_records = 0;
	state_compactions = 0;
	if (state_lock_fd >= 0)
		close(state_lock_fd);
	state_lock_fd = -1;
}
