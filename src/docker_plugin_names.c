/* docker_plugin_names.c - learn a Docker container's name after Join.
 *
 * Docker never tells a network driver which container an endpoint is
 * for, yet `vsctl container ls`, `vsctl capture --container` and
 * vswitch's DNS want the name users know.  Docker's own API has it: the
 * network's inspect lists each endpoint with its container's name.  But
 * dockerd holds the sandbox while it waits for Join, so asking it from
 * inside the Join handler could wait on ourselves; instead Join starts a
 * short-lived thread that asks after the answer is sent, polls until the
 * endpoint shows up (Docker lists it once the container is attached,
 * within a second in practice; we give up after 15 s), and hands the name
 * to vswitchd (endpoint.dns_name).
 *
 * The client is libcurl on Docker's unix socket (--docker-host), one
 * easy handle per thread.  Nothing here is needed for connectivity: if
 * Docker cannot be asked, the container keeps working, unnamed, and the
 * reason is logged once per endpoint.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "docker_plugin.h"

#define DKP_NAMES_TRIES 60
#define DKP_NAMES_REPLY_MAX (4u << 20)

struct dkp_names_job {
	char nid[65];
	char eid[65];
	char ctr[64];
};

struct dkp_names_buf {
	char *data;
	size_t len;
};

static const char *dkp_names_sock = "/run/docker.sock";

void dkp_names_init(const char *docker_sock)
{
	curl_global_init(CURL_GLOBAL_NOTHING);
	dkp_names_sock = docker_sock;
}

static size_t dkp_names_write(char *ptr, size_t size, size_t n, void *arg)
{
	struct dkp_names_buf *b = arg;
	size_t len = size * n;
	char *nd;

	if (b->len + len + 1 > DKP_NAMES_REPLY_MAX)
		return 0;
	nd = realloc(b->data, b->len + len + 1);
	if (!nd)
		return 0;
	b->data = nd;
	memcpy(b->data + b->len, ptr, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* GET /networks/NID from Docker; the parsed body, or NULL with ERR. */
static struct json_object *dkp_names_inspect(CURL *h, const char *nid, char *err, size_t errlen)
{
	struct dkp_names_buf b = { NULL, 0 };
	struct json_object *o = NULL;
	char url[128];
	long code = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "http://docker/networks/%s", nid);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, dkp_names_sock);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, dkp_names_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "cannot ask Docker at %s: %s", dkp_names_sock,
			 curl_easy_strerror(rc));
	else if (code != 200)
		snprintf(err, errlen, "Docker answered %ld to GET /networks/%.12s", code, nid);
	else if (!(o = b.data ? json_tokener_parse(b.data) : NULL))
		snprintf(err, errlen, "Docker's network inspect is not JSON");
	free(b.data);
	return o;
}

/* The name of the container whose endpoint on the inspected network is EID. */
static const char *dkp_names_find(struct json_object *net, const char *eid)
{
	struct json_object *ctrs, *v;

	if (!json_object_object_get_ex(net, "Containers", &ctrs) ||
	    !json_object_is_type(ctrs, json_type_object))
		return NULL;
	json_object_object_foreach(ctrs, id, c) {
		(void)id;
		if (json_object_object_get_ex(c, "EndpointID", &v) &&
		    !strcmp(json_object_get_string(v), eid) &&
		    json_object_object_get_ex(c, "Name", &v) && json_object_is_type(v, json_type_string))
			return json_object_get_string(v);
	}
	return NULL;
}

static void dkp_names_tell(const struct dkp_names_job *j, const char *name)
{
	struct json_object *args = json_object_new_object(), *res = NULL;
	char err[512];

	json_object_object_add(args, "container", json_object_new_string(j->ctr));
	json_object_object_add(args, "dns_name", json_object_new_string(name));
	if (dkp_ctl_call("endpoint.dns_name", args, &res, err, sizeof(err)) < 0)
		fprintf(stderr, "vswitch-docker-plugin: %s is Docker's %s, but: %s\n",
			j->ctr, name, err);
	json_object_put(res);
}

static void *dkp_names_run(void *arg)
{
	struct dkp_names_job *j = arg;
	const struct timespec pause = { 0, 250 * 1000 * 1000 };
	CURL *h = curl_easy_init();
	char err[512] = "cannot make a curl handle";
	bool named = false;
	int i;

	for (i = 0; h && !named && i < DKP_NAMES_TRIES; i++) {
		struct json_object *net;
		const char *name;

		nanosleep(&pause, NULL);
		net = dkp_names_inspect(h, j->nid, err, sizeof(err));
		name = net ? dkp_names_find(net, j->eid) : NULL;
		if (name) {
			dkp_names_tell(j, name);
			named = true;
		} else if (net) {
			snprintf(err, sizeof(err), "Docker does not list endpoint %.12s", j->eid);
		} else if (i >= 3) {
			break;      /* Docker cannot be asked: do not hammer it */
		}
		json_object_put(net);
	}
	if (!named)
		fprintf(stderr, "vswitch-docker-plugin: no name for %s: %s\n", j->ctr, err);
	if (h)
		curl_easy_cleanup(h);
	free(j);
	return NULL;
}

/**
 * dkp_names_learn() - Ask Docker for an endpoint's container name, later
 * @nid:	Docker's network id (full)
 * @eid:	Docker's endpoint id (full)
 * @ctr:	the vswitch container of the endpoint
 *
 * Returns at once; a detached thread does the asking.
 */
void dkp_names_learn(const char *nid, const char *eid, const char *ctr)
{
	struct dkp_names_job *j;
	pthread_attr_t a;
	pthread_t t;

	if (!dkp_names_sock || !*dkp_names_sock)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	snprintf(j->nid, sizeof(j->nid), "%s", nid);
	snprintf(j->eid, sizeof(j->eid), "%s", eid);
	snprintf(j->ctr, sizeof(j->ctr), "%s", ctr);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, dkp_names_run, j)) {
		fprintf(stderr, "vswitch-docker-plugin: no name for %s: cannot start a thread\n", ctr);
		free(j);
	}
	pthread_attr_destroy(&a);
}
