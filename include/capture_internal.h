/* capture_internal.h - capture sessions, the stream framing, the recorder
 * dump: what capture.c, recorder.c, capture_ctl.c, vsctl_capture.c and the
 * unit tests share, and the datapath does not need to see.
 *
 * A session is one running `vsctl capture`: a compiled filter, a bounded
 * byte ring of framed pcap records waiting for the client, counters, and
 * the capture points it is attached to (up to CAPTURE_SLOTS_MAX: rx and tx
 * of one port, or one network).  The stream framing is described in
 * doc/capture.md and by the CAPTURE_MSG_* constants below.
 */
#ifndef VS_CAPTURE_INTERNAL_H
#define VS_CAPTURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct ev_loop;
struct capture_point;
struct capture_session;
struct recorder;
struct pkt;

/* Stream framing: every message is an 8-byte header, then LEN bytes.
 *   byte 0: type; bytes 1-3: zero; bytes 4-7: LEN, big-endian. */
#define CAPTURE_MSG_HDR 8
#define CAPTURE_MSG_DATA 1       /* pcap bytes: the file header, or whole records */
#define CAPTURE_MSG_END 2        /* JSON trailer: {"captured","dropped","reason"} */

/* pcap file header values (libpcap's savefile format, microseconds). */
#define CAPTURE_PCAP_MAGIC 0xa1b2c3d4u
#define CAPTURE_SNAPLEN 262144u  /* libpcap's MAXIMUM_SNAPLEN: never truncates */
#define CAPTURE_LINKTYPE_EN10MB 1u

#define CAPTURE_PER_POINT 8      /* sessions one capture point can hold */
#define CAPTURE_SLOTS_MAX 4      /* points one session can be attached to */
#define CAPTURE_MAX_SESSIONS 64  /* all sessions at once, daemon-wide */
#define CAPTURE_RING_DEFAULT (4u << 20)   /* bytes of backlog per session */
#define CAPTURE_RING_MIN 4096u
#define CAPTURE_RING_MAX (64u << 20)
/* every session's ring together (audit finding 19: 64 x 256 MiB was 16 GiB) */
#define CAPTURE_RING_BUDGET (512u << 20)

struct capture_opts {
	const char *filter;      /* tcpdump syntax, NULL or "" = everything */
	uint64_t count;          /* stop after this many frames; 0 = no limit */
	double duration;         /* seconds; 0 = no limit */
	size_t ring_bytes;       /* 0 = CAPTURE_RING_DEFAULT */
	const char *point_name;  /* for the log: "c1:eth0 rx+tx" */
};

/* capture.c */
struct capture_session *capture_session_new(struct ev_loop *loop, int fd,
					    const struct capture_opts *o,
					    char *err, size_t errlen);
int capture_session_attach(struct capture_session *s, struct capture_point **slot,
			   char *err, size_t errlen);
void capture_session_set_fd(struct capture_session *s, int fd);
void capture_session_start(struct capture_session *s);
void capture_session_finish(struct capture_session *s, const char *reason);
void capture_session_free(struct capture_session *s);
bool capture_session_offer(struct capture_session *s, const uint8_t *data,
			   uint32_t caplen, uint32_t len, const struct timeval *ts);
bool capture_session_match(const struct capture_session *s, const uint8_t *data,
			   uint32_t caplen, uint32_t len);
uint64_t capture_session_captured(const struct capture_session *s);
uint64_t capture_session_dropped(const struct capture_session *s);
/* Write what the ring holds without waiting (tests, final drain); returns
 * bytes still queued, or -1 once the client is gone. */
long capture_session_flush(struct capture_session *s);
unsigned int capture_session_count(void);

/* recorder.c */
#define RECORDER_DEPTH_DEFAULT 256
#define RECORDER_BUDGET_DEFAULT (1u << 20)  /* bytes of frames per port */
#define RECORDER_TOTAL_DEFAULT ((size_t)64 << 20)  /* all recorders' rings */
unsigned int recorder_count(const struct recorder *r);
/* Visit the recorded frames of several recorders merged oldest first. */
typedef void recorder_visit_fn(void *arg, const uint8_t *data, uint32_t caplen,
			       uint32_t len, const struct timeval *ts);
void recorder_walk(struct recorder *const *rs, unsigned int nr,
		   recorder_visit_fn *fn, void *arg);
size_t recorder_bytes(const struct recorder *r);
size_t recorder_extent(const struct recorder *r);
size_t recorder_capacity(const struct recorder *r);
/* Bytes of rings all recorders hold now, and the budget over them
 * (`vsctl stats`: capture.recorder_bytes, capture.recorder_budget). */
size_t recorder_total(void);
size_t recorder_total_limit(void);

#endif
