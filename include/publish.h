/* publish.h - published ports: `-p` specs, DNAT rules and proxy listeners
 * kept with the model (publish.c).
 */
#ifndef VS_PUBLISH_H
#define VS_PUBLISH_H

#include <stddef.h>

struct published;
struct container;
struct json_object;

void publish_init(void);
/* Parse a `-p` SPEC (host_port 0 when omitted); 0, or -1 with ERR. */
int publish_parse_spec(const char *spec, struct published *out,
		       char *err, size_t errlen);
int publish_restore_all(void);
/* C's published ports as `port ls` lists them (container ls's "ports"). */
struct json_object *publish_list_json(const struct container *c);

#endif
