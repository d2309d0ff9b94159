/* test_state.c - the state file: JSON round trip of the whole model, save
 * and reload through a real directory, atomic replacement, refusal of
 * damaged or ill-shaped files (naming the file), the state-dir lock, and
 * a state dir written by an earlier release (tests/fixtures/).
 *
 * One fixture model exercises every field state.c stores; the checks
 * compare the reloaded model with it field by field rather than comparing
 * JSON text, since lists may come back in another order.  Each test that
 * touches the disk gets its own mkdtemp() directory, removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "ipam.h"
#include "model.h"
#include "state.h"

static char tdir[64];

/* An address parsed into a small ring, so a test can hold a few at once. */
static const union vs_addr *ip(const char *s)
{
	static union vs_addr ring[8];
	static unsigned int next;
	union vs_addr *a = &ring[next++ % 8];

	assert_int_equal(ipam_parse_ip(s, a), 0);
	return a;
}

/* ---- the fixture model ---- */

static struct network *test_state_net(const char *name, const char *subnet, const char *gw,
				      char idc)
{
	struct network *n = calloc(1, sizeof(*n));
	char err[128];

	assert_non_null(n);
	snprintf(n->name, sizeof(n->name), "%s", name);
	memset(n->id, idc, 64);
	n->created = 1700000000;
	assert_int_equal(ipam_parse_cidr(subnet, &n->subnet, true, err, sizeof(err)), 0);
	n->gateway = *ip(gw);
	n->icc = true;
	n->dns = true;
	n->mtu = 1500;
	model_gw_mac(n, n->gw_mac);
	LIST_INIT(&n->endpoints);
	HASH_ADD_STR(g_model.networks, name, n);
	return n;
}

static struct endpoint *test_state_ep(struct network *n, struct container *c, const char *addr,
				      const char *ifname)
{
	struct endpoint *ep = calloc(1, sizeof(*ep));

	assert_non_null(ep);
	ep->net = n;
	ep->ctr = c;
	ep->ip = *ip(addr);
	model_mac_from_ip(&ep->ip, ep->mac);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifname);
	ep->attach = ATTACH_TAP;
	ep->port_security = true;
	ep->conn_order = c->next_order++;
	model_endpoint_link(ep);
	return ep;
}

static void test_state_pub(struct container *c, uint8_t proto, const char *hip,
			   uint16_t hp, uint16_t cp, uint16_t count)
{
	struct published *pp = calloc(1, sizeof(*pp));

	assert_non_null(pp);
	pp->proto = proto;
	pp->host_ip = *ip(hip);
	pp->host_port = hp;
	pp->cport = cp;
	pp->count = count;
	LIST_INSERT_HEAD(&c->published, pp, link);
}

/*
 * bridge (default) and two user networks, one internal with an ip-range,
 * aux addresses, dns off and another MTU; "web" on two networks with
 * aliases and three published ranges, "db" on one by veth with a
 * disconnect in flight ("pending", as a crash mid-command leaves it).
 */
static void test_state_build(void)
{
	struct network *br, *front, *back;
	struct container *web, *db;
	struct endpoint *ep;
	char err[128];

	br = test_state_net("bridge", "172.17.0.0/16", "172.17.0.1", 'b');
	br->is_default = true;
	front = test_state_net("front", "172.18.0.0/16", "172.18.0.1", '1');
	back = test_state_net("back", "10.10.0.0/24", "10.10.0.254", '2');
	back->internal = true;
	back->icc = false;
	back->dns = false;
	back->dns_intercept = true;
	back->mtu = 9000;
	assert_int_equal(ipam_parse_cidr("10.10.0.128/25", &back->ip_range, true, err,
					 sizeof(err)), 0);
	back->n_aux = 2;
	snprintf(back->aux[0].name, VS_NAME_MAX, "host1");
	back->aux[0].addr = *ip("10.10.0.128");
	snprintf(back->aux[1].name, VS_NAME_MAX, "router");
	back->aux[1].addr = *ip("10.10.0.2");

	web = model_container_add("web", "tns-web");
	db = model_container_add("db", "/proc/4242/ns/net");
	assert_non_null(web);
	assert_non_null(db);

	ep = test_state_ep(front, web, "172.18.0.2", "eth0");
	ep->n_aliases = 2;
	snprintf(ep->aliases[0], VS_NAME_MAX, "www");
	snprintf(ep->aliases[1], VS_NAME_MAX, "frontend.local");
	ep = test_state_ep(back, web, "10.10.0.129", "eth1");
	ep->port_security = false;
	ep = test_state_ep(back, db, "10.10.0.130", "eth0");
	ep->attach = ATTACH_VETH;
	snprintf(ep->host_if, sizeof(ep->host_if), "vsdb0");
	ep->mac[5] = 0x99;	/* a user --mac, not derived from the address */
	ep->pending = EP_PENDING_DISCONNECT;
	ep->handoff = true;	/* a device Docker moved (endpoint_handoff.c) */
	front->n_bound = 2;	/* Docker networks bound with -o vswitch.network */
	snprintf(front->bound[0], VS_NAME_MAX, "docker-0123456789ab");
	snprintf(front->bound[1], VS_NAME_MAX, "docker-ba9876543210");
	(void)br;

	test_state_pub(web, IPPROTO_TCP, "0.0.0.0", 8080, 80, 1);
	test_state_pub(web, IPPROTO_UDP, "127.0.0.1", 5353, 53, 1);
	test_state_pub(web, IPPROTO_TCP, "0.0.0.0", 9000, 9000, 10);
}

static struct published *test_state_find_pub(const struct container *c, uint8_t proto,
					     uint16_t hp)
{
	struct published *pp;

	LIST_FOREACH(pp, &c->published, link)
		if (pp->proto == proto && pp->host_port == hp)
			return pp;
	return NULL;
}

static int test_state_count_eps(const struct container *c)
{
	struct endpoint *ep;
	int n = 0;

	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		n++;
	return n;
}

static int test_state_count_pubs(const struct container *c)
{
	struct published *pp;
	int n = 0;

	LIST_FOREACH(pp, &c->published, link)
		n++;
	return n;
}

static void test_state_check_nets(void)
{
	struct network *br = model_network("bridge"), *front = model_network("front");
	struct network *back = model_network("back");
	char buf[VS_PREFIX_STRLEN], id[65];

	assert_int_equal(HASH_COUNT(g_model.networks), 3);
	assert_non_null(br);
	assert_non_null(front);
	assert_non_null(back);
	assert_true(br->is_default);
	assert_false(front->is_default);
	memset(id, '2', 64);
	id[64] = '\0';
	assert_string_equal(back->id, id);
	assert_int_equal(back->created, 1700000000);
	assert_string_equal(vs_prefix_str(&back->subnet, buf, sizeof(buf)), "10.10.0.0/24");
	assert_string_equal(vs_addr_str(&back->gateway, buf, sizeof(buf)), "10.10.0.254");
	assert_string_equal(vs_prefix_str(&back->ip_range, buf, sizeof(buf)), "10.10.0.128/25");
	assert_int_equal(front->ip_range.len, 0);
	assert_true(vs_addr_is_any(&front->ip_range.addr));
	assert_true(back->internal && !back->icc && !back->dns && back->dns_intercept);
	assert_true(!front->internal && front->icc && front->dns && !front->dns_intercept);
	assert_int_equal(back->mtu, 9000);
	assert_int_equal(front->mtu, 1500);
	assert_int_equal(back->n_aux, 2);
	for (int i = 0; i < 2; i++) {
		const char *want = !strcmp(back->aux[i].name, "host1") ? "10.10.0.128" :
				   !strcmp(back->aux[i].name, "router") ? "10.10.0.2" : "?";
		assert_string_equal(vs_addr_str(&back->aux[i].addr, buf, sizeof(buf)), want);
	}
	assert_int_equal(front->n_aux, 0);
	assert_memory_not_equal(front->gw_mac, back->gw_mac, 6);
}

static void test_state_check_web(void)
{
	struct container *web = model_container("web");
	struct network *front = model_network("front"), *back = model_network("back");
	struct endpoint *ep;
	struct published *pp;
	char buf[18];

	assert_non_null(web);
	assert_string_equal(web->netns_ref, "tns-web");
	assert_int_equal(web->next_order, 2);
	assert_int_equal(test_state_count_eps(web), 2);
	ep = model_endpoint(front, web);
	assert_non_null(ep);
	assert_ptr_equal(model_endpoint_by_ip(front, ip("172.18.0.2")), ep);
	assert_string_equal(ipam_mac_str(ep->mac, buf), "02:42:ac:12:00:02");
	assert_string_equal(ep->ifname, "eth0");
	assert_int_equal(ep->conn_order, 0);
	assert_true(ep->port_security);
	assert_int_equal(ep->attach, ATTACH_TAP);
	assert_int_equal(ep->n_aliases, 2);
	assert_string_equal(ep->aliases[0], "www");
	assert_string_equal(ep->aliases[1], "frontend.local");
	assert_ptr_equal(model_first_endpoint(web), ep);
	ep = model_endpoint(back, web);
	assert_non_null(ep);
	assert_int_equal(ep->conn_order, 1);
	assert_false(ep->port_security);
	assert_int_equal(ep->n_aliases, 0);
	assert_string_equal(ep->ifname, "eth1");

	assert_int_equal(test_state_count_pubs(web), 3);
	pp = test_state_find_pub(web, IPPROTO_TCP, 8080);
	assert_non_null(pp);
	assert_int_equal(pp->cport, 80);
	assert_int_equal(pp->count, 1);
	assert_true(vs_addr_is_v4(&pp->host_ip) && vs_addr_is_any(&pp->host_ip));
	pp = test_state_find_pub(web, IPPROTO_UDP, 5353);
	assert_non_null(pp);
	assert_int_equal(pp->cport, 53);
	assert_true(vs_addr_eq(&pp->host_ip, ip("127.0.0.1")));
	pp = test_state_find_pub(web, IPPROTO_TCP, 9000);
	assert_non_null(pp);
	assert_int_equal(pp->count, 10);
	assert_null(test_state_find_pub(web, IPPROTO_UDP, 8080));
}

/* The model being checked came from tests/fixtures/8dfda21, written before
 * hand-off endpoints and bound network names existed. */
static bool test_state_old_release;

static void test_state_check_db(void)
{
	struct container *db = model_container("db");
	struct network *back = model_network("back");
	struct endpoint *ep;
	char buf[18];

	assert_non_null(db);
	assert_string_equal(db->netns_ref, "/proc/4242/ns/net");
	assert_int_equal(db->netns_fd, -1);
	ep = model_endpoint_by_ip(back, ip("10.10.0.130"));
	assert_non_null(ep);
	assert_ptr_equal(ep->ctr, db);
	assert_ptr_equal(ep->net, back);
	assert_int_equal(ep->attach, ATTACH_VETH);
	assert_string_equal(ep->host_if, "vsdb0");
	assert_string_equal(ipam_mac_str(ep->mac, buf), "02:42:0a:0a:00:99");
	assert_null(ep->port);
	assert_int_equal(ep->pending, EP_PENDING_DISCONNECT);
	assert_false(model_endpoint(model_network("back"), model_container("web"))->handoff);
	if (test_state_old_release) {
		/* 8dfda21 had neither: they load as their defaults */
		assert_false(ep->handoff);
		assert_int_equal(model_network("front")->n_bound, 0);
	} else {
		assert_true(ep->handoff);
		/* bound names come back and lead to their network */
		assert_int_equal(model_network("front")->n_bound, 2);
		assert_ptr_equal(model_network("docker-ba9876543210"), model_network("front"));
		assert_ptr_equal(model_network("docker-0123456789ab"), model_network("front"));
	}
	assert_null(model_network("docker-000000000000"));
	assert_int_equal(model_endpoint(model_network("back"), model_container("web"))->pending,
			 EP_PENDING_NONE);
	assert_int_equal(test_state_count_pubs(db), 0);
	assert_null(model_endpoint(model_network("front"), db));
}

/* The model equals the one test_state_build() made. */
static void test_state_check(void)
{
	struct endpoint *ep;
	int n = 0;

	test_state_check_nets();
	test_state_check_web();
	test_state_check_db();
	assert_int_equal(HASH_COUNT(g_model.containers), 2);
	/* the network's own list and address hash agree with the containers' */
	LIST_FOREACH(ep, &model_network("back")->endpoints, net_link)
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(HASH_CNT(hh_ip, model_network("back")->by_ip), 2);
	assert_int_equal(HASH_CNT(hh_ip, model_network("bridge")->by_ip), 0);
}

/* ---- the state directory ---- */

static void test_state_path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", tdir, file);
}

static bool test_state_exists(const char *file)
{
	char p[128];

	test_state_path(p, sizeof(p), file);
	return access(p, F_OK) == 0;
}

static void test_state_write(const char *file, const char *text, size_t len)
{
	char p[128];
	int fd;

	test_state_path(p, sizeof(p), file);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static int test_state_setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/test_state.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	return 0;
}

static int test_state_teardown(void **state)
{
	static const char *const files[] = { "state.json", "state.json.tmp", "lock",
					     "state.journal", "state.journal.tmp" };
	char p[128];
	size_t i;

	(void)state;
	state_fini();
	model_clear();
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		test_state_path(p, sizeof(p), files[i]);
		unlink(p);
	}
	rmdir(tdir);
	return 0;
}

/* ---- tests ---- */

static void test_round_trip(void **state)
{
	struct json_object *j1, *j2;
	char err[256] = "";

	(void)state;
	test_state_build();
	test_state_check();
	j1 = state_to_json();
	assert_int_equal(state_from_json(j1, err, sizeof(err)), 0);
	test_state_check();
	/* and once more from what the reloaded model says */
	j2 = state_to_json();
	assert_int_equal(state_from_json(j2, err, sizeof(err)), 0);
	test_state_check();
	json_object_put(j1);
	json_object_put(j2);
}

/* A container with no endpoint and no published port is on its way out
 * (an unpublish emptied it): it is not state, and does not come back. */
static void test_empty_container_not_saved(void **state)
{
	struct json_object *j;
	char err[256] = "";

	(void)state;
	test_state_build();
	assert_non_null(model_container_add("idle", "pid:77"));
	j = state_to_json();
	assert_int_equal(state_from_json(j, err, sizeof(err)), 0);
	assert_null(model_container("idle"));
	test_state_check();
	json_object_put(j);
}

static void test_empty_model(void **state)
{
	struct json_object *j;
	char err[256];

	(void)state;
	j = state_to_json();
	assert_int_equal(state_from_json(j, err, sizeof(err)), 0);
	assert_null(g_model.networks);
	assert_null(g_model.containers);
	json_object_put(j);
}

static void test_save_and_reload(void **state)
{
	char err[512] = "";

	(void)state;
	/* a fresh dir: no file yet, an empty model, and a lock */
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	assert_string_equal(state_dir(), tdir);
	assert_null(g_model.networks);
	assert_true(test_state_exists("lock"));
	assert_false(test_state_exists("state.json"));

	test_state_build();
	assert_int_equal(state_save(err, sizeof(err)), 0);
	assert_true(test_state_exists("state.json"));
	assert_false(test_state_exists("state.json.tmp"));
	/* saving again replaces the file, still without leftovers */
	assert_int_equal(state_save(err, sizeof(err)), 0);
	assert_false(test_state_exists("state.json.tmp"));

	state_fini();
	model_clear();
	assert_null(g_model.networks);
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_state_check();
}

/* A crash before the rename leaves a temp file; the real one still rules. */
static void test_stale_tmp_ignored(void **state)
{
	static const char junk[] = "{\"version\": 1, \"netw";
	char err[512] = "";

	(void)state;
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_state_build();
	assert_int_equal(state_save(err, sizeof(err)), 0);
	state_fini();
	model_clear();
	test_state_write("state.json.tmp", junk, sizeof(junk) - 1);
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_state_check();
	/* the next save replaces the stale temp file too */
	assert_int_equal(state_save(err, sizeof(err)), 0);
	assert_false(test_state_exists("state.json.tmp"));
}

static void test_state_dir_nested(void **state)
{
	char sub[128], err[512] = "";

	(void)state;
	snprintf(sub, sizeof(sub), "%s/a/b", tdir);
	assert_int_equal(state_init(sub, err, sizeof(err)), 0);
	assert_int_equal(state_save(err, sizeof(err)), 0);
	state_fini();
	snprintf(sub, sizeof(sub), "%s/a/b/state.json", tdir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/a/b/lock", tdir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/a/b", tdir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", tdir);
	rmdir(sub);
}

/* Save fails cleanly, with a reason, when the directory has gone away. */
static void test_save_fails(void **state)
{
	char p[128], err[512] = "";

	(void)state;
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_state_path(p, sizeof(p), "lock");
	unlink(p);
	rmdir(tdir);
	err[0] = '\0';
	assert_int_equal(state_save(err, sizeof(err)), -1);
	assert_non_null(strstr(err, tdir));
	assert_null(strchr(err, '\n'));
}

/* state_init() on TEXT must fail, name the file, and leave no model. */
static void test_state_refused(const char *text, size_t len, const char *also)
{
	char path[128], err[512] = "";

	test_state_write("state.json", text, len);
	test_state_path(path, sizeof(path), "state.json");
	assert_int_equal(state_init(tdir, err, sizeof(err)), -1);
	if (!strstr(err, path))
		fail_msg("error does not name %s: %s", path, err);
	if (also && !strstr(err, also))
		fail_msg("error does not say \"%s\": %s", also, err);
	assert_null(strchr(err, '\n'));
	assert_null(g_model.networks);
	assert_null(g_model.containers);
	state_fini();
}

static void test_corrupt_truncated(void **state)
{
	char err[512] = "", path[128], *text;
	struct stat st;
	FILE *fp;

	(void)state;
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_state_build();
	assert_int_equal(state_save(err, sizeof(err)), 0);
	state_fini();
	model_clear();

	test_state_path(path, sizeof(path), "state.json");
	assert_int_equal(stat(path, &st), 0);
	text = malloc((size_t)st.st_size);
	assert_non_null(text);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fread(text, 1, (size_t)st.st_size, fp), (size_t)st.st_size);
	fclose(fp);
	/* cut anywhere: half way, one byte short of the closing brace */
	test_state_refused(text, (size_t)st.st_size / 2, "corrupt");
	test_state_refused(text, (size_t)st.st_size - 3, "corrupt");
	test_state_refused(text, 1, NULL);
	test_state_refused("", 0, NULL);
	free(text);
}

static void test_corrupt_garbage(void **state)
{
	static const char bin[] = { 0x00, (char)0xff, 0x7b, 0x22, 0x00, 0x01 };
	static const char *const bad[] = {
		"garbage", "}{", "{\"version\": 1, \"networks\": [], \"containers\": []} x",
		"{\"version\": 1, \"networks\": [], \"containers\": []}{}",
		"{\"version\": 1, \"networks\": [,], \"containers\": []}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_state_refused(bad[i], strlen(bad[i]), NULL);
	test_state_refused(bin, sizeof(bin), NULL);
}

static void test_wrong_shape(void **state)
{
	static const char *const bad[] = {
		"[]", "42", "\"state\"", "null", "{}",
		"{\"version\": 2, \"networks\": [], \"containers\": []}",
		"{\"version\": \"1\", \"networks\": [], \"containers\": []}",
		"{\"version\": 1, \"networks\": {}, \"containers\": []}",
		"{\"version\": 1, \"networks\": []}",
		"{\"version\": 1, \"networks\": [42], \"containers\": []}",
		"{\"version\": 1, \"networks\": [], \"containers\": [\"web\"]}",
		"{\"version\": 1, \"networks\": [{\"name\": \"a\"}], \"containers\": []}",
		"{\"version\": 1, \"networks\": [], \"containers\": [{\"name\": \"\"}]}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_state_refused(bad[i], strlen(bad[i]), NULL);
}

/* Build a state file from the fixture, then damage one field in JSON. */
static void test_state_refused_json(struct json_object *root, const char *also)
{
	const char *text = json_object_to_json_string(root);

	test_state_refused(text, strlen(text), also);
	json_object_put(root);
}

static struct json_object *test_state_fixture_json(void)
{
	struct json_object *root;

	test_state_build();
	root = state_to_json();
	model_clear();
	return root;
}

static struct json_object *test_state_nth(struct json_object *root, const char *arr, size_t i)
{
	struct json_object *a;

	assert_true(json_object_object_get_ex(root, arr, &a));
	return json_object_array_get_idx(a, i);
}

static struct json_object *test_state_ctr(struct json_object *root, const char *name)
{
	struct json_object *a, *c, *v;
	size_t i;

	assert_true(json_object_object_get_ex(root, "containers", &a));
	for (i = 0; i < json_object_array_length(a); i++) {
		c = json_object_array_get_idx(a, i);
		if (json_object_object_get_ex(c, "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return c;
	}
	fail_msg("no container %s", name);
	return NULL;
}

static void test_unknown_network(void **state)
{
	struct json_object *root = test_state_fixture_json(), *ep;

	(void)state;
	ep = test_state_nth(test_state_ctr(root, "db"), "endpoints", 0);
	json_object_object_add(ep, "network", json_object_new_string("nosuchnet"));
	test_state_refused_json(root, "nosuchnet");
}

static void test_bad_fields(void **state)
{
	struct json_object *root, *o;

	(void)state;
	/* a duplicate address on one network */
	root = test_state_fixture_json();
	o = test_state_nth(test_state_ctr(root, "db"), "endpoints", 0);
	json_object_object_add(o, "ip", json_object_new_string("10.10.0.129"));
	test_state_refused_json(root, "duplicate");

	/* a bad MAC */
	root = test_state_fixture_json();
	o = test_state_nth(test_state_ctr(root, "db"), "endpoints", 0);
	json_object_object_add(o, "mac", json_object_new_string("01:00:5e:00:00:01"));
	test_state_refused_json(root, NULL);

	/* a subnet with host bits */
	root = test_state_fixture_json();
	o = test_state_nth(root, "networks", 0);
	json_object_object_add(o, "subnet", json_object_new_string("172.17.0.1/16"));
	test_state_refused_json(root, NULL);

	/* a short network id */
	root = test_state_fixture_json();
	o = test_state_nth(root, "networks", 1);
	json_object_object_add(o, "id", json_object_new_string("abc"));
	test_state_refused_json(root, NULL);

	/* two networks with one name */
	root = test_state_fixture_json();
	o = test_state_nth(root, "networks", 1);
	json_object_object_add(o, "name", json_object_new_string("bridge"));
	test_state_refused_json(root, "twice");

	/* a published port range running past 65535 */
	root = test_state_fixture_json();
	o = test_state_nth(test_state_ctr(root, "web"), "published", 0);
	json_object_object_add(o, "host_port", json_object_new_int(65530));
	json_object_object_add(o, "count", json_object_new_int(10));
	test_state_refused_json(root, "published");

	/* an unknown protocol */
	root = test_state_fixture_json();
	o = test_state_nth(test_state_ctr(root, "web"), "published", 1);
	json_object_object_add(o, "proto", json_object_new_string("sctp"));
	test_state_refused_json(root, "published");

	/* an aux address that is not an address */
	root = test_state_fixture_json();
	o = json_object_new_object();
	json_object_object_add(o, "h", json_object_new_string("10.10.0.300"));
	json_object_object_add(test_state_nth(root, "networks", 2), "aux", o);
	test_state_refused_json(root, "aux");

	/* an MTU out of range */
	root = test_state_fixture_json();
	json_object_object_add(test_state_nth(root, "networks", 0), "mtu",
			       json_object_new_int(10));
	test_state_refused_json(root, "mtu");

	/* a pending change that is neither connect nor disconnect */
	root = test_state_fixture_json();
	json_object_object_add(test_state_nth(test_state_ctr(root, "web"), "endpoints", 0),
			       "pending", json_object_new_string("rename"));
	test_state_refused_json(root, NULL);

	/* more aliases than an endpoint holds */
	root = test_state_fixture_json();
	o = json_object_new_array();
	for (int i = 0; i <= VS_MAX_ALIASES; i++)
		json_object_array_add(o, json_object_new_string("a"));
	json_object_object_add(test_state_nth(test_state_ctr(root, "web"), "endpoints", 0),
			       "aliases", o);
	test_state_refused_json(root, NULL);
}

/* The name rules (model.c) that `network connect`, `network create` and
 * the loader share. */
static void test_name_rules(void **state)
{
	char key[VS_CKEY_MAX + 1];

	(void)state;
	assert_true(model_dns_name_ok("web") && model_dns_name_ok("a.b_c-1"));
	assert_false(model_dns_name_ok("") || model_dns_name_ok(NULL));
	assert_false(model_dns_name_ok("c1   ") || model_dns_name_ok("`1") ||
		     model_dns_name_ok("-x") || model_dns_name_ok(".x") ||
		     model_dns_name_ok("a\nb"));
	assert_true(model_name_ok("-x"));	/* networks: no first-character rule */
	assert_false(model_name_ok("a b") || model_name_ok(""));
	memset(key, 'k', sizeof(key));
	key[VS_NAME_MAX - 1] = '\0';
	assert_true(model_dns_name_ok(key) && model_name_ok(key) && model_ckey_ok(key));
	key[VS_NAME_MAX - 1] = 'k';
	key[VS_NAME_MAX] = '\0';
	assert_false(model_dns_name_ok(key) || model_name_ok(key));
	key[VS_NAME_MAX] = 'k';
	key[VS_CKEY_MAX - 1] = '\0';
	assert_true(model_ckey_ok(key));
	key[VS_CKEY_MAX - 1] = 'k';
	key[VS_CKEY_MAX] = '\0';
	assert_false(model_ckey_ok(key));
	assert_false(model_ckey_ok("c1 ") || model_ckey_ok("-c") || model_ckey_ok(""));
	assert_true(model_owner_ok("vsctl") && model_owner_ok("cni:n1"));
	assert_false(model_owner_ok("") || model_owner_ok("cni:") || model_owner_ok(":n1") ||
		     model_owner_ok("a:b:c") || model_owner_ok("a b"));
}

/* The network NAME of the fixture file. */
static struct json_object *test_state_netj(struct json_object *root, const char *name)
{
	struct json_object *a, *n, *v;
	size_t i;

	assert_true(json_object_object_get_ex(root, "networks", &a));
	for (i = 0; i < json_object_array_length(a); i++) {
		n = json_object_array_get_idx(a, i);
		if (json_object_object_get_ex(n, "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return n;
	}
	fail_msg("no network %s", name);
	return NULL;
}

/* The fixture file with KEY of one object set to V (taken): container
 * CTR's (its first endpoint's if EP), else network NET's. */
static void test_state_refused_with(const char *ctr, bool ep, const char *net,
				    const char *key, struct json_object *v, const char *also)
{
	struct json_object *root = test_state_fixture_json(), *o;

	o = ctr ? test_state_ctr(root, ctr) : test_state_netj(root, net);
	if (ep)
		o = test_state_nth(o, "endpoints", 0);
	json_object_object_add(o, key, v);
	test_state_refused_json(root, also);
}

static struct json_object *test_state_strs(const char *a, const char *b)
{
	struct json_object *arr = json_object_new_array();

	json_object_array_add(arr, json_object_new_string(a));
	if (b)
		json_object_array_add(arr, json_object_new_string(b));
	return arr;
}

/*
 * What `network connect` or `network create` refuses, the loader refuses
 * too, with a one-line reason: a file the daemon wrote never holds it,
 * and kept, it came back in the next save (fuzz_state: the key "c1   ",
 * without a dns_name, became the DNS name, which the loader then refused
 * in its own save: regress/state/key-no-command-accepts-as-dns-name).
 */
static void test_names_commands_refuse(void **state)
{
	struct json_object *root, *o;
	char ref[300];

	(void)state;
	root = test_state_fixture_json();
	o = test_state_ctr(root, "web");
	json_object_object_del(o, "dns_name");
	json_object_object_add(o, "name", json_object_new_string("c1   "));
	test_state_refused_json(root, "c1   ");
	test_state_refused_with("web", false, NULL, "name", json_object_new_string("`1"), "`1");
	test_state_refused_with("web", false, NULL, "name", json_object_new_string("-web"), NULL);
	test_state_refused_with("web", false, NULL, "dns_name", json_object_new_string(".web"),
				"dns_name");
	test_state_refused_with("web", false, NULL, "dns_name", json_object_new_string("w b"),
				"dns_name");
	test_state_refused_with("web", true, NULL, "aliases", test_state_strs("www", "a b"),
				"alias");
	test_state_refused_with("web", true, NULL, "aliases", test_state_strs("-a", NULL),
				"alias");
	test_state_refused_with("web", true, NULL, "owner", json_object_new_string("a b"),
				"owner");
	test_state_refused_with("web", true, NULL, "ifname", json_object_new_string(""),
				NULL);
	root = test_state_fixture_json();	/* web's two endpoints, both eth7 */
	o = test_state_ctr(root, "web");
	json_object_object_add(test_state_nth(o, "endpoints", 0), "ifname",
			       json_object_new_string("eth7"));
	json_object_object_add(test_state_nth(o, "endpoints", 1), "ifname",
			       json_object_new_string("eth7"));
	test_state_refused_json(root, "two interfaces");
	memset(ref, 'r', sizeof(ref) - 1);
	ref[sizeof(ref) - 1] = '\0';
	test_state_refused_with("web", false, NULL, "netns", json_object_new_string(ref), "netns");
	test_state_refused_with(NULL, false, "front", "name", json_object_new_string("n 1"), "n 1");
	test_state_refused_with(NULL, false, "front", "bound", test_state_strs("-d", NULL), "bound");
	o = json_object_new_object();
	json_object_object_add(o, "h h", json_object_new_string("10.10.0.3"));
	test_state_refused_with(NULL, false, "back", "aux", o, "aux");
}

/* A file from before DNS names: a key that makes a DNS name is one, a
 * longer key (a CNI id) has none, as connect gives them. */
static void test_key_as_dns_name(void **state)
{
	static const char key[] = "0123456789abcdef0123456789abcdef"
				  "0123456789abcdef0123456789abcdef-long";
	struct json_object *root = test_state_fixture_json(), *o, *again;
	char err[512] = "";

	(void)state;
	json_object_object_del(test_state_ctr(root, "web"), "dns_name");
	o = test_state_ctr(root, "db");
	json_object_object_del(o, "dns_name");
	json_object_object_add(o, "name", json_object_new_string(key));
	if (state_from_json(root, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(model_container("web")->dns_name, "web");
	assert_string_equal(model_container(key)->dns_name, "");
	again = state_to_json();
	if (state_from_json(again, err, sizeof(err)))
		fail_msg("the loader refuses its own save: %s", err);
	json_object_put(again);
	json_object_put(root);
}

/* A valid file written by hand (whitespace, defaults omitted) loads. */
static void test_minimal_file(void **state)
{
	static const char text[] =
		"\n{ \"version\": 1,\n"
		"  \"networks\": [ { \"name\": \"n\", \"id\": \"%s\",\n"
		"     \"subnet\": \"10.1.0.0/16\", \"gateway\": \"10.1.0.1\" } ],\n"
		"  \"containers\": [ { \"name\": \"c\", \"endpoints\": [\n"
		"     { \"network\": \"n\", \"ip\": \"10.1.0.2\", \"mac\": \"02:42:0a:01:00:02\",\n"
		"       \"ifname\": \"eth0\" } ] } ] }\n\n";
	char buf[1024], id[65], err[512] = "";
	struct network *n;
	struct endpoint *ep;

	(void)state;
	memset(id, 'f', 64);
	id[64] = '\0';
	snprintf(buf, sizeof(buf), text, id);
	test_state_write("state.json", buf, strlen(buf));
	if (state_init(tdir, err, sizeof(err)))
		fail_msg("%s", err);
	n = model_network("n");
	assert_non_null(n);
	assert_true(n->icc && n->dns && !n->internal && !n->is_default);
	assert_int_equal(n->mtu, 1500);
	assert_int_equal(n->ip_range.len, 0);
	ep = model_endpoint_by_ip(n, ip("10.1.0.2"));
	assert_non_null(ep);
	assert_true(ep->port_security);
	assert_int_equal(ep->attach, ATTACH_TAP);
	assert_string_equal(ep->ctr->name, "c");
}

/* test_state_slurp() - A whole file into BUF (NUL-terminated); its length. */
static size_t test_state_slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, size - 1, f);
	assert_true(feof(f));
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* test_state_json_within() - Is every member of OLD in NEW with the same
 * value (objects may have gained members, arrays keep order and length)?
 * Fails naming the first path that differs. */
static void test_state_json_within(struct json_object *old, struct json_object *new,
				   const char *path)
{
	char sub[256];
	size_t i;

	if (!json_object_is_type(old, json_type_object) ||
	    !json_object_is_type(new, json_type_object)) {
		if (json_object_is_type(old, json_type_array) &&
		    json_object_is_type(new, json_type_array) &&
		    json_object_array_length(old) == json_object_array_length(new)) {
			for (i = 0; i < json_object_array_length(old); i++) {
				snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
				test_state_json_within(json_object_array_get_idx(old, i),
						       json_object_array_get_idx(new, i), sub);
			}
			return;
		}
		if (!json_object_equal(old, new))
			fail_msg("%s: was %s, now %s", path, json_object_to_json_string(old),
				 json_object_to_json_string(new));
		return;
	}
	json_object_object_foreach(old, key, val) {
		struct json_object *nv;

		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (!json_object_object_get_ex(new, key, &nv))
			fail_msg("%s: no longer written", sub);
		test_state_json_within(val, nv, sub);
	}
}

/*
 * A state dir written by the release before the address type (commit
 * 8dfda21, tests/fixtures/8dfda21/README.md) loads into the same model as
 * the fixture model above, and saving it again writes every field that
 * release wrote with the same value (later releases may add fields, never
 * change one): the address format did not change, in either direction.
 */
static void test_release_8dfda21_loads(void **state)
{
	static char old[16384], again[16384];
	struct json_object *jo, *jn;
	char err[512] = "", p[128];
	size_t len;

	(void)state;
	len = test_state_slurp(FIXTURE_DIR "/8dfda21/state.json", old, sizeof(old));
	test_state_write("state.json", old, len);
	if (state_init(tdir, err, sizeof(err)))
		fail_msg("%s", err);
	test_state_old_release = true;
	test_state_check();
	test_state_old_release = false;
	assert_int_equal(state_save(err, sizeof(err)), 0);
	test_state_path(p, sizeof(p), "state.json");
	test_state_slurp(p, again, sizeof(again));
	jo = json_tokener_parse(old);
	jn = json_tokener_parse(again);
	assert_non_null(jo);
	assert_non_null(jn);
	test_state_json_within(jo, jn, "state");
	json_object_put(jo);
	json_object_put(jn);
}

/* A second vswitchd (a child process) on a locked dir is refused. */
static void test_lock(void **state)
{
	char err[512] = "", want[64];
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "(pid %d)", (int)getpid());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char cerr[512] = "";
		int rc = state_init(tdir, cerr, sizeof(cerr));

		if (rc != -1)
			_exit(2);
		if (!strstr(cerr, "in use by another vswitchd") || !strstr(cerr, tdir))
			_exit(3);
		if (!strstr(cerr, want))
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* released: the next one gets it */
	state_fini();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char cerr[512] = "";

		_exit(state_init(tdir, cerr, sizeof(cerr)) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A --ipv6 network, its endpoints' IPv6 addresses and the host's ULA /48
 * come back as they were; a file with ip6 where it cannot be is refused. */
static void test_ipv6_round_trip(void **state)
{
	struct network *n;
	struct container *c;
	struct endpoint *ep;
	struct json_object *j, *o;
	char err[256] = "", s[VS_PREFIX_STRLEN];

	(void)state;
	n = test_state_net("dual", "172.20.0.0/16", "172.20.0.1", 'd');
	n->ipv6 = true;
	assert_int_equal(ipam_parse_cidr6("fd12:3456:789a:1::/64", &n->subnet6, err,
					  sizeof(err)), 0);
	assert_int_equal(ipam_parse_ip6("fd12:3456:789a:1::1", &n->gateway6), 0);
	assert_int_equal(ipam_parse_cidr6("fd12:3456:789a:1::100/120", &n->ip_range6, err,
					  sizeof(err)), 0);
	g_model.ula_pool.addr = n->subnet6.addr;
	g_model.ula_pool.addr.b[7] = 0;	/* the /48 of the /64 */
	g_model.ula_pool.len = 48;
	c = model_container_add("v6c", "tns-v6");
	ep = test_state_ep(n, c, "172.20.0.2", "eth0");
	assert_int_equal(ipam_parse_ip6("fd12:3456:789a:1::105", &ep->ip6), 0);
	j = state_to_json();
	assert_int_equal(state_from_json(j, err, sizeof(err)), 0);
	json_object_put(j);
	n = model_network("dual");
	assert_non_null(n);
	assert_true(n->ipv6);
	assert_string_equal(vs_prefix_str(&n->subnet6, s, sizeof(s)), "fd12:3456:789a:1::/64");
	assert_string_equal(vs_addr_str(&n->gateway6, s, sizeof(s)), "fd12:3456:789a:1::1");
	assert_string_equal(vs_prefix_str(&n->ip_range6, s, sizeof(s)),
			    "fd12:3456:789a:1::100/120");
	assert_string_equal(vs_prefix_str(&g_model.ula_pool, s, sizeof(s)), "fd12:3456:789a::/48");
	ep = model_endpoint(n, model_container("v6c"));
	assert_non_null(ep);
	assert_string_equal(vs_addr_str(&ep->ip6, s, sizeof(s)), "fd12:3456:789a:1::105");

	/* ip6 outside subnet6 */
	j = state_to_json();
	model_clear();
	o = test_state_nth(test_state_ctr(j, "v6c"), "endpoints", 0);
	json_object_object_add(o, "ip6", json_object_new_string("fd99::5"));
	test_state_refused_json(j, "ip6");
	/* a network without subnet6 whose endpoint claims an ip6; a bad pool */
	test_state_net("v4only", "172.21.0.0/16", "172.21.0.1", 'e');
	c = model_container_add("v4c", "tns-v4");
	test_state_ep(model_network("v4only"), c, "172.21.0.2", "eth0");
	j = state_to_json();
	model_clear();
	o = test_state_nth(test_state_ctr(j, "v4c"), "endpoints", 0);
	json_object_object_add(o, "ip6", json_object_new_string("fd99::5"));
	test_state_refused_json(j, "ip6");
	test_state_net("v4b", "172.21.0.0/16", "172.21.0.1", 'e');
	j = state_to_json();
	model_clear();
	json_object_object_add(j, "ula_pool", json_object_new_string("2001:db8::/48"));
	test_state_refused_json(j, "ula_pool");
}

/* ---- the journal ---- */

/* A saved model, then two container changes journaled (db's endpoint
 * settled, web gone), then "kill -9": no compaction, the process state
 * forgotten. */
static void test_journal_two_changes(void)
{
	char err[512] = "";
	struct container *web;

	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_state_build();
	assert_int_equal(state_save(err, sizeof(err)), 0);
	assert_true(test_state_exists("state.journal"));
	model_endpoint(model_network("back"), model_container("db"))->pending = EP_PENDING_NONE;
	assert_int_equal(state_save_ctr("db", err, sizeof(err)), 0);
	web = model_container("web");
	model_container_del(web);
	assert_int_equal(state_save_ctr("web", err, sizeof(err)), 0);
	state_fini();		/* as kill -9: no state_compact() */
	model_clear();
}

static void test_journal_check_changes(void)
{
	assert_null(model_container("web"));
	assert_non_null(model_container("db"));
	assert_int_equal(model_endpoint(model_network("back"), model_container("db"))->pending,
			 EP_PENDING_NONE);
	assert_int_equal(model_network("front")->n_bound, 2);
}

/* Killed between journal appends and a compaction: everything is back,
 * and the start compacts, so state.json alone says it again. */
static void test_journal_replayed_after_kill(void **state)
{
	char err[512] = "", p[128];

	(void)state;
	test_journal_two_changes();
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_journal_check_changes();
	assert_int_equal(state_journal_torn_count(), 0);
	state_fini();
	model_clear();
	test_state_path(p, sizeof(p), "state.journal");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_journal_check_changes();
}

/* The last record cut short by the crash: dropped and counted, the rest
 * loads. */
static void test_journal_torn_last_record(void **state)
{
	static const char torn[] = "{\"container\":\"db\",\"state\":{\"name\":\"d";
	char err[512] = "", p[128];
	int fd;

	(void)state;
	test_journal_two_changes();
	test_state_path(p, sizeof(p), "state.journal");
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, torn, sizeof(torn) - 1), (ssize_t)(sizeof(torn) - 1));
	close(fd);
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	assert_int_equal(state_journal_torn_count(), 1);
	test_journal_check_changes();
}

/* A bad record followed by good ones is damage, not a torn write: the
 * start is refused naming the journal. */
static void test_journal_bad_record_refused(void **state)
{
	char err[512] = "", p[128], text[8192];
	ssize_t n;
	int fd;

	(void)state;
	test_journal_two_changes();
	test_state_path(p, sizeof(p), "state.journal");
	fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	assert_true(n > 0);
	text[n] = '\0';
	/* the first record's opening brace becomes garbage */
	*(strchr(text, '\n') + 1) = '#';
	assert_int_equal(pwrite(fd, text, (size_t)n, 0), n);
	close(fd);
	assert_int_equal(state_init(tdir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "state.journal"));
	assert_non_null(strstr(err, "record 1"));
	assert_null(g_model.networks);
}

/* A journal of another generation (a crash between a compaction's
 * state.json and its fresh journal) is ignored: state.json has it all. */
static void test_journal_stale_ignored(void **state)
{
	static const char stale[] = "{\"journal\":1,\"gen\":999}\n"
				    "{\"container\":\"web\",\"state\":null}\n";
	char err[512] = "";

	(void)state;
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_state_build();
	assert_int_equal(state_save(err, sizeof(err)), 0);
	state_fini();
	model_clear();
	test_state_write("state.journal", stale, sizeof(stale) - 1);
	assert_int_equal(state_init(tdir, err, sizeof(err)), 0);
	test_state_check();
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_state_setup, test_state_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_ipv6_round_trip),
		T(test_empty_container_not_saved),
		T(test_empty_model),
		T(test_save_and_reload),
		T(test_stale_tmp_ignored),
		T(test_state_dir_nested),
		T(test_save_fails),
		T(test_corrupt_truncated),
		T(test_corrupt_garbage),
		T(test_wrong_shape),
		T(test_unknown_network),
		T(test_bad_fields),
		T(test_name_rules),
		T(test_names_commands_refuse),
		T(test_key_as_dns_name),
		T(test_minimal_file),
		T(test_release_8dfda21_loads),
		T(test_lock),
		T(test_journal_replayed_after_kill),
		T(test_journal_torn_last_record),
		T(test_journal_bad_record_refused),
		T(test_journal_stale_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
