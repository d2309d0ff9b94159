/* fuzz_state.c - libFuzzer target for the state loader (src/state.c).
 *
 * The input is written as state.json in a state dir of its own, and
 * loaded as vswitchd loads it at start-up (state_init: lock, read, parse,
 * validate).  A file the loader refuses must give a one-line error and
 * leave the model empty; vswitchd then stops, naming the file.  A file it
 * accepts goes on through the rest of start-up that reads what was
 * loaded, minus the kernel: networks started (fdb, gateway), the default
 * network ensured, every endpoint's names into the DNS index, published
 * ports restored as DNAT rules (proxy listeners fail: no kernel).  Then
 * the world is taken down, so LeakSanitizer sees anything not freed.
 *
 * Checked (a breach aborts): the model's links agree (fw_check_model);
 * what was loaded saves and loads back to the same JSON (state_to_json,
 * state_from_json): a restart after a restart loses and invents nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cmd.h"
#include "dns_internal.h"
#include "fuzz_world.h"
#include "state.h"
#include "publish.h"
#include "uplink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size && close(fd) == 0,
		   "cannot write %s", path);
}

/* Saved and loaded again, the model must give the same JSON. */
static void fuzz_round_trip(void)
{
	struct json_object *first = state_to_json(), *again;
	char err[512] = "";

	FUZZ_CHECK(state_from_json(first, err, sizeof(err)) == 0,
		   "the loader refuses what the saver wrote: %s\n%s", err,
		   json_object_to_json_string(first));
	again = state_to_json();
	FUZZ_CHECK(json_object_equal(first, again), "a second save differs:\n%s\n%s",
		   json_object_to_json_string(first), json_object_to_json_string(again));
	json_object_put(first);
	json_object_put(again);
}

/* What vswitchd_start() does with a loaded model, minus the kernel. */
static void fuzz_start(void)
{
	struct network *n, *ntmp;
	struct container *c, *ctmp;
	struct endpoint *ep;
	char err[512];

	HASH_ITER(hh, g_model.networks, n, ntmp)
		cmd_network_start(&fw.dp, n);
	FUZZ_CHECK(cmd_network_ensure_default(err, sizeof(err)) == 0, "%s", err);
	HASH_ITER(hh, g_model.containers, c, ctmp)
		LIST_FOREACH(ep, &c->endpoints, ctr_link)
			dns_endpoint_added(fw.dp.dns, ep);
	publish_restore_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[200], path[256];
	char err[1024] = "";

	fw_init();
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/state", fw.tmpdir);
		snprintf(path, sizeof(path), "%s/state.json", dir);
		FUZZ_CHECK(state_init(dir, err, sizeof(err)) == 0, "%s", err);	/* mkdir */
		state_fini();
	}
	fuzz_write(path, data, size);
	if (state_init(dir, err, sizeof(err))) {
		FUZZ_CHECK(*err && !strchr(err, '\n'), "refused without a one-line reason: %s", err);
		FUZZ_CHECK(!g_model.networks && !g_model.containers,
			   "refused, yet the model holds something");
		state_fini();
		return 0;
	}
	fw_check_model("fuzz_state");
	fuzz_round_trip();
	fw_check_model("fuzz_state");
	fuzz_start();
	fw_check_model("fuzz_state");
	fw_advance(6ULL * 24 * 3600 * 1000);
	fw_teardown();
	state_fini();
	return 0;
}
