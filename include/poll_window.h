/* poll_window.h - the adaptive poll window and the opt-in busy mode
 * (poll_window.c): the loop polls instead of sleeping only while frames
 * keep coming, or always with --poll. */
#ifndef VS_POLL_WINDOW_H
#define VS_POLL_WINDOW_H

#include <ev.h>
#include <stdbool.h>

struct json_object;

enum poll_mode { POLL_OFF, POLL_ADAPTIVE, POLL_BUSY };

#define POLL_WINDOW_US_DEFAULT 150
#define POLL_BUDGET_PCT_DEFAULT 10    /* of a core, in any second */

/* WINDOW_US 0 turns the adaptive window off (POLL_BUSY ignores it and
 * the budget, BUDGET_PCT % of a core). */
void poll_window_init(struct ev_loop *loop, enum poll_mode mode, unsigned int window_us,
		      unsigned int budget_pct);
/* A wake-up found frames on a port (port.c); FULL: its first read filled
 * a whole batch. */
void poll_window_rx(bool full);
/* A port was started (busy mode polls while ports exist). */
void poll_window_port_added(void);
/* A port was destroyed: busy mode stops polling when none is left. */
void poll_window_port_removed(void);
/* {"mode", "window_us", "budget_pct", "windows", "windows_empty",
 *  "not_opened_full", "polling", "polled_ms", "budget_exhausted"} */
struct json_object *poll_window_json(void);

#endif
