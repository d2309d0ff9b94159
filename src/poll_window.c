/* poll_window.c - keep polling for a moment after a burst, never at rest.
 *
 * Theory of Operation
 *
 * vswitchd sleeps in epoll_wait between wake-ups.  On a VM whose idle
 * vCPU halts, each wake-up costs tens of µs, and a serial exchange (a TCP
 * handshake through NAT, a request and its reply) pays it at every
 * packet: new connections per second are a latency benchmark
 * (doc/performance.md).  So after a wake-up that found frames, the loop
 * may go on polling (epoll with a zero timeout, through an ev_idle
 * watcher, which makes libev poll without blocking) for PW_WINDOW_US,
 * and catches the next frame without the sleep and the wake-up.
 *
 * Gating, so that the window costs CPU only where it pays:
 * - it opens only when frames arrive closer together than the window
 *   (the gap between this wake-up with frames and the previous one), so a
 *   ping every 10 ms or a container's occasional multicast never spins;
 * - it closes when a whole window passes without a frame;
 * - a window that caught nothing makes the next one wait for two short
 *   gaps in a row: a request and its reply (a ping every 10 ms, a
 *   container's DNS query) come close together once and then stop, and a
 *   window after each reply only spun (8 zero-timeout epolls a ping, and
 *   a core taken from the containers on a small host), while a stream or
 *   a serial exchange (a TCP handshake through NAT, then its data) has
 *   the second short gap at once;
 * - a wake-up from sleep whose first read filled a whole batch opens
 *   none: that sleep's cost is already shared by a full batch, the loop
 *   is behind rather than waiting, and a window would only spin in the
 *   moments it catches up (a UDP flood);
 * - the time spent polling is capped at a budget of every second
 *   (--poll-budget, 10 % of a core by default; counted in
 *   budget_exhausted when it bites).  In a TCP stream the window polls
 *   until the budget is spent, so the budget is the CPU the window may
 *   add to a stream: at 20 % it was 4-8 % of vswitchd's CPU in the
 *   benchmark's streams for 4 % more rate (doc/performance.md);
 * - it never opens without frames: at rest there is no timer and no
 *   wake-up, as before (tests/system/test_poll.py counts them).
 * `vswitchd --poll-window 0` turns it off.
 *
 * `--poll` is the opt-in busy mode for latency-critical hosts: the loop
 * never sleeps while a port exists, at the price of a whole core.
 */
#include <json-c/json.h>
#include <stdint.h>

#include "log.h"
#include "poll_window.h"
#include "port.h"

#define PW_PERIOD 1.0            /* s: the budget's accounting period */

static struct {
	struct ev_loop *loop;
	ev_idle idle;
	enum poll_mode mode;
	ev_tstamp window;        /* s */
	ev_tstamp budget;        /* s of polling allowed per period */
	ev_tstamp last_rx;       /* the last wake-up that found frames */
	ev_tstamp until;         /* poll until then unless frames come */
	ev_tstamp mark;          /* polling accounted up to here */
	ev_tstamp period_start, used;
	uint64_t windows, budget_hits;
	ev_tstamp total;         /* s spent polling since start */
	uint64_t empty;          /* windows that closed without a frame */
	uint64_t full_batches;   /* wake-ups from sleep that read a full batch */
	bool caught;             /* the open window has caught frames */
	bool cold;               /* the last window caught none */
	bool short_gap;          /* the last wake-up came within a window */
	unsigned int n_ports;    /* started, of every datapath on the loop */
} pw;

/* A new budget period begins a second after the last one did. */
static void pw_roll(ev_tstamp now)
{
	if (now - pw.period_start >= PW_PERIOD) {
		pw.period_start = now;
		pw.used = 0;
	}
}

/* Count the time polled since the last mark. */
static void pw_account(ev_tstamp now)
{
	pw.used += now - pw.mark;
	pw.total += now - pw.mark;
	pw.mark = now;
	pw_roll(now);
}

static void pw_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	ev_tstamp now = ev_now(loop);

	pw_account(now);
	if (pw.mode == POLL_BUSY) {
		if (!pw.n_ports)
			ev_idle_stop(loop, w);
		return;
	}
	if (pw.used >= pw.budget) {
		pw.budget_hits++;
		ev_idle_stop(loop, w);
	} else if (now >= pw.until) {
		ev_idle_stop(loop, w);
		pw.cold = !pw.caught;
		pw.empty += pw.cold;
	}
}

static void pw_start(ev_tstamp now)
{
	pw.mark = now;
	ev_idle_start(pw.loop, &pw.idle);
}

void poll_window_init(struct ev_loop *loop, enum poll_mode mode, unsigned int window_us,
		      unsigned int budget_pct)
{
	pw.loop = loop;
	pw.mode = window_us || mode == POLL_BUSY ? mode : POLL_OFF;
	pw.window = window_us / 1e6;
	pw.budget = PW_PERIOD * budget_pct / 100;
	ev_idle_init(&pw.idle, pw_idle_cb);
	if (pw.mode == POLL_BUSY)
		log_info("poll: busy polling while ports exist (--poll): a core is spent");
	else if (pw.mode == POLL_ADAPTIVE)
		log_info("poll: %u us window after frames closer than that, at most %u%% of "
			 "a core", window_us, budget_pct);
	else
		log_info("poll: off (--poll-window 0)");
}

void poll_window_rx(bool full)
{
	ev_tstamp now, gap;
	bool was_short;

	if (!pw.loop || pw.mode == POLL_OFF)
		return;
	now = ev_now(pw.loop);
	gap = now - pw.last_rx;
	pw.last_rx = now;
	if (pw.mode == POLL_BUSY) {
		if (!ev_is_active(&pw.idle))
			pw_start(now);
		return;
	}
	if (full && !ev_is_active(&pw.idle)) {
		pw.full_batches++;
		return;	/* the loop is behind the traffic: sleeping cost nothing */
	}
	if (gap >= pw.window) {
		pw.short_gap = false;
		return;	/* sparse traffic: sleeping costs less than polling */
	}
	was_short = pw.short_gap;
	pw.short_gap = true;
	pw.until = now + pw.window;
	if (ev_is_active(&pw.idle)) {
		pw.caught = true;
		return;
	}
	if (pw.cold && !was_short)
		return;	/* a request and its reply, perhaps: wait for a third */
	pw_roll(now);
	if (pw.used >= pw.budget)
		return;	/* this second's budget is spent */
	pw.windows++;
	pw.caught = false;
	pw_start(now);
}

void poll_window_port_added(void)
{
	pw.n_ports++;
	if (pw.loop && pw.mode == POLL_BUSY && !ev_is_active(&pw.idle))
		pw_start(ev_now(pw.loop));
}

void poll_window_port_removed(void)
{
	if (pw.n_ports)
		pw.n_ports--;
}

struct json_object *poll_window_json(void)
{
	static const char *const names[] = { "off", "adaptive", "busy" };
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "mode", json_object_new_string(names[pw.mode]));
	json_object_object_add(o, "window_us", json_object_new_int64((int64_t)(pw.window * 1e6 + 0.5)));
	json_object_object_add(o, "windows", json_object_new_int64((int64_t)pw.windows));
	json_object_object_add(o, "windows_empty", json_object_new_int64((int64_t)pw.empty));
	json_object_object_add(o, "not_opened_full", json_object_new_int64((int64_t)pw.full_batches));
	json_object_object_add(o, "budget_pct", json_object_new_int64((int64_t)(pw.budget * 100 / PW_PERIOD + 0.5)));
	json_object_object_add(o, "polling", json_object_new_boolean(ev_is_active(&pw.idle)));
	json_object_object_add(o, "polled_ms", json_object_new_int64((int64_t)(pw.total * 1e3)));
	json_object_object_add(o, "budget_exhausted", json_object_new_int64((int64_t)pw.budget_hits));
	return o;
}
