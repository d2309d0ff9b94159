/* docker_plugin_ctl.c - the plugin's client of vswitchd's control socket.
 *
 * One connection per request, as vsctl does: the plugin keeps nothing
 * between requests (not even a socket), so a vswitchd restart between two
 * Docker calls is invisible to it.  Every wait is bounded by poll(2) with
 * the --timeout deadline, because dockerd waits on us in turn and a stuck
 * vswitchd must become a clear {"Err"} rather than a hung `docker run`.
 * The transport (deadlines, the 16 MiB reply cap) is ctl_client.c, shared
 * with the CNI plugin; this file turns its failures into Docker's "Err".
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "docker_plugin.h"

static const char *dkp_ctl_path = "/run/vswitch/vswitchd.sock";
static int dkp_ctl_timeout = 30;

void dkp_ctl_init(const char *socket_path, int timeout_sec)
{
	if (socket_path)
		dkp_ctl_path = socket_path;
	if (timeout_sec > 0)
		dkp_ctl_timeout = timeout_sec;
}

/* ERR for a call to CMD that failed as ST says. */
static void dkp_ctl_error(const char *cmd, const struct ctl_client_status *st,
			  char *err, size_t errlen)
{
	switch (st->fail) {
	case CTL_CLIENT_BAD_REPLY:
		snprintf(err, errlen, "vswitchd sent a reply that is not JSON");
		break;
	case CTL_CLIENT_REFUSED:
		snprintf(err, errlen, "%s", st->error ? st->error : "vswitchd refused the request");
		break;
	default:
		snprintf(err, errlen, "no reply from vswitchd to %s: %s", cmd,
			 st->fail == CTL_CLIENT_TIMEOUT ? "timed out" : "connection lost");
		break;
	}
}

/**
 * dkp_ctl_call() - One request to vswitchd and its reply
 * @cmd:	control command ("network.create")
 * @args:	its arguments; consumed; NULL for none
 * @result:	the reply's result, a new reference the caller puts (or NULL)
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -1.
 */
int dkp_ctl_call(const char *cmd, struct json_object *args, struct json_object **result,
		 char *err, size_t errlen)
{
	long long deadline = ctl_client_now_ms() + dkp_ctl_timeout * 1000LL;
	struct ctl_client_status st;
	int fd;

	fd = ctl_client_open(dkp_ctl_path, &st);
	if (fd < 0) {
		if (st.fail == CTL_CLIENT_PATH_LONG)
			snprintf(err, errlen, "vswitchd socket path too long: %s", dkp_ctl_path);
		else
			snprintf(err, errlen, "cannot reach vswitchd at %s: %s", dkp_ctl_path,
				 strerror(st.err));
		json_object_put(args);
		*result = NULL;
		return -1;
	}
	*result = ctl_client_call(fd, cmd, args, deadline, &st);
	if (!*result)
		dkp_ctl_error(cmd, &st, err, errlen);
	ctl_client_done(&st);
	close(fd);
	return *result ? 0 : -1;
}
