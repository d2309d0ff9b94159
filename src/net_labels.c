/* net_labels.c - a network's labels (`network create --label K=V`).
 *
 * Labels are Docker's: free text a user's tools attach to a network,
 * shown by inspect (`Labels`), matched by `network ls --filter label=`,
 * kept in the state file.  One check decides what a label may be, used by
 * network.create and by the state loader alike, so a hand-edited state
 * file cannot bring in what the command line would refuse.  Kept out of
 * model.c, which the datapath's unit tests link without json-c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "model.h"

/* A label's text: printable, as Docker's CLI would take it on a command
 * line; control characters would break the one-line outputs. */
static bool net_labels_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n >= max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/**
 * net_labels_set() - Set a network's labels from a JSON object of strings
 * @n:		network (its labels are replaced only when all are good)
 * @labels:	{"KEY": "VALUE", ...}, or NULL for none
 * @err:	on failure, why
 * @errlen:	size of @err
 *
 * Used by network.create and by the state file's loader, so one check
 * decides what a label may be.
 * Return: 0, or -1 with @err set and @n unchanged.
 */
int net_labels_set(struct network *n, struct json_object *labels, char *err, size_t errlen)
{
	struct vs_label tmp[VS_MAX_LABELS];
	int k = 0;

	if (!labels) {
		n->n_labels = 0;
		return 0;
	}
	if (!json_object_is_type(labels, json_type_object)) {
		snprintf(err, errlen, "labels must be an object of KEY: VALUE strings");
		return -1;
	}
	json_object_object_foreach(labels, key, val) {
		const char *v = json_object_get_string(val);

		if (k >= VS_MAX_LABELS) {
			snprintf(err, errlen, "at most %d labels", VS_MAX_LABELS);
			return -1;
		}
		if (!*key || !net_labels_text_ok(key, VS_LABEL_KEY_MAX) ||
		    !json_object_is_type(val, json_type_string) ||
		    !net_labels_text_ok(v, VS_LABEL_VAL_MAX)) {
			snprintf(err, errlen, "bad label \"%.64s\" (a key of 1-%d and a value of "
				 "0-%d printable characters)", key, VS_LABEL_KEY_MAX - 1,
				 VS_LABEL_VAL_MAX - 1);
			return -1;
		}
		snprintf(tmp[k].key, sizeof(tmp[k].key), "%s", key);
		snprintf(tmp[k].value, sizeof(tmp[k].value), "%s", v);
		k++;
	}
	memcpy(n->labels, tmp, (size_t)k * sizeof(tmp[0]));
	n->n_labels = k;
	return 0;
}

/* The labels as {"KEY": "VALUE"}, as inspect's Labels and the state file. */
struct json_object *net_labels_json(const struct network *n)
{
	struct json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < n->n_labels; i++)
		json_object_object_add(o, n->labels[i].key,
				       json_object_new_string(n->labels[i].value));
	return o;
}
