/* state.h - the switch's durable state: state.json and its journal.
 *
 * Every change a control command makes is durable before the reply: a
 * container's change as one synced journal record (state_save_ctr), any
 * other change, and every so often the journal itself, as a new state.json
 * (temp file, fsync, rename, fsync of the directory).  A crash at any point
 * leaves the old state or the new one, never a mix (state.c says how).  A
 * file that does not parse stops vswitchd with its name: starting empty
 * would silently forget every network.
 */
#ifndef VS_STATE_H
#define VS_STATE_H

#include <stddef.h>
#include <sys/uio.h>
#include <json-c/json.h>

int state_init(const char *dir, char *err, size_t errlen);   /* lock + load */
int state_save(char *err, size_t errlen);
/* The change to container NAME (made or gone): one journal record. */
int state_save_ctr(const char *name, char *err, size_t errlen);
/* Fold the journal into state.json: a clean exit, before the teardown. */
void state_compact(void);
unsigned int state_journal_torn_count(void);
/* {"journal_records", "journal_bytes", "journal_torn", "compactions"} */
struct json_object *state_stats_json(void);
void state_fini(void);
const char *state_dir(void);
/* DIR/NAME made of IOV, atomically and durably; 0, or -1 with errno. */
int state_write_file(const char *dir, const char *name, const struct iovec *iov, int iovcnt);

/* Serialise the model to JSON and back (also used by unit tests). */
struct json_object *state_to_json(void);
int state_from_json(struct json_object *root, char *err, size_t errlen);

#endif
