/* cni_ctl.c - the plugin's side of vswitchd's control socket.
 *
 * One connection per plugin run, one JSON line per request and per reply
 * (doc/control-protocol.md).  A socket that is missing or refuses is CNI's
 * "try again later" (11): vswitchd may be restarting, and the runtime may
 * retry.  A reply that does not come within CNI_CTL_TIMEOUT_MS is an I/O
 * error rather than a runtime hung on a stuck daemon; a daemon refusal is
 * passed on with vswitchd's own one-line reason.  The transport itself is
 * ctl_client.c, shared with the Docker plugin; this file says what its
 * failures mean in CNI's error codes.
 */
#include <errno.h>
#include <string.h>
#include "cni.h"
#include "ctl_client.h"

#define CNI_CTL_TIMEOUT_MS 30000

/**
 * cni_ctl_open() - Connect to vswitchd's control socket
 * @path:	socket path
 * @e:		the error: 11 when nobody listens there
 *
 * Return: the fd, or -1 with @e set.
 */
int cni_ctl_open(const char *path, struct cni_error *e)
{
	struct ctl_client_status st;
	int fd = ctl_client_open(path, &st);

	if (fd >= 0)
		return fd;
	switch (st.fail) {
	case CTL_CLIENT_PATH_LONG:
		return cni_error_set(e, CNI_ERR_CONFIG, "socket path too long: %s", path);
	case CTL_CLIENT_CONNECT:
		if (st.err == ENOENT || st.err == ECONNREFUSED || st.err == EAGAIN)
			return cni_error_set(e, CNI_ERR_TRY_LATER, "vswitchd is not reachable at %s: %s",
					     path, strerror(st.err));
		return cni_error_set(e, CNI_ERR_IO, "cannot connect to vswitchd at %s: %s",
				     path, strerror(st.err));
	default:
		return cni_error_set(e, CNI_ERR_IO, "socket: %s", strerror(st.err));
	}
}

/* The CNI error for a call that failed as ST says. */
static void cni_ctl_error(const char *cmd, const struct ctl_client_status *st,
			  struct cni_error *e)
{
	switch (st->fail) {
	case CTL_CLIENT_SEND:
		cni_error_set(e, CNI_ERR_TRY_LATER, "vswitchd closed the connection: %s",
			      st->err ? strerror(st->err) : "end of file");
		break;
	case CTL_CLIENT_CLOSED:
		cni_error_set(e, CNI_ERR_TRY_LATER, "vswitchd closed the connection");
		break;
	case CTL_CLIENT_TIMEOUT:
		cni_error_set(e, CNI_ERR_IO, "vswitchd did not answer within %d s",
			      CNI_CTL_TIMEOUT_MS / 1000);
		break;
	case CTL_CLIENT_TOO_LARGE:
		cni_error_set(e, CNI_ERR_IO, "vswitchd's reply is too large");
		break;
	case CTL_CLIENT_BAD_REPLY:
		cni_error_set(e, CNI_ERR_IO, "vswitchd's reply to %s is not JSON", cmd);
		break;
	case CTL_CLIENT_REFUSED:
		cni_error_set(e, CNI_ERR_REFUSED, "vswitchd: %s",
			      st->error ? st->error : "request refused");
		break;
	default:
		cni_error_set(e, CNI_ERR_IO, "out of memory");
		break;
	}
}

/**
 * cni_ctl_call() - One request, one reply
 * @fd:		connected socket
 * @cmd:	command name (network.connect, ...)
 * @args:	its arguments (taken: freed here)
 * @e:		the error; vswitchd's refusal is code 100 with its reason
 *
 * Return: the reply's "result" (the caller frees it), or NULL with @e set.
 */
struct json_object *cni_ctl_call(int fd, const char *cmd, struct json_object *args,
				 struct cni_error *e)
{
	struct ctl_client_status st;
	struct json_object *res;

	res = ctl_client_call(fd, cmd, args, ctl_client_now_ms() + CNI_CTL_TIMEOUT_MS, &st);
	if (!res)
		cni_ctl_error(cmd, &st, e);
	ctl_client_done(&st);
	return res;
}
