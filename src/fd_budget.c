/* fd_budget.c - shares of vswitchd's file descriptors.
 *
 * DOC: Theory of Operation
 *
 * Every open file of the daemon counts against one RLIMIT_NOFILE.  Most
 * consumers are bounded by whoever configures the switch (ports, captures,
 * control connections), but two grow with what others do: the proxy (an
 * fd per UDP client, two per TCP connection, for anyone who can reach a
 * published port) and DNS over TCP to the upstreams (one socket per query
 * a container makes).  Left alone they take every fd, and then root's
 * vsctl, state saves and namespace work fail (audit finding 2).
 *
 * So at start the soft limit goes up to the hard one (nothing is gained by
 * a lower soft limit: it is the hard one that protects the host), and each
 * of those two consumers gets a fixed share: the proxy half of the limit,
 * DNS an eighth.  The rest, at least three eighths, is a reserve no
 * outside party can spend.  A share counts fds the consumer holds, taken
 * before it opens them and given back when it closes them; a refusal is
 * counted, never logged per event.  Counting costs nothing per packet:
 * fds are taken only when a flow or connection starts.
 *
 * Limits: the shares are fractions of the limit at start; a limit changed
 * later (prlimit) is not followed.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include "fd_budget.h"
#include "log.h"

/* Shares of the limit, in eighths: proxy 4, DNS 1, the reserve the rest. */
static const unsigned int fd_share_eighths[FD_CLASSES] = { 4, 1 };
static const char *const fd_class_names[FD_CLASSES] = { "proxy", "dns" };

static struct {
	unsigned long limit;
	unsigned int share[FD_CLASSES], used[FD_CLASSES];
	uint64_t refused[FD_CLASSES];
} fdb_g = { .limit = 1024, .share = { 512, 128 } };

/**
 * fd_budget_init() - Raise the soft fd limit and size the shares
 *
 * A failure to raise is logged and the shares follow the soft limit as
 * it is: the reserve is still kept.
 */
void fd_budget_init(void)
{
	struct rlimit rl;
	int c;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rlim_t was = rl.rlim_cur;

			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
				log_warn("cannot raise the open-file limit from %lu: %s",
					 (unsigned long)was, strerror(errno));
				rl.rlim_cur = was;
			}
		}
		/* shares are counted in unsigned int: far beyond any real limit */
		fdb_g.limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1UL << 30)
			      ? (1UL << 30) : (unsigned long)rl.rlim_cur;
	}
	for (c = 0; c < FD_CLASSES; c++)
		fdb_g.share[c] = (unsigned int)(fdb_g.limit / 8 * fd_share_eighths[c]);
	log_info("open-file limit %lu: proxy may hold %u, DNS over TCP %u, the rest is reserved",
		 fdb_g.limit, fdb_g.share[FD_PROXY], fdb_g.share[FD_DNS]);
}

bool fd_budget_take(enum fd_class c, unsigned int n)
{
	if (fdb_g.used[c] + n > fdb_g.share[c]) {
		fdb_g.refused[c]++;
		return false;
	}
	fdb_g.used[c] += n;
	return true;
}

void fd_budget_put(enum fd_class c, unsigned int n)
{
	fdb_g.used[c] = fdb_g.used[c] >= n ? fdb_g.used[c] - n : 0;
}

unsigned int fd_budget_share(enum fd_class c)
{
	return fdb_g.share[c];
}

void fd_budget_get(enum fd_class c, unsigned int *share, unsigned int *used,
		   uint64_t *refused)
{
	*share = fdb_g.share[c];
	*used = fdb_g.used[c];
	*refused = fdb_g.refused[c];
}

unsigned long fd_budget_limit(void)
{
	return fdb_g.limit;
}

const char *fd_budget_name(enum fd_class c)
{
	return fd_class_names[c];
}
