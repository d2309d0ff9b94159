/* state.h - the switch's durable state: one JSON file, written atomically.
 *
 * Every change a control command makes is written before the reply: a temp
 * file, fsync, rename over state.json, fsync of the directory.  A crash at
 * any point leaves either the old file or the new one, never a mix.  A file
 * that does not parse stops vswitchd with its name: starting empty would
 * silently forget every network.
 */
#ifndef VS_STATE_H
#define VS_STATE_H

#include <stddef.h>
#include <sys/uio.h>
#include <json-c/json.h>

int state_init(const char *dir, char *err, size_t errlen);   /* lock + load */
int state_save(char *err, size_t errlen);
void state_fini(void);
const char *state_dir(void);
/* DIR/NAME made of IOV, atomically and durably; 0, or -1 with errno. */
int state_write_file(const char *dir, const char *name, const struct iovec *iov, int iovcnt);

/* Serialise the model to JSON and back (also used by unit tests). */
struct json_object *state_to_json(void);
int state_from_json(struct json_object *root, char *err, size_t errlen);

#endif
