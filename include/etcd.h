/* etcd.h - an asynchronous client of etcd's v3 JSON gateway (HTTP).
 *
 * vswitchd keeps the state of networks that span hosts in etcd (issue 18,
 * doc/multihost.md).  etcd has no packaged C client for v3, so this speaks
 * its documented gRPC gateway: JSON bodies POSTed to /v3/kv/range, put,
 * txn, deleterange, /v3/lease/grant, keepalive and /v3/watch, with libcurl's
 * multi interface driven by the daemon's one libev loop (as curl's
 * docs/examples/evhiperfifo.c): no call ever blocks the loop, every answer
 * comes back through a callback.
 *
 * The gateway's quirks, handled in etcd_json.c and tested on crafted
 * replies (tests/unit/test_etcd.c): keys and values are base64; int64
 * fields are JSON strings; fields equal to their default are left out
 * (a failed txn has no "succeeded", a PUT event no "type", a gone lease no
 * "TTL"); a watch is one long response of newline-framed {"result":...}
 * objects.  Anything else in a reply is an error counted in
 * etcd_stats.bad_replies and logged in one line; it never crashes.
 *
 * Several endpoints (etcd://H:P,H:P): a request that cannot reach its
 * endpoint goes to the next one, once round all of them; then its callback
 * gets ETCD_ERR_TRANSPORT.
 */
#ifndef VS_ETCD_H
#define VS_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct ev_loop;
struct etcd;
struct etcd_watch;

#define ETCD_MAX_ENDPOINTS 8
#define ETCD_EP_LEN 96               /* one endpoint as text, with its NUL */
#define ETCD_MAX_REPLY (16u << 20)   /* a reply or one watch chunk, at most */

enum etcd_status {
	ETCD_OK = 0,
	ETCD_ERR_TRANSPORT = -1,     /* no endpoint answered (HTTP or socket) */
	ETCD_ERR_REPLY = -2,         /* an answer that is not what the API says */
	ETCD_ERR_SERVER = -3,        /* etcd said no (its "error" object) */
	ETCD_ERR_CANCELED = -4,      /* the client is going away */
};

struct etcd_kv {
	char *key, *value;           /* decoded, NUL-terminated */
	size_t key_len, value_len;
	int64_t create_rev, mod_rev, version, lease;
};

/* One answer, whatever the request: the fields the request has. */
struct etcd_reply {
	int64_t revision;            /* header.revision */
	bool succeeded;              /* txn */
	struct etcd_kv *kvs;         /* range, or the txn's first response_range */
	size_t n_kvs;
	int64_t deleted;             /* deleterange */
	int64_t lease_id, ttl;       /* lease grant / keepalive (ttl 0: gone) */
	char error[160];             /* ETCD_ERR_SERVER: etcd's message */
};

enum etcd_ev_type { ETCD_EV_PUT, ETCD_EV_DELETE };

struct etcd_event {
	enum etcd_ev_type type;
	struct etcd_kv kv;
};

/* One {"result":...} object of a watch stream. */
struct etcd_watch_msg {
	int64_t revision;
	bool created, canceled;
	int64_t compact_revision;    /* > 0: the start revision was compacted */
	struct etcd_event *events;
	size_t n_events;
};

typedef void etcd_cb(void *arg, int status, const struct etcd_reply *r);
/* MSG is NULL when the stream ended (STATUS says why); the watch is then
 * gone and must not be canceled. */
typedef void etcd_watch_cb(void *arg, int status, const struct etcd_watch_msg *msg);

struct etcd_stats {
	uint64_t requests, transport_errors, bad_replies, server_errors, failovers, retries;
	uint64_t watch_events;
};

/* etcd.c: the transport */
struct etcd *etcd_new(struct ev_loop *loop, const char *url, char *err, size_t errlen);
void etcd_free(struct etcd *e);
const struct etcd_stats *etcd_stats(const struct etcd *e);
const char *etcd_endpoint(const struct etcd *e);
const char *etcd_last_error(const struct etcd *e);
int etcd_range(struct etcd *e, const char *key, bool prefix, etcd_cb *cb, void *arg);
int etcd_put(struct etcd *e, const char *key, const char *value, int64_t lease,
	     etcd_cb *cb, void *arg);
int etcd_delete(struct etcd *e, const char *key, bool prefix, etcd_cb *cb, void *arg);
int etcd_lease_grant(struct etcd *e, int64_t ttl, etcd_cb *cb, void *arg);
int etcd_lease_keepalive(struct etcd *e, int64_t id, etcd_cb *cb, void *arg);
/* BODY is a txn built with the etcd_txn_*() helpers; ownership passes. */
int etcd_txn(struct etcd *e, struct json_object *body, etcd_cb *cb, void *arg);
struct etcd_watch *etcd_watch(struct etcd *e, const char *prefix, int64_t start_rev,
			      etcd_watch_cb *cb, void *arg);
void etcd_watch_cancel(struct etcd_watch *w);

/* etcd_json.c: request bodies and reply parsing (no I/O; unit-tested) */
int etcd_parse_url(const char *url, char eps[ETCD_MAX_ENDPOINTS][ETCD_EP_LEN], char *err,
		   size_t errlen);
size_t etcd_b64_encode(const void *in, size_t len, char *out, size_t outlen);
int etcd_b64_decode(const char *in, size_t len, char **out, size_t *outlen);
int etcd_prefix_end(const char *prefix, char *out, size_t outlen);
int etcd_int64(struct json_object *o, const char *field, int64_t *v);
struct json_object *etcd_key_body(const char *key, bool prefix);
struct json_object *etcd_txn_new(void);
enum etcd_cmp_target { ETCD_CMP_CREATE, ETCD_CMP_MOD, ETCD_CMP_VALUE };
void etcd_txn_cmp(struct json_object *txn, const char *key, enum etcd_cmp_target t,
		  int64_t rev, const char *value);
void etcd_txn_put(struct json_object *txn, bool success, const char *key,
		  const char *value, int64_t lease);
void etcd_txn_delete(struct json_object *txn, bool success, const char *key, bool prefix);
void etcd_txn_range(struct json_object *txn, bool success, const char *key);
int etcd_parse_reply(const char *body, size_t len, struct etcd_reply *r,
		     char *err, size_t errlen);
void etcd_reply_clear(struct etcd_reply *r);
int etcd_parse_watch(const char *line, size_t len, struct etcd_watch_msg *m,
		     char *err, size_t errlen);
void etcd_watch_msg_clear(struct etcd_watch_msg *m);

/* Newline framing of a watch stream: bytes in, whole lines out. */
struct etcd_frame {
	char *buf;
	size_t len, cap;
};
typedef int etcd_line_fn(void *arg, const char *line, size_t len);
int etcd_frame_push(struct etcd_frame *f, const char *data, size_t len,
		    etcd_line_fn *fn, void *arg);
void etcd_frame_free(struct etcd_frame *f);

#endif
