/* etcd_json.c - the bodies of etcd v3 gateway requests, and its replies read.
 *
 * Theory of operation.  etcd's gRPC gateway maps each protobuf message to
 * JSON with the proto3 rules: bytes fields (keys, values) are base64,
 * int64 fields are decimal strings, and a field equal to its default is
 * not sent at all (a failed txn has no "succeeded", a PUT event no
 * "type", a DELETE event's kv no "value", an expired lease no "TTL").
 * So this file reads every field as optional with its default, and checks
 * the type of every field it does find: a string where a number is due, a
 * number out of range or base64 that does not decode makes the whole reply
 * "bad" (ETCD_ERR_REPLY) rather than half-applied.  No I/O here: etcd.c
 * moves the bytes, this file turns them into structs, and
 * tests/unit/test_etcd.c feeds it crafted replies.
 *
 * A watch is one HTTP response that never ends: the gateway writes one
 * JSON object {"result":{...}} per line (etcd issue #11372), so
 * etcd_frame_push() gathers bytes into whole lines, bounded by
 * ETCD_MAX_REPLY, and hands each line to etcd_parse_watch().
 *
 * The --cluster URL is read here too (etcd_parse_url), for the same
 * reason: it is text in, text out, and tested without a daemon.
 *
 * base64 is hand-written: it is twenty lines, and none of the libraries
 * vswitchd links (json-c, libcurl, libev) exports one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "etcd.h"

/* Is S (N bytes) IP:PORT, the IP numeric ([...] around IPv6) and PORT
 * 1-65535?  libcurl would resolve a name with a blocking call or a
 * thread, so only addresses are taken (doc/contract-differences.md). */
static bool etcd_endpoint_ok(const char *s, size_t n)
{
	char host[ETCD_EP_LEN];
	unsigned char a[16];
	const char *colon = NULL;
	unsigned long port = 0;
	size_t i, hl;
	int af = AF_INET;

	for (i = n; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	if (!colon || colon + 1 == s + n || n >= sizeof(host))
		return false;
	for (i = (size_t)(colon + 1 - s); i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if ((port = port * 10 + (unsigned long)(s[i] - '0')) > 65535)
			return false;
	}
	if (!port)
		return false;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		af = AF_INET6;
		s++;
		hl -= 2;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	return inet_pton(af, host, a) == 1;
}

/**
 * etcd_parse_url() - "etcd://IP:PORT[,IP:PORT...]" into its endpoints
 * @url:	what --cluster says
 * @eps:	out: each endpoint as "IP:PORT" ("[IPv6]:PORT"), for http://
 * @err:	the refusal, one line
 * @errlen:	size of @err
 *
 * Return: how many endpoints (at least one), or -1 with ERR
 */
int etcd_parse_url(const char *url, char eps[ETCD_MAX_ENDPOINTS][ETCD_EP_LEN], char *err,
		   size_t errlen)
{
	const char *p = url + strlen("etcd://"), *end;
	int n_ep = 0;
	size_t n;

	if (strncmp(url, "etcd://", 7) || !*p) {
		snprintf(err, errlen, "--cluster %s: want etcd://IP:PORT[,IP:PORT...]", url);
		return -1;
	}
	while (*p) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n_ep == ETCD_MAX_ENDPOINTS) {
			snprintf(err, errlen, "--cluster %s: at most %d endpoints", url,
				 ETCD_MAX_ENDPOINTS);
			return -1;
		}
		if (!etcd_endpoint_ok(p, n)) {
			snprintf(err, errlen, "--cluster %s: \"%.*s\" is not IP:PORT (a numeric "
				 "address: names are not resolved)", url, (int)n, p);
			return -1;
		}
		snprintf(eps[n_ep++], ETCD_EP_LEN, "%.*s", (int)n, p);
		p += n + (end ? 1 : 0);
		if (end && !*p) {
			snprintf(err, errlen, "--cluster %s: an empty endpoint after ','", url);
			return -1;
		}
	}
	return n_ep;
}

static const char etcd_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * etcd_b64_encode() - Standard base64 with padding, as protobuf JSON wants
 * @in:		bytes
 * @len:	how many
 * @out:	room for 4 * ceil(len / 3) + 1
 * @outlen:	its size
 *
 * Return: the length written (without the NUL), or 0 if OUT is too small
 */
size_t etcd_b64_encode(const void *in, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = in;
	size_t i, o = 0;

	if (outlen < (len + 2) / 3 * 4 + 1)
		return 0;
	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = etcd_b64[(v >> 18) & 63];
		out[o++] = etcd_b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? etcd_b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? etcd_b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int etcd_b64_val(char c)
{
	const char *p = c ? strchr(etcd_b64, c) : NULL;

	return p ? (int)(p - etcd_b64) : -1;
}

/**
 * etcd_b64_decode() - Decode base64 (padding optional, no whitespace)
 * @in:		the text
 * @len:	its length
 * @out:	set to a malloc'd, NUL-terminated buffer
 * @outlen:	set to the decoded length
 *
 * Return: 0, or -1 for a character outside the alphabet or a bad length
 */
int etcd_b64_decode(const char *in, size_t len, char **out, size_t *outlen)
{
	size_t i, o = 0, n;
	uint32_t acc = 0;
	char *buf;

	while (len && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return -1;
	for (i = 0, n = 0; i < len; i++) {
		int v = etcd_b64_val(in[i]);

		if (v < 0) {
			free(buf);
			return -1;
		}
		acc = acc << 6 | (uint32_t)v;
		if (++n == 4) {
			buf[o++] = (char)(acc >> 16);
			buf[o++] = (char)(acc >> 8);
			buf[o++] = (char)acc;
			acc = 0;
			n = 0;
		}
	}
	if (n == 2) {
		buf[o++] = (char)(acc >> 4);
	} else if (n == 3) {
		buf[o++] = (char)(acc >> 10);
		buf[o++] = (char)(acc >> 2);
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
}

/**
 * etcd_prefix_end() - The range_end that makes KEY a prefix query
 * @prefix:	the prefix (not empty, last byte not 0xff)
 * @out:	the prefix with its last byte plus one
 * @outlen:	size of OUT
 *
 * Return: 0, or -1 if it does not fit
 */
int etcd_prefix_end(const char *prefix, char *out, size_t outlen)
{
	size_t n = strlen(prefix);

	if (!n || n >= outlen || (unsigned char)prefix[n - 1] == 0xff)
		return -1;
	memcpy(out, prefix, n + 1);
	out[n - 1] = (char)((unsigned char)out[n - 1] + 1);
	return 0;
}

/* A JSON string of base64(S), or NULL (out of memory). */
static struct json_object *etcd_b64_json(const char *s)
{
	size_t len = strlen(s), cap = (len + 2) / 3 * 4 + 1;
	char *buf = malloc(cap);
	struct json_object *o;

	if (!buf)
		return NULL;
	etcd_b64_encode(s, len, buf, cap);
	o = json_object_new_string(buf);
	free(buf);
	return o;
}

static void etcd_add_int(struct json_object *o, const char *field, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	json_object_object_add(o, field, json_object_new_string(buf));
}

/* {"key": b64(KEY)[, "range_end": b64(prefix end)]} */
struct json_object *etcd_key_body(const char *key, bool prefix)
{
	struct json_object *o = json_object_new_object();
	char end[1024];

	json_object_object_add(o, "key", etcd_b64_json(key));
	if (prefix && !etcd_prefix_end(key, end, sizeof(end)))
		json_object_object_add(o, "range_end", etcd_b64_json(end));
	return o;
}

struct json_object *etcd_txn_new(void)
{
	struct json_object *t = json_object_new_object();

	json_object_object_add(t, "compare", json_object_new_array());
	json_object_object_add(t, "success", json_object_new_array());
	json_object_object_add(t, "failure", json_object_new_array());
	return t;
}

/**
 * etcd_txn_cmp() - Add "KEY's TARGET equals REV (or VALUE)" to a txn
 * @txn:	from etcd_txn_new()
 * @key:	the key
 * @t:		CREATE (create_revision; 0 = absent), MOD or VALUE
 * @rev:	the revision compared with (CREATE, MOD)
 * @value:	the value compared with (VALUE)
 */
void etcd_txn_cmp(struct json_object *txn, const char *key, enum etcd_cmp_target t,
		  int64_t rev, const char *value)
{
	static const char *const targets[] = { "CREATE", "MOD", "VALUE" };
	static const char *const fields[] = { "create_revision", "mod_revision", "value" };
	struct json_object *c = json_object_new_object(), *arr;

	json_object_object_add(c, "target", json_object_new_string(targets[t]));
	json_object_object_add(c, "result", json_object_new_string("EQUAL"));
	json_object_object_add(c, "key", etcd_b64_json(key));
	if (t == ETCD_CMP_VALUE)
		json_object_object_add(c, fields[t], etcd_b64_json(value ? value : ""));
	else
		etcd_add_int(c, fields[t], rev);
	json_object_object_get_ex(txn, "compare", &arr);
	json_object_array_add(arr, c);
}

static void etcd_txn_op(struct json_object *txn, bool success, const char *op,
			struct json_object *body)
{
	struct json_object *wrap = json_object_new_object(), *arr;

	json_object_object_add(wrap, op, body);
	json_object_object_get_ex(txn, success ? "success" : "failure", &arr);
	json_object_array_add(arr, wrap);
}

void etcd_txn_put(struct json_object *txn, bool success, const char *key,
		  const char *value, int64_t lease)
{
	struct json_object *o = etcd_key_body(key, false);

	json_object_object_add(o, "value", etcd_b64_json(value));
	if (lease)
		etcd_add_int(o, "lease", lease);
	etcd_txn_op(txn, success, "request_put", o);
}

void etcd_txn_delete(struct json_object *txn, bool success, const char *key, bool prefix)
{
	etcd_txn_op(txn, success, "request_delete_range", etcd_key_body(key, prefix));
}

void etcd_txn_range(struct json_object *txn, bool success, const char *key)
{
	etcd_txn_op(txn, success, "request_range", etcd_key_body(key, false));
}

/**
 * etcd_int64() - Read an int64 field sent as a string (or, leniently, a number)
 * @o:		the object
 * @field:	the field's name
 * @v:		set to its value; left alone when the field is absent
 *
 * Return: 0 (also when absent: proto3 leaves out zeros), -1 if it is there
 * but not a decimal int64
 */
int etcd_int64(struct json_object *o, const char *field, int64_t *v)
{
	struct json_object *f;
	const char *s;
	char *end;
	long long x;

	if (!json_object_object_get_ex(o, field, &f))
		return 0;
	if (json_object_is_type(f, json_type_int)) {
		*v = json_object_get_int64(f);
		return 0;
	}
	if (!json_object_is_type(f, json_type_string))
		return -1;
	s = json_object_get_string(f);
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

/* A bytes field: base64 string, absent = empty. */
static int etcd_bytes(struct json_object *o, const char *field, char **out, size_t *len)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, field, &f))
		return etcd_b64_decode("", 0, out, len);
	if (!json_object_is_type(f, json_type_string))
		return -1;
	return etcd_b64_decode(json_object_get_string(f), (size_t)json_object_get_string_len(f),
			       out, len);
}

static void etcd_kv_clear(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

static int etcd_parse_kv(struct json_object *o, struct etcd_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	if (!json_object_is_type(o, json_type_object) ||
	    etcd_bytes(o, "key", &kv->key, &kv->key_len) ||
	    etcd_bytes(o, "value", &kv->value, &kv->value_len) ||
	    etcd_int64(o, "create_revision", &kv->create_rev) ||
	    etcd_int64(o, "mod_revision", &kv->mod_rev) ||
	    etcd_int64(o, "version", &kv->version) || etcd_int64(o, "lease", &kv->lease) ||
	    !kv->key_len) {
		etcd_kv_clear(kv);
		return -1;
	}
	return 0;
}

/* "kvs": [kv...] (absent = none) into R. */
static int etcd_parse_kvs(struct json_object *o, struct etcd_reply *r)
{
	struct json_object *arr;
	size_t i, n;

	if (!json_object_object_get_ex(o, "kvs", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return -1;
	n = json_object_array_length(arr);
	r->kvs = n ? calloc(n, sizeof(*r->kvs)) : NULL;
	if (n && !r->kvs)
		return -1;
	for (i = 0; i < n; i++) {
		if (etcd_parse_kv(json_object_array_get_idx(arr, i), &r->kvs[i]))
			return -1;
		r->n_kvs = i + 1;
	}
	return 0;
}

/* A txn's responses: the kvs of its first response_range, if any. */
static int etcd_parse_txn(struct json_object *o, struct etcd_reply *r)
{
	struct json_object *arr, *f, *rr;
	size_t i;

	if (json_object_object_get_ex(o, "succeeded", &f)) {
		if (!json_object_is_type(f, json_type_boolean))
			return -1;
		r->succeeded = json_object_get_boolean(f);
	}
	if (!json_object_object_get_ex(o, "responses", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return -1;
	for (i = 0; i < json_object_array_length(arr); i++) {
		f = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(f, json_type_object))
			return -1;
		if (json_object_object_get_ex(f, "response_range", &rr) && !r->kvs)
			return etcd_parse_kvs(rr, r);
	}
	return 0;
}

/* {"error": "...", "code": N, "message": "..."}: etcd refused. */
static bool etcd_server_error(struct json_object *o, struct etcd_reply *r)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, "error", &f) &&
	    !json_object_object_get_ex(o, "message", &f))
		return false;
	snprintf(r->error, sizeof(r->error), "%s",
		 json_object_is_type(f, json_type_string) ? json_object_get_string(f) :
		 json_object_to_json_string(f));
	return true;
}

static int etcd_parse_header(struct json_object *o, int64_t *rev)
{
	struct json_object *h;

	if (!json_object_object_get_ex(o, "header", &h))
		return 0;
	if (!json_object_is_type(h, json_type_object))
		return -1;
	return etcd_int64(h, "revision", rev);
}

static struct json_object *etcd_parse_object(const char *body, size_t len,
					     char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	size_t end;

	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = o ? (size_t)json_tokener_get_parse_end(tok) : 0;
	while (end < len && memchr(" \t\r", body[end], 3))
		end++;
	if (!o || json_tokener_get_error(tok) != json_tokener_success || end < len) {
		snprintf(err, errlen, "reply is not one JSON object");
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "reply is JSON but not an object");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/**
 * etcd_parse_reply() - Read a unary reply (range, put, txn, delete, lease)
 * @body:	the HTTP body
 * @len:	its length
 * @r:		filled (etcd_reply_clear() it afterwards, whatever the result)
 * @err:	why it is bad
 * @errlen:	size of ERR
 *
 * A keepalive's reply is wrapped in {"result":...}; that is unwrapped here.
 *
 * Return: ETCD_OK, ETCD_ERR_SERVER (etcd's error in r->error) or ETCD_ERR_REPLY
 */
int etcd_parse_reply(const char *body, size_t len, struct etcd_reply *r,
		     char *err, size_t errlen)
{
	struct json_object *root, *o;
	int rc = ETCD_ERR_REPLY;

	memset(r, 0, sizeof(*r));
	root = etcd_parse_object(body, len, err, errlen);
	if (!root)
		return ETCD_ERR_REPLY;
	/* get_ex() sets its output to NULL when the field is absent */
	if (!json_object_object_get_ex(root, "result", &o)) {
		o = root;
	} else if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "\"result\" is not an object");
		goto out;
	}
	if (o == root && etcd_server_error(root, r)) {
		snprintf(err, errlen, "etcd: %s", r->error);
		rc = ETCD_ERR_SERVER;
		goto out;
	}
	if (etcd_parse_header(o, &r->revision) || etcd_parse_kvs(o, r) || etcd_parse_txn(o, r) ||
	    etcd_int64(o, "deleted", &r->deleted) || etcd_int64(o, "ID", &r->lease_id) ||
	    etcd_int64(o, "TTL", &r->ttl)) {
		snprintf(err, errlen, "a field of the wrong type or bad base64");
		goto out;
	}
	rc = ETCD_OK;
out:
	json_object_put(root);
	return rc;
}

void etcd_reply_clear(struct etcd_reply *r)
{
	size_t i;

	for (i = 0; i < r->n_kvs; i++)
		etcd_kv_clear(&r->kvs[i]);
	free(r->kvs);
	r->kvs = NULL;
	r->n_kvs = 0;
}

static int etcd_parse_event(struct json_object *o, struct etcd_event *ev)
{
	struct json_object *f, *kv;
	const char *t;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "kv", &kv))
		return -1;
	ev->type = ETCD_EV_PUT;	/* PUT is 0: the gateway leaves "type" out */
	if (json_object_object_get_ex(o, "type", &f)) {
		t = json_object_get_string(f);
		if (!json_object_is_type(f, json_type_string) ||
		    (strcmp(t, "DELETE") && strcmp(t, "PUT")))
			return -1;
		if (!strcmp(t, "DELETE"))
			ev->type = ETCD_EV_DELETE;
	}
	return etcd_parse_kv(kv, &ev->kv);
}

static int etcd_parse_events(struct json_object *o, struct etcd_watch_msg *m)
{
	struct json_object *arr;
	size_t i, n;

	if (!json_object_object_get_ex(o, "events", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return -1;
	n = json_object_array_length(arr);
	m->events = n ? calloc(n, sizeof(*m->events)) : NULL;
	if (n && !m->events)
		return -1;
	for (i = 0; i < n; i++) {
		if (etcd_parse_event(json_object_array_get_idx(arr, i), &m->events[i]))
			return -1;
		m->n_events = i + 1;
	}
	return 0;
}

static int etcd_bool(struct json_object *o, const char *field, bool *v)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, field, &f))
		return 0;
	if (!json_object_is_type(f, json_type_boolean))
		return -1;
	*v = json_object_get_boolean(f);
	return 0;
}

/**
 * etcd_parse_watch() - Read one line of a watch stream
 * @line:	the line, without its newline
 * @len:	its length
 * @m:		filled (etcd_watch_msg_clear() it afterwards, whatever the result)
 * @err:	why it is bad
 * @errlen:	size of ERR
 *
 * Return: ETCD_OK, ETCD_ERR_SERVER ({"error":...}: the stream broke) or
 * ETCD_ERR_REPLY
 */
int etcd_parse_watch(const char *line, size_t len, struct etcd_watch_msg *m,
		     char *err, size_t errlen)
{
	struct json_object *root, *o;
	struct etcd_reply r;
	int rc = ETCD_ERR_REPLY;

	memset(m, 0, sizeof(*m));
	root = etcd_parse_object(line, len, err, errlen);
	if (!root)
		return ETCD_ERR_REPLY;
	if (!json_object_object_get_ex(root, "result", &o)) {
		memset(&r, 0, sizeof(r));
		if (etcd_server_error(root, &r)) {
			snprintf(err, errlen, "etcd: %s", r.error);
			rc = ETCD_ERR_SERVER;
		} else {
			snprintf(err, errlen, "watch message without \"result\"");
		}
		goto out;
	}
	if (!json_object_is_type(o, json_type_object) || etcd_parse_header(o, &m->revision) ||
	    etcd_bool(o, "created", &m->created) || etcd_bool(o, "canceled", &m->canceled) ||
	    etcd_int64(o, "compact_revision", &m->compact_revision) || etcd_parse_events(o, m)) {
		snprintf(err, errlen, "watch message with a field of the wrong type");
		goto out;
	}
	rc = ETCD_OK;
out:
	json_object_put(root);
	return rc;
}

void etcd_watch_msg_clear(struct etcd_watch_msg *m)
{
	size_t i;

	for (i = 0; i < m->n_events; i++)
		etcd_kv_clear(&m->events[i].kv);
	free(m->events);
	m->events = NULL;
	m->n_events = 0;
}

/**
 * etcd_frame_push() - Add bytes of a stream; call FN for each whole line
 * @f:		the framing state
 * @data:	the bytes received
 * @len:	how many
 * @fn:		called with each line (without "\n"; empty lines skipped)
 * @arg:	for FN
 *
 * Return: 0; -1 if a line grew beyond ETCD_MAX_REPLY or memory ran out
 * (the stream must be dropped); FN's non-zero return stops and is returned
 */
int etcd_frame_push(struct etcd_frame *f, const char *data, size_t len,
		    etcd_line_fn *fn, void *arg)
{
	size_t start = 0, i;
	int rc;

	if (len == 0)   /* nothing new; f->buf may still be NULL (memcpy's UB) */
		return 0;
	if (f->len + len > ETCD_MAX_REPLY)
		return -1;
	if (f->len + len > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		char *p;

		while (cap < f->len + len)
			cap *= 2;
		p = realloc(f->buf, cap);
		if (!p)
			return -1;
		f->buf = p;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, data, len);
	f->len += len;
	for (i = 0; i < f->len; i++) {
		if (f->buf[i] != '\n')
			continue;
		if (i > start && (rc = fn(arg, f->buf + start, i - start)) != 0)
			return rc;
		start = i + 1;
	}
	memmove(f->buf, f->buf + start, f->len - start);
	f->len -= start;
	return 0;
}

void etcd_frame_free(struct etcd_frame *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}
