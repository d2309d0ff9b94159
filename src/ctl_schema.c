/* ctl_schema.c - the rows of the control schema: every command, once.
 *
 * Theory of operation.  A row says everything both ends need to know about
 * a command (include/ctl_schema.h): the request name vsctl sends and
 * vswitchd dispatches on, vsctl's words and positionals, and each argument
 * with its JSON type, whether it is required, and the vsctl option that
 * sets it.  vswitchd's argument check, the "commands" listing, vsctl's
 * parser, its help and the man page's SYNOPSIS are all read from here;
 * the rows are data only, so this file is linked into both programs.
 *
 * Arguments are listed in the order vsctl's help shows the options (the
 * daemon does not care about order).  An argument with no option is a
 * positional (named in pos_keys), or one vsctl fills in from another
 * option (trace's port, from --to IP:PORT), or one only other clients
 * send (capture's ifname and buffer, network.connect's handoff,
 * network.disconnect's drop_ports).  A
 * local argument is vsctl's alone: it never goes on the wire, and the
 * daemon refuses it.
 *
 * To add a command: a row here, its name in CTL_SCHEMA_ROWS(), the
 * daemon's control_register(&ctl_schema_<name>, fn), and, if vsctl has
 * it, a printer in vsctl_handlers.c (doc/control-protocol.md).
 */
#include <string.h>
#include "ctl_schema.h"

/* An argument with no vsctl option (positional, derived or daemon-only). */
#define ARG(k, t) { .key = k, .type = CTL_T_##t }
#define ARGR(k, t) { .key = k, .type = CTL_T_##t, .required = true }
/* vsctl options, by how they are read. */
#define FLAG(n, k, v, h) \
	{ .key = k, .type = CTL_T_BOOL, .name = n, .kind = CTL_OPT_FLAG, .flag_value = v, \
	  .help = h }
#define LFLAG(n, a, k, h) \
	{ .key = k, .type = CTL_T_BOOL, .local = true, .name = n, .alias = a, \
	  .kind = CTL_OPT_FLAG, .flag_value = true, .help = h }
#define STR(n, mv, k, h) \
	{ .key = k, .type = CTL_T_STR, .name = n, .kind = CTL_OPT_STR, .metavar = mv, .help = h }
#define STRR(n, mv, k, h) \
	{ .key = k, .type = CTL_T_STR, .required = true, .name = n, .kind = CTL_OPT_STR, \
	  .metavar = mv, .help = h }
#define STRN(n, mv, k, h) \
	{ .key = k, .type = CTL_T_STRS, .name = n, .kind = CTL_OPT_STR, .metavar = mv, \
	  .repeatable = true, .help = h }
#define LSTR(n, mv, k, h) \
	{ .key = k, .type = CTL_T_STR, .local = true, .name = n, .kind = CTL_OPT_STR, \
	  .metavar = mv, .help = h }
#define LSTRN(n, mv, k, h) \
	{ .key = k, .type = CTL_T_STRS, .local = true, .name = n, .kind = CTL_OPT_STR, \
	  .metavar = mv, .repeatable = true, .help = h }
#define LENUM(n, choices, k, h) \
	{ .key = k, .type = CTL_T_STR, .local = true, .name = n, .kind = CTL_OPT_ENUM, \
	  .metavar = choices, .help = h }
#define INT(n, a, mv, k, lo, hi, h) \
	{ .key = k, .type = CTL_T_INT, .name = n, .alias = a, .kind = CTL_OPT_INT, \
	  .metavar = mv, .min = lo, .max = hi, .help = h }
#define REAL(n, mv, k, lo, hi, h) \
	{ .key = k, .type = CTL_T_NUM, .name = n, .kind = CTL_OPT_REAL, .metavar = mv, \
	  .min = lo, .max = hi, .help = h }
#define ENUM(n, choices, k, h) \
	{ .key = k, .type = CTL_T_STR, .name = n, .kind = CTL_OPT_ENUM, .metavar = choices, \
	  .help = h }
#define KV(n, mv, k, h) \
	{ .key = k, .type = CTL_T_MAP, .name = n, .kind = CTL_OPT_KV, .metavar = mv, \
	  .repeatable = true, .help = h }

#define CMD(c, w, lo, hi, syn, k0, k1, hlp) \
	.cmd = c, .words = w, .min_args = lo, .max_args = hi, .synopsis = syn, \
	.pos_keys = { k0, k1 }, .help = hlp
#define ROW(id) const struct ctl_schema ctl_schema_##id

ROW(commands) = { CMD("commands", NULL, 0, 0, "", NULL, NULL,
		      "List every command and the arguments it takes.") };

ROW(show) = { CMD("show", "show", 0, 0, "", NULL, NULL,
		  "Show networks, their endpoints with ports and counters, and the uplink.") };

ROW(network_create) = {
	CMD("network.create", "network create", 1, 1, "NAME", "name", NULL,
	    "Create a network; print its id."), .args = {
	ARGR("name", STR),
	{ .key = "driver", .type = CTL_T_STR, .name = "--driver", .alias = "-d",
	  .kind = CTL_OPT_ENUM, .metavar = "bridge|macvlan|ipvlan|overlay",
	  .help = "bridge (default: NAT behind the uplink), macvlan/ipvlan: on the uplink's LAN, "
		  "or overlay: across hosts through VXLAN" },
	{ .key = "opts", .type = CTL_T_MAP, .name = "--opt", .alias = "-o", .kind = CTL_OPT_KV,
	  .metavar = "KEY=VALUE", .repeatable = true,
	  .help = "driver option: parent=UPLINK (macvlan/ipvlan; default: the first uplink), "
		  "vxlan.vni=N (overlay; default: the first free from 4096)" },
	{ .key = "scope", .type = CTL_T_STR, .name = "--scope", .kind = CTL_OPT_ENUM,
	  .metavar = "local|global",
	  .help = "global: in the cluster's store, on every host (overlay with vswitchd --cluster; "
		  "its default there); local: this host only" },
	/* vsctl takes --subnet, --gateway and --ip-range once per family, as
	 * docker does, and sends each to its family's key
	 * (vsctl_check_net_create). */
	LSTRN("--subnet", "CIDR", "subnets",
	      "subnet, once per family; default IPv4: next free /16 of 172.18-31, then /20s "
	      "of 192.168/16; default IPv6 (with --ipv6): a /64 of the host's ULA /48"),
	LSTRN("--gateway", "IP", "gateways",
	      "gateway address, once per family; default: the subnet's first address"),
	LSTRN("--ip-range", "CIDR", "ip_ranges",
	      "allocate container addresses from this range only (once per family)"),
	ARG("subnet", STR),
	ARG("gateway", STR),
	ARG("ip_range", STR),
	FLAG("--ipv6", "ipv6", true, "dual stack: an IPv6 subnet beside the IPv4 one"),
	ARG("subnet6", STR),
	ARG("gateway6", STR),
	ARG("ip_range6", STR),
	KV("--aux-address", "NAME=IP", "aux", "reserve an address so it is never allocated"),
	FLAG("--internal", "internal", true, "no egress through the uplink, no published ports"),
	FLAG("--no-icc", "icc", false, "forbid container-to-container traffic on this network"),
	INT("--mtu", NULL, "N", "mtu", 68, 65535, "MTU of the interfaces (default 1500)"),
	FLAG("--no-dns", "dns", false, "do not answer DNS for container names"),
	FLAG("--dns-intercept", "dns_intercept", true,
	     "answer port-53 traffic to any address with vswitchd's resolver"),
	KV("--label", "KEY=VALUE", "labels", "a label, as docker's (inspect's Labels; ls --filter)"),
} };

ROW(network_ls) = {
	CMD("network.ls", "network ls", 0, 0, "", NULL, NULL,
	    "List networks (NETWORK ID, NAME, DRIVER, SCOPE)."), .args = {
	LFLAG("--quiet", "-q", "quiet", "print network ids only"),
	{ .key = "filter", .type = CTL_T_STRS, .local = true, .name = "--filter", .alias = "-f",
	  .kind = CTL_OPT_STR, .metavar = "KEY=VALUE", .repeatable = true,
	  .help = "only networks that match: name=, id=, driver=, scope=, type=, label=K[=V]" },
	LFLAG("--no-trunc", NULL, "no_trunc", "print whole network ids"),
} };

ROW(network_inspect) = {
	CMD("network.inspect", "network inspect", 1, -1, "NAME...", "names", NULL,
	    "Print networks as a JSON array shaped like docker network inspect."), .args = {
	ARGR("names", STRS),
} };

ROW(network_rm) = {
	CMD("network.rm", "network rm", 1, -1, "NAME...", "names", NULL,
	    "Remove networks (all or none); print the names removed."), .args = {
	ARGR("names", STRS),
} };

ROW(network_vtep_add) = {
	CMD("network.vtep.add", "network vtep add", 2, 2, "NETWORK IP[:PORT]", "network", "vtep",
	    "Add a VTEP (another host, or a Linux vxlan device) to an overlay network: it gets "
	    "a copy of broadcast and unknown frames, and its frames are accepted."), .args = {
	ARGR("network", STR),
	ARGR("vtep", STR),
} };

ROW(network_vtep_rm) = {
	CMD("network.vtep.rm", "network vtep rm", 2, 2, "NETWORK IP", "network", "vtep",
	    "Remove a VTEP added with network vtep add."), .args = {
	ARGR("network", STR),
	ARGR("vtep", STR),
} };

ROW(network_prune) = {
	CMD("network.prune", "network prune", 0, 0, "", NULL, NULL,
	    "Remove every user network without endpoints; print their names."), .args = {
	LFLAG("--force", "-f", "force", "do not ask for confirmation"),
} };

ROW(network_connect) = {
	CMD("network.connect", "network connect", 2, 2, "NETWORK CONTAINER", "network",
	    "container", "Connect a container (a network namespace) to a network."), .args = {
	ARGR("network", STR),
	ARGR("container", STR),
	STR("--netns", "REF", "netns", "the container's namespace: ip netns name, path or pid:PID"),
	STR("--ip", "IP", "ip", "fixed address instead of the next free one"),
	STR("--ip6", "IP6", "ip6",
	    "fixed IPv6 address (network made with --ipv6) instead of the next free one"),
	STR("--mac", "MAC", "mac", "MAC address instead of 02:42 + the IPv4 address"),
	STRN("--alias", "NAME", "aliases", "extra DNS name on this network"),
	STR("--ifname", "IF", "ifname", "interface name in the container (eth0, eth1...)"),
	ENUM("--attach", "tap|veth", "attach",
	     "TAP device in the container (default), or veth + AF_PACKET"),
	FLAG("--no-port-security", "port_security", false,
	     "let the container send from any MAC and IP address"),
	FLAG("--no-offload", "offload", false,
	     "no TSO or partial checksums on this port (the switch segments)"),
	STR("--dns-name", "NAME", "dns_name",
	    "the container's DNS name (default: CONTAINER; \"\" for none)"),
	STR("--owner", "OWNER", "owner", "who made the endpoint (default vsctl; cni:NET, docker)"),
	ARG("handoff", BOOL),
} };

ROW(network_disconnect) = {
	CMD("network.disconnect", "network disconnect", 2, 2, "NETWORK CONTAINER", "network",
	    "container", "Disconnect a container from a network and remove its interface."),
	.args = {
	ARGR("network", STR),
	ARGR("container", STR),
	FLAG("--if-exists", "missing_ok", true,
	     "succeed when the network, container or endpoint is not there"),
	ARG("drop_ports", BOOL),
} };

ROW(container_ls) = {
	CMD("container.ls", "container ls", 0, 0, "", NULL, NULL,
	    "List containers with their DNS name, owner, namespace and addresses."), .args = {
	STR("--owner", "OWNER", "owner", "only endpoints this owner made (vsctl, docker, cni:NET)"),
} };

/* vsctl's own: it asks the daemon whether the network exists
 * (network.inspect) and writes a file; nothing of it is a request. */
ROW(cni_conf) = {
	CMD(NULL, "cni conf", 1, 1, "NETWORK", "network", NULL,
	    "Print or write (--dir) the CNI conflist that puts a runtime's containers on NETWORK."),
	.args = {
	ARGR("network", STR),
	LSTR("--dir", "DIR", "dir", "write DIR/50-vswitch-NAME.conflist and print its path"),
	LSTR("--name", "NAME", "name", "the CNI network's name (default: NETWORK)"),
	LENUM("--cni-version", "0.3.1|0.4.0|1.0.0|1.1.0", "cni_version",
	      "the conflist's cniVersion (default 1.0.0)"),
	LENUM("--attach", "tap|veth", "attach", "how containers attach (default tap)"),
	LFLAG("--name-from-id", NULL, "name_from_id",
	      "without a pod name, the container id is the DNS name (containerd)"),
} };

/* vsctl's own (vsctl_netns.c): namespaces are made, entered and removed
 * by vsctl in the user's own namespaces, as `ip netns` does; vswitchd only
 * resolves their names.  None of them is a request. */
ROW(netns_add) = {
	CMD(NULL, "netns add", 1, 1, "NAME", "name", NULL,
	    "Make a container network namespace NAME that vswitchd can reach "
	    "(root: /run/netns/NAME, as ip netns add; rootless: held in vswitchd's user namespace)."),
	.args = { ARGR("name", STR) } };

ROW(netns_exec) = {
	CMD(NULL, "netns exec", 2, -1, "NAME -- COMMAND [ARG]...", "name", "argv",
	    "Run COMMAND inside namespace NAME (rootless: in vswitchd's user namespace too)."),
	.args = { ARGR("name", STR), ARGR("argv", STRS) } };

ROW(netns_ls) = {
	CMD(NULL, "netns ls", 0, 0, "", NULL, NULL,
	    "List the namespaces `vsctl netns add` made, with the path other tools can open."),
	.args = { LFLAG("--quiet", "-q", "quiet", "print names only") } };

ROW(netns_rm) = {
	CMD(NULL, "netns rm", 1, -1, "NAME...", "names", NULL,
	    "Remove namespaces made with `vsctl netns add`."),
	.args = { ARGR("names", STRS) } };

/* For runtimes (the CNI plugin's CHECK); vsctl has no words for it. */
ROW(endpoint_check) = {
	CMD("endpoint.check", NULL, 0, 0, "", NULL, NULL,
	    "Check that an endpoint is there as it was made: its port, and its interface, "
	    "address and MAC as the kernel has them."), .args = {
	ARGR("network", STR),
	ARGR("container", STR),
	ARG("ifname", STR),
	ARG("ip", STR),
	ARG("mac", STR),
} };

/* For Docker's plugin (cmd_handoff.c): where a hand-off container's device
 * is, and the name Docker knows it by; vsctl has no words for them. */
ROW(endpoint_sandbox) = {
	CMD("endpoint.sandbox", NULL, 0, 0, "", NULL, NULL,
	    "Record the namespace a runtime moved a hand-off endpoint's device to."), .args = {
	ARGR("network", STR),
	ARGR("container", STR),
	ARGR("sandbox", STR),
} };

ROW(endpoint_dns_name) = {
	CMD("endpoint.dns_name", NULL, 0, 0, "", NULL, NULL,
	    "Give a hand-off container the DNS name its runtime knows it by."), .args = {
	ARGR("container", STR),
	ARGR("dns_name", STR),
} };

ROW(network_bind) = {
	CMD("network.bind", NULL, 0, 0, "", NULL, NULL,
	    "Give a network another name (Docker's, for -o vswitch.network=NAME)."), .args = {
	ARGR("network", STR),
	ARGR("name", STR),
} };

ROW(network_unbind) = {
	CMD("network.unbind", NULL, 0, 0, "", NULL, NULL,
	    "Take back a name network.bind gave."), .args = {
	ARGR("name", STR),
} };

/* For Docker's IPAM driver (cmd_handoff.c): what vswitch's IPAM would
 * choose, reserving nothing. */
ROW(ipam_suggest) = {
	CMD("ipam.suggest", NULL, 0, 0, "", NULL, NULL,
	    "Say the next free automatic subnet, or a network's next free address."), .args = {
	ARG("network", STR),
} };

ROW(port_publish) = {
	CMD("port.publish", "port publish", 2, -1, "CONTAINER SPEC...", "container", "specs",
	    "Publish container ports; SPEC is [HOSTIP:][HOSTPORT:]CPORT[/tcp|udp]."), .args = {
	ARGR("container", STR),
	ARGR("specs", STRS),
} };

ROW(port_unpublish) = {
	CMD("port.unpublish", "port unpublish", 2, -1, "CONTAINER SPEC...", "container", "specs",
	    "Remove published ports, given as they were published."), .args = {
	ARGR("container", STR),
	ARGR("specs", STRS),
} };

ROW(port_ls) = {
	CMD("port.ls", "port ls", 1, 1, "CONTAINER", "container", NULL,
	    "List a container's published ports (80/tcp -> 0.0.0.0:8080)."), .args = {
	ARGR("container", STR),
} };

ROW(fdb_show) = {
	CMD("fdb.show", "fdb show", 0, 1, "[NETWORK]", "network", NULL,
	    "Show the MAC learning tables (NETWORK MAC PORT AGE KIND)."), .args = {
	ARG("network", STR),
} };

ROW(fdb_flush) = {
	CMD("fdb.flush", "fdb flush", 0, 1, "[NETWORK]", "network", NULL,
	    "Forget learned MAC addresses."), .args = {
	ARG("network", STR),
} };

ROW(conntrack_ls) = {
	CMD("conntrack.ls", "conntrack ls", 0, 0, "", NULL, NULL,
	    "List tracked connections in conntrack -L form."), .args = {
	STR("--network", "N", "network", "only connections of this network"),
} };

ROW(conntrack_flush) = { CMD("conntrack.flush", "conntrack flush", 0, 0, "", NULL, NULL,
			     "Delete every tracked connection.") };

ROW(conntrack_stats) = { CMD("conntrack.stats", "conntrack stats", 0, 0, "", NULL, NULL,
			     "Show connection tracking counters.") };

ROW(dns_stats) = { CMD("dns.stats", NULL, 0, 0, "", NULL, NULL,
		       "Show the resolver's counters.") };

/* capture's reply is followed by the pcap stream (doc/capture.md).  The
 * container's interface goes as "container": "C:IF" from vsctl; ifname and
 * buffer are for other clients. */
ROW(capture) = {
	CMD("capture", "capture", 0, 0, "", NULL, NULL,
	    "Write frames seen at a network, a container port or the uplink to a pcap."),
	.opt_synopsis = "(--network N | --container C[:IF] | --uplink) "
			"[--stage rx|tx|all] [--filter EXPR] [-c COUNT] "
			"[--duration SEC] [--recorder] -w FILE|-",
	.args = {
	STR("--network", "N", "network", "every frame switched on network N"),
	STR("--container", "C[:IF]", "container",
	    "the port of container C (interface IF, default its first)"),
	ARG("ifname", STR),
	FLAG("--uplink", "uplink", true, "the uplink port"),
	ENUM("--stage", "rx|tx|all", "stage", "frames received, transmitted or both (default all)"),
	STR("--filter", "EXPR", "filter", "tcpdump filter expression"),
	INT("--count", "-c", "COUNT", "count", 1, 1LL << 40, "stop after COUNT frames"),
	REAL("--duration", "SEC", "duration", 0, 1 << 30,
	     "stop after SEC seconds (fractions allowed)"),
	FLAG("--recorder", "recorder", true, "dump the flight recorder's last frames at once"),
	ARG("buffer", INT),
	{ .key = "write", .type = CTL_T_STR, .required = true, .local = true,
	  .name = "--write", .alias = "-w", .kind = CTL_OPT_STR, .metavar = "FILE|-",
	  .help = "pcap file to write, - for standard output" },
} };

/* --to IP:PORT reaches the daemon as "to" and "port". */
ROW(trace) = {
	CMD("trace", "trace", 0, 0, "", NULL, NULL,
	    "Show, stage by stage, what the switch would do with a packet."), .args = {
	STRR("--from", "CONTAINER", "from",
	     "container the packet leaves, or uplink:IP for one from the outside"),
	STRR("--to", "IP[:PORT]", "to", "destination address and port"),
	ARG("port", INT),
	ENUM("--proto", "tcp|udp|icmp", "proto", "protocol (default icmp)"),
} };

/* The reply is followed by one event per line, for as long as the client
 * stays (doc/events.md). */
ROW(events) = { CMD("events", "events", 0, 0, "", NULL, NULL,
		    "Stream what happens (networks, endpoints, namespaces, ports, DNS upstreams).") };

ROW(stats) = { CMD("stats", "stats", 0, 0, "", NULL, NULL,
		   "Show per-port packet, byte and drop counters.") };

ROW(help) = {
	CMD(NULL, "help", 0, 3, "[COMMAND]", "words", NULL, "Show help for all commands or one."),
	.args = {
	{ .key = "words", .type = CTL_T_STRS, .local = true },
} };

#define CTL_SCHEMA_ADDR(id) &ctl_schema_##id,
const struct ctl_schema *const ctl_schema_rows[] = { CTL_SCHEMA_ROWS(CTL_SCHEMA_ADDR) };
const size_t ctl_schema_n_rows = sizeof(ctl_schema_rows) / sizeof(ctl_schema_rows[0]);

static const char *const ctl_type_names[] = {
	[CTL_T_STR] = "a string",
	[CTL_T_BOOL] = "true or false",
	[CTL_T_INT] = "an integer",
	[CTL_T_NUM] = "a number",
	[CTL_T_STRS] = "an array of strings",
	[CTL_T_MAP] = "an object of strings",
};

/* The words the daemon uses for a type in "commands" and in refusals. */
const char *ctl_arg_type_name(enum ctl_arg_type t)
{
	return ctl_type_names[t];
}

/**
 * ctl_schema_find() - The row of a request name
 * @cmd:	"network.create"
 *
 * A linear walk: it runs at registration and in the tests, never per
 * request (control.c keeps the registered rows in a hash).
 * Return: the row, or NULL if no command has that name.
 */
const struct ctl_schema *ctl_schema_find(const char *cmd)
{
	size_t i;

	for (i = 0; i < ctl_schema_n_rows; i++)
		if (ctl_schema_rows[i]->cmd && !strcmp(ctl_schema_rows[i]->cmd, cmd))
			return ctl_schema_rows[i];
	return NULL;
}

/* How many args[] the row fills. */
size_t ctl_schema_n_args(const struct ctl_schema *row)
{
	size_t n = 0;

	while (n < CTL_MAX_ARGS && row->args[n].key)
		n++;
	return n;
}

/**
 * ctl_schema_arg() - One argument of a row, by key
 * @row:	the command
 * @key:	args key
 *
 * Return: the argument, local ones included, or NULL.
 */
const struct ctl_arg *ctl_schema_arg(const struct ctl_schema *row, const char *key)
{
	size_t i, n = ctl_schema_n_args(row);

	for (i = 0; i < n; i++)
		if (!strcmp(row->args[i].key, key))
			return &row->args[i];
	return NULL;
}
