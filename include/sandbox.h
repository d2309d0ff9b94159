/* sandbox.h - least privilege once vswitchd has started (sandbox.c).
 *
 * Kept out of libvswitch: only the daemon links libseccomp.
 */
#ifndef VS_SANDBOX_H
#define VS_SANDBOX_H

/* Drop to the capabilities the running daemon uses and install the
 * seccomp allow-list; a forbidden call is logged and ends the process
 * (exit status 159).  Dies if the filter cannot be installed. */
void sandbox_enter(void);

#endif
