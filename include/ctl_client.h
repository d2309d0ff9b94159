/* ctl_client.h - one request and its reply over vswitchd's control socket.
 *
 * The transport the runtime plugins share (the CNI plugin, the Docker
 * plugin): connect, send one JSON line, read one JSON line back within a
 * deadline, and split the reply into its result or vswitchd's refusal.
 * What a failure means to the caller (CNI's error codes, Docker's "Err")
 * is the caller's to say, so a failure is returned as a kind, with errno
 * kept, rather than as text.
 */
#ifndef VS_CTL_CLIENT_H
#define VS_CTL_CLIENT_H

#include <json-c/json.h>

/* Why a call did not give a result. */
enum ctl_client_fail {
	CTL_CLIENT_OK,
	CTL_CLIENT_PATH_LONG,    /* socket path does not fit sockaddr_un */
	CTL_CLIENT_SOCKET,       /* socket(2) failed (errno) */
	CTL_CLIENT_CONNECT,      /* connect(2) failed (errno) */
	CTL_CLIENT_NOMEM,
	CTL_CLIENT_SEND,         /* the request could not be sent (errno, 0: EOF) */
	CTL_CLIENT_TIMEOUT,      /* no whole reply before the deadline */
	CTL_CLIENT_CLOSED,       /* vswitchd closed before a whole reply */
	CTL_CLIENT_TOO_LARGE,    /* the reply passed CTL_CLIENT_REPLY_MAX */
	CTL_CLIENT_BAD_REPLY,    /* the reply is not a JSON object with "ok" */
	CTL_CLIENT_REFUSED,      /* vswitchd said no: error holds its reason */
};

#define CTL_CLIENT_REPLY_MAX (16u << 20)

struct ctl_client_status {
	enum ctl_client_fail fail;
	int err;                 /* errno of a failed system call, else 0 */
	const char *error;       /* CTL_CLIENT_REFUSED: vswitchd's reason */
	struct json_object *reply;  /* owns error's storage; ctl_client_done() */
};

/* ctl_client.c */
long long ctl_client_now_ms(void);
int ctl_client_open(const char *path, struct ctl_client_status *st);
struct json_object *ctl_client_call(int fd, const char *cmd, struct json_object *args,
				    long long deadline_ms, struct ctl_client_status *st);
void ctl_client_done(struct ctl_client_status *st);

#endif
