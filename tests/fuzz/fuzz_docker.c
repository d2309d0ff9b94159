/* fuzz_docker.c - libFuzzer target: the Docker plugin's methods.
 *
 * Input: one byte choosing the method (NetworkDriver.* and IpamDriver.*
 * in the plugin's own tables), one byte choosing how the stand-in
 * vswitchd answers (each call succeeds with a plausible result, or fails),
 * then the request body as dockerd would send it.  The body goes through
 * the same steps as in docker_plugin.c: it must be one JSON object, and
 * the method gets it parsed.
 *
 * Invariants (abort on violation): a method either answers a JSON object
 * and no error, or a non-empty error (one line once dkp_err_oneline() has
 * cleaned it, as the HTTP layer does) and no answer; every
 * request it makes of vswitchd has a known command and an object of
 * arguments.  ASan and UBSan catch the rest.  The control client and the
 * thread that asks Docker for names are replaced here: no socket, no
 * thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_plugin.h"

#define FUZZ_DOCKER_CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_docker: %s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } } while (0)

static const char *const fuzz_docker_paths[] = {
	"/Plugin.Activate", "/NetworkDriver.GetCapabilities", "/NetworkDriver.CreateNetwork",
	"/NetworkDriver.DeleteNetwork", "/NetworkDriver.CreateEndpoint",
	"/NetworkDriver.EndpointOperInfo", "/NetworkDriver.DeleteEndpoint",
	"/NetworkDriver.Join", "/NetworkDriver.Leave",
	"/NetworkDriver.ProgramExternalConnectivity",
	"/NetworkDriver.RevokeExternalConnectivity", "/IpamDriver.GetCapabilities",
	"/IpamDriver.GetDefaultAddressSpaces", "/IpamDriver.RequestPool",
	"/IpamDriver.RequestAddress", "/IpamDriver.ReleaseAddress", "/IpamDriver.ReleasePool",
};

/* What the stand-in vswitchd does with the next calls: bit i set = the
 * i-th call fails. */
static unsigned int fuzz_docker_fail;
static unsigned int fuzz_docker_ncall;

/* Canned results, shaped like vswitchd's (doc/control-protocol.md). */
static const struct {
	const char *cmd, *result;
} fuzz_docker_results[] = {
	{ "network.create", "{}" },
	{ "network.rm", "{\"removed\":[\"docker-0123456789ab\"]}" },
	{ "network.inspect", "[{\"Name\":\"docker-0123456789ab\",\"Internal\":false,"
	  "\"IPAM\":{\"Config\":[{\"Subnet\":\"10.1.0.0/24\",\"Gateway\":\"10.1.0.1\"}]}}]" },
	{ "network.connect", "{\"ip\":\"10.1.0.2\",\"prefix\":24,\"mac\":\"02:42:0a:01:00:02\"}" },
	{ "network.disconnect", "{\"removed\":true}" },
	{ "network.ls", "[{\"name\":\"docker-0123456789ab\",\"subnet\":\"10.1.0.0/24\"}]" },
	{ "network.bind", "{}" },
	{ "network.unbind", "{}" },
	{ "endpoint.sandbox", "{}" },
	{ "endpoint.dns_name", "{}" },
	{ "port.publish", "[]" },
	{ "port.unpublish", "{}" },
	{ "port.ls", "[{\"proto\":\"tcp\",\"cport\":80,\"host_ip\":\"0.0.0.0\",\"host_port\":8080,"
	  "\"count\":1},{\"proto\":\"udp\",\"cport\":53,\"host_ip\":\"127.0.0.1\","
	  "\"host_port\":5353,\"count\":2}]" },
	{ "ipam.suggest", "{\"subnet\":\"172.18.0.0/16\",\"gateway\":\"172.18.0.1\","
	  "\"ip\":\"10.1.0.3\",\"prefix\":24}" },
};

void dkp_ctl_init(const char *socket_path, int timeout_sec)
{
	(void)socket_path; (void)timeout_sec;
}

int dkp_ctl_call(const char *cmd, struct json_object *args, struct json_object **result,
		 char *err, size_t errlen)
{
	unsigned int call = fuzz_docker_ncall++;
	size_t i;

	*result = NULL;
	FUZZ_DOCKER_CHECK(!args || json_object_is_type(args, json_type_object));
	json_object_put(args);
	for (i = 0; i < sizeof(fuzz_docker_results) / sizeof(fuzz_docker_results[0]); i++)
		if (!strcmp(cmd, fuzz_docker_results[i].cmd))
			break;
	FUZZ_DOCKER_CHECK(i < sizeof(fuzz_docker_results) / sizeof(fuzz_docker_results[0]));
	if (call < 8 && (fuzz_docker_fail & (1u << call))) {
		snprintf(err, errlen, "vswitchd says no to %s", cmd);
		return -1;
	}
	*result = json_tokener_parse(fuzz_docker_results[i].result);
	FUZZ_DOCKER_CHECK(*result);
	return 0;
}

void dkp_names_init(const char *docker_sock)
{
	(void)docker_sock;
}

void dkp_names_learn(const char *nid, const char *eid, const char *ctr)
{
	FUZZ_DOCKER_CHECK(nid && eid && ctr && *ctr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t npaths = sizeof(fuzz_docker_paths) / sizeof(fuzz_docker_paths[0]);
	struct dkp_req req = { .peer_pid = 4242 };
	const struct dkp_method *m;
	struct json_object *reply = NULL;
	struct json_tokener *tok;
	char err[512] = "";
	int rc;

	if (size < 2)
		return 0;
	m = dkp_net_find(fuzz_docker_paths[data[0] % npaths]);
	if (!m)
		m = dkp_ipam_find(fuzz_docker_paths[data[0] % npaths]);
	FUZZ_DOCKER_CHECK(m);
	fuzz_docker_fail = data[1];
	fuzz_docker_ncall = 0;
	tok = json_tokener_new();
	FUZZ_DOCKER_CHECK(tok);
	req.body = json_tokener_parse_ex(tok, (const char *)data + 2, (int)(size - 2));
	json_tokener_free(tok);
	if (!req.body || !json_object_is_type(req.body, json_type_object)) {
		json_object_put(req.body);
		return 0;
	}
	rc = m->fn(&req, &reply, err, sizeof(err));
	if (rc == 0) {
		FUZZ_DOCKER_CHECK(reply && json_object_is_type(reply, json_type_object));
	} else {
		FUZZ_DOCKER_CHECK(rc == -1 && !reply);
		dkp_err_oneline(err);	/* as docker_plugin.c sends it */
		FUZZ_DOCKER_CHECK(err[0] && !strchr(err, '\n') && !strchr(err, '\r'));
	}
	/* the answer must serialise, as it will be sent */
	FUZZ_DOCKER_CHECK(!reply || json_object_to_json_string(reply));
	json_object_put(reply);
	json_object_put(req.body);
	return 0;
}
