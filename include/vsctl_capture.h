/* vsctl_capture.h - the client side of `vsctl capture` (vsctl_capture.c).
 *
 * vsctl parses the options into ARGS (doc/control-protocol.md, "capture")
 * and connects; this sends the request and turns the stream into a pcap
 * file (doc/capture.md).
 */
#ifndef VS_VSCTL_CAPTURE_H
#define VS_VSCTL_CAPTURE_H

#include <json-c/json.h>

/* Run one capture on the connected FD, writing pcap to OUT_PATH ("-":
 * standard output, flushed after every chunk).  Prints "N captured, M
 * dropped" on standard error.  Return: exit status, 0 or 1 (after a
 * "vsctl: error: ..." line). */
int vsctl_capture_run(int fd, struct json_object *args, const char *out_path);

#endif
