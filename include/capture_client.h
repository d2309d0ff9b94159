/* capture_client.h - vsctl's side of a capture (src/vsctl_capture.c).
 *
 * vsctl parses and checks `vsctl capture ...` from its command table, opens
 * the control socket, and hands over: vsctl_capture_run() sends the
 * "capture" request with ARGS on FD, reads the first reply, then copies the
 * stream into a pcap at OUT_PATH ("-" for standard output) until the
 * capture ends.  ARGS keys: network | container | uplink (true),
 * stage ("rx"|"tx"|"all"), filter?, count?, duration?, recorder?
 * (container is "C" or "C:IF", as doc/capture.md says).
 * It is a header of its own, apart from vsctl.h, so that the unit test of
 * vsctl's parser can put a fake in its place.  vsctl_capture_run() returns vsctl's exit status (0, or 1 after printing
 * "vsctl: error: ..." on standard error).
 */
#ifndef VS_CAPTURE_CLIENT_H
#define VS_CAPTURE_CLIENT_H

#include <json-c/json.h>

int vsctl_capture_run(int fd, struct json_object *args, const char *out_path);

#endif
