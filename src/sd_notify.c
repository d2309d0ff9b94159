/* sd_notify.c - tell systemd that vswitchd is ready (Type=notify).
 *
 * systemd's protocol is one datagram of "KEY=VALUE" lines to the unix
 * socket named by $NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace).  It is small enough to speak here rather than link
 * libsystemd for one call: without $NOTIFY_SOCKET (not under systemd)
 * this does nothing.  vswitchd sends READY=1 once its control socket
 * listens and every saved endpoint is back, just before its loop runs,
 * so `systemctl start vswitchd` returns when vsctl gets answers; and
 * STOPPING=1 when it begins to stop.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "sd_notify.h"

/**
 * sd_notify_send() - Send STATE ("READY=1") to systemd, if it listens
 * @state:	newline-separated KEY=VALUE assignments
 *
 * Return: 1 if sent, 0 if not under systemd, -1 on error (errno set).
 */
int sd_notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	ssize_t k;
	int fd, e;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	k = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	e = errno;
	close(fd);
	errno = e;
	return k < 0 ? -1 : 1;
}
