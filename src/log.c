/* log.c - leveled logging with a reopenable file and per-site rate limits.
 *
 * The log file is reopened on SIGHUP so that logrotate can move it away;
 * until then lines keep going to the old inode, which is what rotation
 * expects.  Per-packet messages go through log_rl_allow() so that a
 * hostile flood costs at most a few lines a second.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

#define RL_INTERVAL 5
#define RL_BURST 10

static enum log_level log_level = LOG_LVL_INFO;
static FILE *log_fp;
static char *log_path;
static const char *const log_names[] = { "ERR", "WARN", "INFO", "DEBUG" };

void log_set_level(enum log_level lvl) { log_level = lvl; }

/* The log's file descriptor, for writers that may not use stdio (a
 * signal handler: sandbox.c). */
int log_fd(void)
{
	return fileno(log_fp ? log_fp : stderr);
}

/**
 * log_parse_level() - Map "err", "warn", "info", "debug" to a level
 * Return: 0, or -1 for an unknown name
 */
int log_parse_level(const char *s, enum log_level *lvl)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i]) ||
		    (i == 0 && !strcasecmp(s, "error")) ||
		    (i == 1 && !strcasecmp(s, "warning"))) {
			*lvl = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_open_file(const char *path)
{
	FILE *fp;

	if (!path) {
		log_fp = NULL;
		return 0;
	}
	fp = fopen(path, "a");
	if (!fp)
		return -1;
	setvbuf(fp, NULL, _IOLBF, 0);
	if (log_fp)
		fclose(log_fp);
	log_fp = fp;
	if (log_path != path) {
		free(log_path);
		log_path = strdup(path);
	}
	return 0;
}

int log_reopen(void)
{
	return log_path ? log_open_file(log_path) : 0;
}

/* The format attribute (0: a va_list, not "...") lets the compiler check
 * FMT against vlog()'s callers; without it clang's -Wformat-nonliteral
 * rejected the vfprintf below in the fuzz build. */
static void log_emit(enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_emit(enum log_level lvl, const char *fmt, va_list ap)
{
	FILE *fp = log_fp ? log_fp : stderr;
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(fp, "%s.%03ldZ vswitchd %s: ", stamp, ts.tv_nsec / 1000000,
		log_names[lvl]);
	vfprintf(fp, fmt, ap);
	fputc('\n', fp);
}

void vlog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	log_emit(lvl, fmt, ap);
	va_end(ap);
	errno = saved;
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vswitchd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (log_fp) {
		va_start(ap, fmt);
		log_emit(LOG_LVL_ERR, fmt, ap);
		va_end(ap);
	}
	exit(1);
}

/**
 * log_rl_allow() - Token check for one rate-limited call site
 * @rl: the site's state
 *
 * Return: true if this message may be logged.  When a window closes with
 * messages suppressed, the count is reported once.
 */
bool log_rl_allow(struct log_rl *rl)
{
	time_t now = time(NULL);

	if (now - rl->window >= RL_INTERVAL) {
		if (rl->suppressed)
			vlog(LOG_LVL_WARN, "(%u similar messages suppressed)",
			     rl->suppressed);
		rl->window = now;
		rl->n = 0;
		rl->suppressed = 0;
	}
	if (rl->n < RL_BURST) {
		rl->n++;
		return true;
	}
	rl->suppressed++;
	return false;
}
