/* publish.h - published ports: `-p` specs, DNAT rules and proxy listeners
 * kept with the model (publish.c).
 */
#ifndef VS_PUBLISH_H
#define VS_PUBLISH_H

#include <stddef.h>

struct published;

void publish_init(void);
/* Parse a `-p` SPEC (host_port 0 when omitted); 0, or -1 with ERR. */
int publish_parse_spec(const char *spec, struct published *out,
		       char *err, size_t errlen);
int publish_restore_all(void);

#endif
