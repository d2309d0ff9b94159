/* log.h - leveled logging to stderr or a file, rate-limited where per-packet.
 *
 * die() is for start-up only; once packets flow, nothing a packet does may
 * end the daemon.  VLOG_RL() keeps a flood of bad frames from becoming a
 * flood of log lines (OVS VLOG_WARN_RL).
 */
#ifndef VS_LOG_H
#define VS_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
int log_parse_level(const char *s, enum log_level *lvl);
int log_open_file(const char *path);   /* NULL: stderr; also reopen */
int log_reopen(void);
int log_fd(void);                      /* the log's fd (signal handlers) */
void vlog(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* At most RL_BURST messages per RL_INTERVAL seconds per call site. */
struct log_rl { time_t window; uint32_t n, suppressed; };
bool log_rl_allow(struct log_rl *rl);

#define log_err(...) vlog(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) vlog(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) vlog(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) vlog(LOG_LVL_DEBUG, __VA_ARGS__)
#define VLOG_RL(lvl, ...) do { \
	static struct log_rl rl_; \
	if (log_rl_allow(&rl_)) vlog(lvl, __VA_ARGS__); \
} while (0)

#endif
