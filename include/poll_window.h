/* poll_window.h - the adaptive poll window and the opt-in busy mode
 * (poll_window.c): the loop polls instead of sleeping only while frames
 * keep coming, or always with --poll. */
#ifndef VS_POLL_WINDOW_H
#define VS_POLL_WINDOW_H

#include <ev.h>

struct json_object;

enum poll_mode { POLL_OFF, POLL_ADAPTIVE, POLL_BUSY };

#define POLL_WINDOW_US_DEFAULT 150

/* WINDOW_US 0 turns the adaptive window off (POLL_BUSY ignores it). */
void poll_window_init(struct ev_loop *loop, enum poll_mode mode, unsigned int window_us);
/* A wake-up found frames on a port (port.c). */
void poll_window_rx(void);
/* A port was started (busy mode polls while ports exist). */
void poll_window_port_added(void);
/* A port was destroyed: busy mode stops polling when none is left. */
void poll_window_port_removed(void);
/* {"mode", "window_us", "windows", "polling", "polled_ms", "budget_exhausted"} */
struct json_object *poll_window_json(void);

#endif
