/* mld_snoop_ctl.c - the MLD snooping tables and counters in `vsctl stats`.
 *
 * Control plane only, apart from mld_snoop.c so that the L2 unit tests
 * link the datapath's side without json-c: `stats` gains "mld_snoop",
 * one object per bridge or overlay network (LAN networks are not
 * snooped) with the size of its table and each decision's counter
 * (include/mld_snoop.h, struct mld_snoop_stats).  Counting the listed
 * slots walks the ports' records: O(ports), per request, never per frame.
 */
#include <json-c/json.h>
#include "mld_snoop.h"
#include "model.h"

/* {"settling": bool, "groups": n, "listed": n, "queriers": n, ...} */
static struct json_object *mld_snoop_net_json(const struct network *n)
{
	const struct mld_snoop *m = n->mld;
	static const struct mld_snoop_stats zero;
	const struct mld_snoop_stats *s = m ? &m->st : &zero;
	struct json_object *o = json_object_new_object();
	struct mld_snoop_port *sp, *tmp;
	int64_t listed = 0;
	unsigned int i;

#define MLD_SNOOP_J(k, v) json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))
	if (m)
		HASH_ITER(hh, m->ports, sp, tmp)
			for (i = 0; i < MLD_SNOOP_PORT_GROUPS; i++)
				listed += sp->slot[i].group != NULL;
	json_object_object_add(o, "settling", json_object_new_boolean(mld_snoop_settling(n)));
	MLD_SNOOP_J("groups", m ? m->n_groups : 0);
	MLD_SNOOP_J("listed", listed);
	MLD_SNOOP_J("queriers", m ? m->n_queriers : 0);
	MLD_SNOOP_J("overflowed_ports", m ? m->n_overflow : 0);
	MLD_SNOOP_J("reports", s->reports);
	MLD_SNOOP_J("reports_flooded", s->reports_flooded);
	MLD_SNOOP_J("joins", s->joins);
	MLD_SNOOP_J("leaves", s->leaves);
	MLD_SNOOP_J("overflow", s->overflow);
	MLD_SNOOP_J("bad", s->bad);
	MLD_SNOOP_J("queries_heard", s->queries_heard);
	MLD_SNOOP_J("queries_sent", s->queries_sent);
	MLD_SNOOP_J("rs_to_gateway", s->rs_to_gateway);
	MLD_SNOOP_J("rs_to_open_ports", s->rs_to_open_ports);
	MLD_SNOOP_J("rs_absorbed", s->rs_absorbed);
	MLD_SNOOP_J("to_members", s->to_members);
	MLD_SNOOP_J("unregistered", s->unregistered);
#undef MLD_SNOOP_J
	return o;
}

/**
 * mld_snoop_stats_json() - Every network's table and counters, for `stats`
 * @model:	the model
 *
 * Return: {"NETWORK": {...}} (control plane: walks the ports' slots)
 */
struct json_object *mld_snoop_stats_json(const struct model *model)
{
	struct json_object *o = json_object_new_object();
	struct network *n, *tmp;

	HASH_ITER(hh, model->networks, n, tmp)
		if (!model_net_is_lan(n))
			json_object_object_add(o, n->name, mld_snoop_net_json(n));
	return o;
}
