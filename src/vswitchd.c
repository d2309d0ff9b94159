/* vswitchd.c - the daemon: options, start-up order, the one libev loop.
 *
 * Start-up order matters and is written out in vswitchd_start(): the state
 * is locked and loaded first (a corrupt file stops us before anything
 * changes), then the modules come up, then every recorded endpoint is
 * re-adopted, then the conntrack snapshot is loaded (checked against what
 * was just restored), and only then does the loop run.  A graceful stop
 * writes the snapshot before anything is torn down.  With --detach the
 * parent waits on a pipe until the child says it is ready, so errors still
 * reach the terminal and the exit status tells whether the daemon runs.
 *
 * Rootless (--rootless, or started by anyone but root): before all that,
 * vswitchd joins the user namespace its keeper holds (rootless.c), still
 * in the host's network namespace; the DNS forwarder's upstream sockets
 * are made there, and only then does it move into the switch namespace,
 * where everything else (ports, the uplink, the proxy) lives.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ev.h>
#include "capture.h"
#include "cmd.h"
#include "control.h"
#include "ct.h"
#include "ct_snapshot.h"
#include "cluster.h"
#include "curl_dl.h"
#include "dns.h"
#include "dns_internal.h"
#include "dp.h"
#include "events.h"
#include "endpoint.h"
#include "fd_budget.h"
#include "fdb.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "nat.h"
#include "overlay.h"
#include "netns.h"
#include "poll_window.h"
#include "port_uring.h"
#include "state.h"
#include "proxy.h"
#include "publish.h"
#include "sd_notify.h"
#include "rootless.h"
#include "sandbox.h"
#include "uplink.h"
#include "overlay.h"
#include "vxlan.h"

#define MAX_UPSTREAMS 8

struct vswitchd_opts {
	char state_dir[4096], socket[108];
	/* the Nth --uplink goes with the Nth --uplink-ip and --uplink-gateway */
	const char *uplink[DP_MAX_UPLINKS], *uplink_ip[DP_MAX_UPLINKS], *uplink_gw[DP_MAX_UPLINKS];
	int n_uplink, n_uplink_ip, n_uplink_gw;
	/* ... and the Nth --uplink-ip6 with the Nth --uplink-gateway6 */
	const char *uplink_ip6[DP_MAX_UPLINKS], *uplink_gw6[DP_MAX_UPLINKS];
	int n_uplink_ip6, n_uplink_gw6;
	long nat_share;
	const char *pidfile, *log_file, *ctl_group, *userns, *pasta_ports;
	const char *metrics_listen;
	const char *upstreams[MAX_UPSTREAMS];
	int n_upstreams;
	bool detach, no_sandbox, rootless, no_io_uring, no_rx_ring, poll;
	long poll_window, poll_budget;
	char run_dir[4096], uplink_spec[32];
	struct rootless_uplink translator;   /* --uplink pasta|slirp4netns */
	long fdb_aging, fdb_max, ct_max, rec_depth, rec_memory, ctl_idle;
	struct cluster_opts cluster;  /* --cluster, --host-name, --vtep-ip, --vxlan-port */
};

static const char vswitchd_usage[] =
"usage: vswitchd [--state-dir DIR] [--socket PATH] [--ctl-group GROUP]\n"
"                [--rootless] [--userns PATH]\n"
"                [--uplink afpacket:IFACE|tap:NAME --uplink-ip CIDR --uplink-gateway IP\n"
"                 [--uplink-ip6 CIDR --uplink-gateway6 IP]]...\n"
"                [--uplink pasta|slirp4netns [--uplink-ip CIDR --uplink-gateway IP]\n"
"                 [--pasta-ports FIRST-LAST]]\n"
"                [--nat-port-share N] [--dns-upstream IP[:PORT]]...\n"
"                [--detach] [--pidfile FILE] [--log-file FILE] [--log-level LEVEL]\n"
"                [--fdb-aging SEC] [--fdb-max-learned N] [--ct-max N] [--recorder-depth N]\n"
"                [--recorder-memory MIB]\n"
"                [--metrics-listen [ADDR:]PORT]\n"
"                [--ctl-idle-timeout SEC] [--no-sandbox] [--no-io-uring] [--no-rx-ring]\n"
"                [--poll-window USEC] [--poll-budget PERCENT] [--poll]\n"
"                [--cluster etcd://IP:PORT[,IP:PORT...] --host-name NAME --vtep-ip IP\n"
"                 [--vxlan-port PORT]]\n"
"                [--version] [--help]\n";

static void vswitchd_default_paths(struct vswitchd_opts *o)
{
	const char *xdg_run = getenv("XDG_RUNTIME_DIR"), *xdg_state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME"), *env = getenv("VSWITCH_SOCKET");

	if (env)
		snprintf(o->socket, sizeof(o->socket), "%s", env);
	else if (geteuid() == 0)
		snprintf(o->socket, sizeof(o->socket), "/run/vswitch/vswitchd.sock");
	else if (!xdg_run)   /* where vsctl looks too (vsctl_default_socket) */
		snprintf(o->socket, sizeof(o->socket), "/run/user/%u/vswitch/vswitchd.sock",
			 (unsigned)geteuid());
	else
		snprintf(o->socket, sizeof(o->socket), "%s/vswitch/vswitchd.sock", xdg_run);
	if (geteuid() == 0)
		snprintf(o->state_dir, sizeof(o->state_dir), "/var/lib/vswitch");
	else if (xdg_state)
		snprintf(o->state_dir, sizeof(o->state_dir), "%s/vswitch", xdg_state);
	else
		snprintf(o->state_dir, sizeof(o->state_dir), "%s/.local/state/vswitch", home ? home : ".");
}

static long vswitchd_num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		die("%s: \"%s\" is not a number from %ld to %ld", opt, s, lo, hi);
	return v;
}

enum { OPT_STATE = 256, OPT_SOCKET, OPT_UPLINK, OPT_UPLINK_IP, OPT_UPLINK_GW, OPT_DNS,
       OPT_DETACH, OPT_PIDFILE, OPT_LOGFILE, OPT_LOGLEVEL, OPT_FDB_AGING, OPT_FDB_MAX,
       OPT_CT_MAX, OPT_REC_DEPTH, OPT_REC_MEMORY, OPT_CTL_GROUP, OPT_VERSION, OPT_HELP, OPT_NAT_SHARE,
       OPT_CTL_IDLE, OPT_NO_SANDBOX, OPT_ROOTLESS, OPT_USERNS, OPT_METRICS,
       OPT_NO_IO_URING, OPT_NO_RX_RING, OPT_POLL_WINDOW, OPT_POLL_BUDGET, OPT_POLL, OPT_UPLINK_IP6, OPT_UPLINK_GW6,
       OPT_PASTA_PORTS, OPT_CLUSTER, OPT_HOST_NAME, OPT_VTEP_IP, OPT_VXLAN_PORT };

static const struct option vswitchd_options[] = {
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "ctl-group", required_argument, NULL, OPT_CTL_GROUP },
	{ "ctl-idle-timeout", required_argument, NULL, OPT_CTL_IDLE },
	{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
	{ "rootless", no_argument, NULL, OPT_ROOTLESS },
	{ "userns", required_argument, NULL, OPT_USERNS },
	{ "pasta-ports", required_argument, NULL, OPT_PASTA_PORTS },
	{ "uplink", required_argument, NULL, OPT_UPLINK },
	{ "uplink-ip", required_argument, NULL, OPT_UPLINK_IP },
	{ "uplink-gateway", required_argument, NULL, OPT_UPLINK_GW },
	{ "uplink-ip6", required_argument, NULL, OPT_UPLINK_IP6 },
	{ "uplink-gateway6", required_argument, NULL, OPT_UPLINK_GW6 },
	{ "dns-upstream", required_argument, NULL, OPT_DNS },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "log-file", required_argument, NULL, OPT_LOGFILE },
	{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
	{ "fdb-aging", required_argument, NULL, OPT_FDB_AGING },
	{ "fdb-max-learned", required_argument, NULL, OPT_FDB_MAX },
	{ "ct-max", required_argument, NULL, OPT_CT_MAX },
	{ "nat-port-share", required_argument, NULL, OPT_NAT_SHARE },
	{ "recorder-depth", required_argument, NULL, OPT_REC_DEPTH },
	{ "recorder-memory", required_argument, NULL, OPT_REC_MEMORY },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS },
	{ "no-io-uring", no_argument, NULL, OPT_NO_IO_URING },
	{ "no-rx-ring", no_argument, NULL, OPT_NO_RX_RING },
	{ "poll-window", required_argument, NULL, OPT_POLL_WINDOW },
	{ "poll-budget", required_argument, NULL, OPT_POLL_BUDGET },
	{ "poll", no_argument, NULL, OPT_POLL },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "host-name", required_argument, NULL, OPT_HOST_NAME },
	{ "vtep-ip", required_argument, NULL, OPT_VTEP_IP },
	{ "vxlan-port", required_argument, NULL, OPT_VXLAN_PORT },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

/* One more of a repeatable uplink option; the Nth of each go together. */
static void vswitchd_uplink_opt(const char **v, int *n, const char *opt, const char *arg)
{
	if (*n == DP_MAX_UPLINKS)
		die("%s: at most %d uplinks", opt, DP_MAX_UPLINKS);
	v[(*n)++] = arg;
}

static void vswitchd_opt(struct vswitchd_opts *o, int c, const char *arg)
{
	enum log_level lvl;

	switch (c) {
	case OPT_STATE: snprintf(o->state_dir, sizeof(o->state_dir), "%s", arg); break;
	case OPT_SOCKET:
		if (strlen(arg) >= sizeof(o->socket))
			die("--socket: path too long (at most %zu bytes)", sizeof(o->socket) - 1);
		snprintf(o->socket, sizeof(o->socket), "%s", arg);
		break;
	case OPT_CTL_GROUP:
		if (!control_group_name_ok(arg))
			die("--ctl-group: \"%s\" is not a group name (a letter or _, then "
			    "letters, digits, _ - ., at most 32)", arg);
		o->ctl_group = arg;
		break;
	case OPT_ROOTLESS: o->rootless = true; break;
	case OPT_USERNS: o->userns = arg; o->rootless = true; break;
	case OPT_PASTA_PORTS: o->pasta_ports = arg; break;
	case OPT_UPLINK: vswitchd_uplink_opt(o->uplink, &o->n_uplink, "--uplink", arg); break;
	case OPT_UPLINK_IP: vswitchd_uplink_opt(o->uplink_ip, &o->n_uplink_ip, "--uplink-ip", arg); break;
	case OPT_UPLINK_GW: vswitchd_uplink_opt(o->uplink_gw, &o->n_uplink_gw, "--uplink-gateway", arg); break;
	case OPT_UPLINK_IP6:
		vswitchd_uplink_opt(o->uplink_ip6, &o->n_uplink_ip6, "--uplink-ip6", arg);
		break;
	case OPT_UPLINK_GW6:
		vswitchd_uplink_opt(o->uplink_gw6, &o->n_uplink_gw6, "--uplink-gateway6", arg);
		break;
	case OPT_NAT_SHARE: o->nat_share = vswitchd_num("--nat-port-share", arg, 1, 65536); break;
	case OPT_DNS:
		if (o->n_upstreams == MAX_UPSTREAMS)
			die("--dns-upstream: at most %d upstreams", MAX_UPSTREAMS);
		o->upstreams[o->n_upstreams++] = arg;
		break;
	case OPT_DETACH: o->detach = true; break;
	case OPT_NO_IO_URING: o->no_io_uring = true; break;
	case OPT_NO_RX_RING: o->no_rx_ring = true; break;
	case OPT_POLL_WINDOW: o->poll_window = vswitchd_num("--poll-window", arg, 0, 1000); break;
	case OPT_POLL_BUDGET: o->poll_budget = vswitchd_num("--poll-budget", arg, 1, 100); break;
	case OPT_POLL: o->poll = true; break;
	case OPT_CLUSTER: o->cluster.url = arg; break;
	case OPT_HOST_NAME: o->cluster.host = arg; break;
	case OPT_VTEP_IP: o->cluster.vtep_ip = arg; break;
	case OPT_VXLAN_PORT:
		o->cluster.vxlan_port = (uint16_t)vswitchd_num("--vxlan-port", arg, 1, 65535);
		break;
	case OPT_PIDFILE: o->pidfile = arg; break;
	case OPT_LOGFILE: o->log_file = arg; break;
	case OPT_LOGLEVEL:
		if (log_parse_level(arg, &lvl))
			die("--log-level: \"%s\" is not one of err, warn, info, debug", arg);
		log_set_level(lvl);
		break;
	case OPT_FDB_AGING: o->fdb_aging = vswitchd_num("--fdb-aging", arg, 1, 1000000); break;
	case OPT_FDB_MAX: o->fdb_max = vswitchd_num("--fdb-max-learned", arg, 1, 1 << 20); break;
	case OPT_CT_MAX: o->ct_max = vswitchd_num("--ct-max", arg, 16, 1 << 24); break;
	case OPT_REC_DEPTH: o->rec_depth = vswitchd_num("--recorder-depth", arg, 0, 65536); break;
	case OPT_REC_MEMORY: o->rec_memory = vswitchd_num("--recorder-memory", arg, 1, 65536); break;
	case OPT_METRICS: {
		char err[160];

		if (metrics_http_check(arg, err, sizeof(err)))
			die("%s", err);
		o->metrics_listen = arg;
		break;
	}
	case OPT_CTL_IDLE: o->ctl_idle = vswitchd_num("--ctl-idle-timeout", arg, 1, 86400); break;
	case OPT_NO_SANDBOX: o->no_sandbox = true; break;
	case OPT_VERSION: printf("vswitchd %s\n", PACKAGE_VERSION); exit(0);
	case OPT_HELP: fputs(vswitchd_usage, stdout); exit(0);
	default: fputs(vswitchd_usage, stderr); exit(2);
	}
}

/* vswitchd_translator() - --uplink pasta|slirp4netns: rootless only; the
 * switch's address is the translator's guest address (default: slirp's
 * 10.0.2.100/24 via 10.0.2.2, so the host's own address stays reachable
 * from containers), and the uplink is the "pasta" port type. */
static void vswitchd_pasta_ports(struct rootless_uplink *u, const char *arg)
{
	unsigned int lo, hi;
	int end = 0;

	if (sscanf(arg, "%u-%u%n", &lo, &hi, &end) != 2 || arg[end] || !lo || lo > hi ||
	    hi > 65535)
		die("--pasta-ports %s: want FIRST-LAST, host ports from 1 to 65535", arg);
	u->ports_lo = (uint16_t)lo;
	u->ports_hi = (uint16_t)hi;
}

static void vswitchd_translator(struct vswitchd_opts *o)
{
	struct rootless_uplink *u = &o->translator;
	const char *slash;
	char err[256];

	if (geteuid() == 0 && !o->rootless)
		die("--uplink %s is for a rootless vswitchd (add --rootless, or as root use "
		    "afpacket:IFACE or tap:NAME)", o->uplink[0]);
	if (o->n_uplink > 1)
		die("--uplink %s is the only uplink of a rootless vswitchd", o->uplink[0]);
	o->rootless = true;
	u->kind = rootless_uplink_kind(o->uplink[0], err, sizeof(err));
	if (!u->kind)
		die("%s", err);
	if (!o->n_uplink_ip)
		o->uplink_ip[o->n_uplink_ip++] = "10.0.2.100/24";
	if (!o->n_uplink_gw)
		o->uplink_gw[o->n_uplink_gw++] = "10.0.2.2";
	slash = strchr(o->uplink_ip[0], '/');
	if (!slash || (size_t)(slash - o->uplink_ip[0]) >= sizeof(u->ip) ||
	    strlen(o->uplink_gw[0]) >= sizeof(u->gw))
		die("--uplink-ip %s: want a.b.c.d/len", o->uplink_ip[0]);
	snprintf(u->ip, sizeof(u->ip), "%.*s", (int)(slash - o->uplink_ip[0]), o->uplink_ip[0]);
	u->prefix = (unsigned int)vswitchd_num("--uplink-ip", slash + 1, 8, 30);
	snprintf(u->gw, sizeof(u->gw), "%s", o->uplink_gw[0]);
	snprintf(u->ifname, sizeof(u->ifname), "vsup0");
	u->detached = o->detach;
	snprintf(u->pidfile, sizeof(u->pidfile), "%s/uplink.ready", o->run_dir);
	if (o->pasta_ports)
		vswitchd_pasta_ports(u, o->pasta_ports);
	snprintf(o->uplink_spec, sizeof(o->uplink_spec), "pasta:%s", u->ifname);
}

static void vswitchd_parse(struct vswitchd_opts *o, int argc, char **argv)
{
	int c;

	vswitchd_default_paths(o);
	o->ctl_group = "vswitch";
	o->poll_window = POLL_WINDOW_US_DEFAULT;
	o->poll_budget = POLL_BUDGET_PCT_DEFAULT;
	o->rec_depth = -1;	/* 0 is a value: no recorders */
	while ((c = getopt_long(argc, argv, "", vswitchd_options, NULL)) != -1)
		vswitchd_opt(o, c, optarg);
	if (optind != argc) {
		fprintf(stderr, "vswitchd: unexpected argument \"%s\"\n%s", argv[optind], vswitchd_usage);
		exit(2);
	}
	if (!o->rootless && geteuid() != 0) {
		o->rootless = true;
		fprintf(stderr, "vswitchd: not started as root: running rootless "
			"(in a user namespace of uid %u; see vswitchd(8))\n", (unsigned)geteuid());
	}
	if (rootless_run_dir(o->run_dir, sizeof(o->run_dir)) < 0)
		die("$XDG_RUNTIME_DIR is too long");
	if (o->n_uplink && (!strcmp(o->uplink[0], "pasta") || !strcmp(o->uplink[0], "slirp4netns")))
		vswitchd_translator(o);
	if (o->pasta_ports && (!o->translator.kind || strcmp(o->uplink[0], "pasta")))
		die("--pasta-ports goes with --uplink pasta");
	if (o->n_uplink != o->n_uplink_ip)
		die("--uplink and --uplink-ip go together (one --uplink-ip for each --uplink)");
	if (o->n_uplink_gw && !o->n_uplink)
		die("--uplink-gateway needs --uplink");
	if (o->n_uplink > 1 && o->n_uplink_gw != o->n_uplink)
		die("with several uplinks, one --uplink-gateway for each --uplink");
	if (o->cluster.host && !o->cluster.url)
		die("--host-name needs --cluster");
	if (!o->cluster.vxlan_port)
		o->cluster.vxlan_port = VXLAN_PORT_DEFAULT;
	if (o->n_uplink_ip6 > o->n_uplink)
		die("--uplink-ip6 needs an --uplink (the Nth --uplink-ip6 is the Nth uplink's)");
	if (o->n_uplink_gw6 != o->n_uplink_ip6)
		die("--uplink-ip6 and --uplink-gateway6 go together (one of each per uplink)");
	if (o->n_uplink_ip6 && o->uplink_spec[0])
		die("--uplink-ip6 is for afpacket: and tap: uplinks, not --uplink %s", o->uplink[0]);
}

static int vswitchd_ready_fd = -1;
static const char *vswitchd_pidfile;

/* Fork; the parent waits until the child reports ready (or dies). */
static void vswitchd_detach(void)
{
	int p[2];
	char buf[4];
	pid_t pid;

	if (pipe(p))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], buf, 2) == 2 && !memcmp(buf, "ok", 2) ? 0 : 1);
	}
	close(p[0]);
	setsid();
	vswitchd_ready_fd = p[1];
}

static void vswitchd_ready(void)
{
	int fd;

	/* Under systemd (Type=notify): the control socket listens and every
	 * endpoint is back, so the unit is started only now. */
	if (sd_notify_send("READY=1") < 0)
		log_warn("cannot tell systemd we are ready: %s", strerror(errno));
	if (vswitchd_ready_fd < 0)
		return;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (write(vswitchd_ready_fd, "ok", 2) != 2)
		log_warn("cannot tell the parent we are ready");
	close(vswitchd_ready_fd);
	vswitchd_ready_fd = -1;
}

static void vswitchd_write_pidfile(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		die("cannot write pidfile %s: %s", path, strerror(errno));
	fprintf(fp, "%d\n", (int)getpid());
	fclose(fp);
	vswitchd_pidfile = path;
}

static void vswitchd_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	if (w->signum == SIGHUP) {
		if (log_reopen())
			log_err("cannot reopen the log file: %s", strerror(errno));
		else
			log_info("log file reopened");
		return;
	}
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

/* vswitchd_tunnel() - The VXLAN port of overlay networks, at --vtep-ip
 * (an address of this host on the underlay) and --vxlan-port. */
static void vswitchd_tunnel(struct dp *dp, const struct vswitchd_opts *o)
{
	const char *vtep = o->cluster.vtep_ip;
	uint16_t port = o->cluster.vxlan_port;	/* defaulted to 4789 */
	union vs_addr a;
	char err[256];

	overlay_ctl_set_port(port);
	overlay_set_max_learned(dp->fdb.max_learned);
	if (!vtep)
		return;
	if (vs_addr_parse_af(vtep, AF_INET, &a) || vs_addr_is_any(&a))
		die("--vtep-ip: \"%s\" is not an IPv4 address of this host", vtep);
	if (!port_vxlan_open(dp, vs_addr_get_v4(&a), port, err, sizeof(err)))
		die("--vtep-ip %s: %s", vtep, err);
	log_info("vxlan: tunnel at %s:%u, inner MTU %u", vtep, port, port_vxlan_mtu(dp));
}

static void vswitchd_modules(struct dp *dp, const struct vswitchd_opts *o)
{
	struct ev_loop *loop = dp->loop;
	char err[512];
	int i;

	if (o->fdb_aging)
		fdb_set_aging(&dp->fdb, (unsigned int)o->fdb_aging);
	if (o->fdb_max)
		fdb_set_max_learned(&dp->fdb, (unsigned int)o->fdb_max);
	if (o->rec_depth >= 0)
		recorder_set_depth((unsigned int)o->rec_depth);
	if (o->rec_memory)
		recorder_set_total((size_t)o->rec_memory << 20);
	/* Before the switch namespace (rootless): its upstream sockets stay
	 * in the host's namespace, where the resolvers are. */
	dp->dns = dns_new(loop, dp->model, o->upstreams, o->n_upstreams, err, sizeof(err));
	if (!dp->dns)
		die("%s", err);
	if (rootless_active() && rootless_enter_net(err, sizeof(err)))
		die("%s", err);
	if (netns_init(err, sizeof(err)))
		die("%s", err);
	dp->nw = netns_watch_new(loop, dp->model, cmd_container_netns_gone, dp);
	if (!dp->nw)
		die("cannot watch container namespaces");
	for (i = 0; i < o->n_uplink; i++)
		if (dp_uplink_add(dp, i == 0 && o->uplink_spec[0] ? o->uplink_spec : o->uplink[i],
				  o->uplink_ip[i], i < o->n_uplink_gw ? o->uplink_gw[i] : NULL,
				  err, sizeof(err)) ||
		    (i < o->n_uplink_ip6 && uplink_set_ip6(dp->uplinks[i], o->uplink_ip6[i],
							    o->uplink_gw6[i], err, sizeof(err))))
			die("uplink: %s", err);
	if (o->metrics_listen && metrics_http_start(dp, o->metrics_listen, err, sizeof(err)))
		die("%s", err);
	vswitchd_tunnel(dp, o);
}

/* vswitchd_rootless() - Join the keeper's user namespace; names of
 * `vsctl netns add` resolve under RUN_DIR/netns; only our user connects. */
static char rootless_etc_dir[4200];

static void vswitchd_rootless(const struct vswitchd_opts *o)
{
	char err[1024], dir[4200];

	if (rootless_prepare(o->run_dir, o->userns, o->translator.kind ? &o->translator : NULL,
			     err, sizeof(err)))
		die("%s", err);
	if (o->translator.kind) {
		proxy_set_listen_fn(rootless_uplink_listen);
		dns_forward_set_socket_fn(rootless_uplink_socket);
	}
	snprintf(dir, sizeof(dir), "%s/netns", o->run_dir);
	if (netns_set_name_dir(dir))
		die("%s: path too long", dir);
	/* /etc/netns is root's: a name's resolv.conf goes under RUN_DIR, and
	 * `vsctl netns exec` binds it as `ip netns exec` binds /etc/netns. */
	snprintf(rootless_etc_dir, sizeof(rootless_etc_dir), "%s/etc-netns", o->run_dir);
	if (mkdir(rootless_etc_dir, 0700) < 0 && errno != EEXIST)
		die("cannot create %s: %s", rootless_etc_dir, strerror(errno));
	dns_resolvconf_root = rootless_etc_dir;
	control_auth_same_user();
}

static void vswitchd_start(struct dp *dp, struct ev_loop *loop, const struct vswitchd_opts *o)
{
	struct network *n, *tmp;
	char err[1024];

	if (o->rootless)
		vswitchd_rootless(o);
	port_uring_init(!o->no_io_uring);	/* before any port sends */
	port_afpacket_use_ring(!o->no_rx_ring);	/* before any port opens */
	poll_window_init(loop, o->poll ? POLL_BUSY : POLL_ADAPTIVE, (unsigned int)o->poll_window,
			 (unsigned int)o->poll_budget);
	if (state_init(o->state_dir, err, sizeof(err)))
		die("%s", err);
	if (o->ctl_idle)
		control_set_idle_timeout((double)o->ctl_idle);
	if (control_init(loop, o->socket, o->ctl_group))
		die("cannot listen on %s (see the log)", o->socket);
	/* The datapath before the commands: conntrack and NAT exist with or
	 * without an uplink (--ct-max sizes the table once). */
	if (dp_init(dp, loop, &g_model, (uint32_t)o->ct_max, err, sizeof(err)))
		die("%s", err);
	nat_set_port_share(dp->nat, (uint32_t)o->nat_share);
	cmd_init_all(dp);
	vswitchd_modules(dp, o);
	HASH_ITER(hh, g_model.networks, n, tmp)
		cmd_network_start(dp, n);
	if (cmd_network_ensure_default(err, sizeof(err)))
		die("%s", err);
	cmd_container_restore();
	if (publish_restore_all() < 0)
		log_warn("some published ports could not be restored (see above)");
	overlay_ctl_set_port(o->cluster.vxlan_port);
	/* After the restore: the host's endpoints are in the model, so the
	 * first lease publishes them.  etcd being down is no error here. */
	if (o->cluster.url && cluster_start(dp, &o->cluster, err, sizeof(err)))
		die("%s", err);
	/* Connections last: they are checked against the endpoints and ports
	 * just restored, and the loop (so traffic) has not started yet. */
	if (o->n_uplink && dp_snapshot_start(dp, state_dir()))
		log_warn("conntrack snapshot: out of memory, connections will not survive a restart");
}

static void vswitchd_stop(struct dp *dp)
{
	state_compact();        /* while the model is still the state */
	dp_snapshot_stop(dp);   /* first: while every entry is still there */
	cluster_stop();         /* deferred commands get their error while control lives */
	metrics_http_stop();
	events_fini();
	cmd_container_shutdown();
	publish_shutdown();
	dp_fini(dp);
	port_uring_fini();
	capture_fini();
	control_fini();
	state_fini();
	rootless_uplink_stop();
	if (vswitchd_pidfile)
		unlink(vswitchd_pidfile);
}

int main(int argc, char **argv)
{
	static struct vswitchd_opts o;
	static struct dp dp;
	static ev_signal sig_term, sig_int, sig_hup;
	struct ev_loop *loop;
	char err[1024];

	vswitchd_parse(&o, argc, argv);
	if (o.log_file && log_open_file(o.log_file))
		die("cannot open log file %s: %s", o.log_file, strerror(errno));
	/* libcurl is --cluster's alone (curl_dl.c): loaded now, so that a host
	 * without it is told before anything starts (and on the terminal, not
	 * after --detach), and long before the sandbox forbids the load. */
	if (o.cluster.url && curl_dl_open(err, sizeof(err)))
		die("%s", err);
	signal(SIGPIPE, SIG_IGN);
	fd_budget_init();	/* before anything opens many fds (finding 2) */
	umask(0007);	/* no file of ours is for others; the socket is made 0660 */
	if (o.detach)
		vswitchd_detach();
	loop = ev_default_loop(EVFLAG_AUTO);
	vswitchd_start(&dp, loop, &o);
	if (o.pidfile)
		vswitchd_write_pidfile(o.pidfile);
	ev_signal_init(&sig_term, vswitchd_signal_cb, SIGTERM);
	ev_signal_init(&sig_int, vswitchd_signal_cb, SIGINT);
	ev_signal_init(&sig_hup, vswitchd_signal_cb, SIGHUP);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_int);
	ev_signal_start(loop, &sig_hup);
	/* Start-up is over: from here on only what the loop uses (sandbox.c) */
	if (!o.no_sandbox)
		sandbox_enter();
	log_info("vswitchd %s ready: socket %s, state %s", PACKAGE_VERSION, o.socket, o.state_dir);
	vswitchd_ready();
	ev_run(loop, 0);
	sd_notify_send("STOPPING=1");
	vswitchd_stop(&dp);
	log_info("vswitchd stopped");
	return 0;
}
