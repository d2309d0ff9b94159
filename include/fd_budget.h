/* fd_budget.h - shares of vswitchd's file descriptors (fd_budget.c).
 *
 * The consumers that people outside the control group can grow (the
 * proxy, reached by anyone who reaches a published port; DNS over TCP to
 * the upstreams, driven by containers) each draw from a share of
 * RLIMIT_NOFILE.  What no share may touch is the reserve: the control
 * socket's connections, state saves, namespace work, captures and ports.
 */
#ifndef VS_FD_BUDGET_H
#define VS_FD_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

enum fd_class { FD_PROXY, FD_DNS, FD_CLASSES };

/* Raise the soft RLIMIT_NOFILE to the hard one and size the shares;
 * called once at start-up, before anything opens many fds. */
void fd_budget_init(void);
/* Take N fds of class C's share: false (and counted) if it would go over. */
bool fd_budget_take(enum fd_class c, unsigned int n);
/* Give back N fds taken with fd_budget_take(). */
void fd_budget_put(enum fd_class c, unsigned int n);
/* Class C's share in fds (for per-source caps derived from it). */
unsigned int fd_budget_share(enum fd_class c);
/* Class C's share, fds held now, and refusals so far (vsctl stats). */
void fd_budget_get(enum fd_class c, unsigned int *share, unsigned int *used,
		   uint64_t *refused);
unsigned long fd_budget_limit(void);
const char *fd_budget_name(enum fd_class c);

#endif
