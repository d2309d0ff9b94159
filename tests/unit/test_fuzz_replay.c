/* test_fuzz_replay.c - a fuzz target's saved inputs, replayed in `make check`.
 *
 * Built once per target (mk/fuzz.mk) with that target's harness, compiled
 * by the ordinary compiler without libFuzzer: every file of
 * tests/fuzz/corpus/TARGET (the seeds and inputs worth keeping) and of
 * tests/fuzz/regress/TARGET (inputs that once crashed or broke an
 * invariant) goes through the same LLVMFuzzerTestOneInput as under the
 * fuzzer, one cmocka test per file.  The harness aborts on a broken
 * invariant, and the sanitizer build (--enable-sanitizers) adds ASan and
 * UBSan, so a fixed bug that comes back fails the normal suite, not only
 * a fuzzing run that happens to find it again.
 *
 * FUZZ_TARGET and FUZZ_DIR (the source tree's tests/fuzz) come from the
 * build; a target with no input at all is a failure, not a pass.  An input
 * that hangs (the daemon's code blocking, as under libFuzzer's -timeout)
 * fails after REPLAY_TIMEOUT_S instead of stopping `make check`.
 */
#include <dirent.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET (the target's name) must be defined by the build"
#endif
#ifndef FUZZ_DIR
#error "FUZZ_DIR (the source tree's tests/fuzz) must be defined by the build"
#endif

#define REPLAY_MAX 512
#define REPLAY_TIMEOUT_S 120     /* generous: valgrind, sanitizers */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *replay_current;

static void replay_hang(int sig)
{
	static const char msg[] = "test_fuzz_replay: input hangs: ";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0 ||
	    write(2, replay_current, strlen(replay_current)) < 0 || write(2, "\n", 1) < 0)
		_exit(1);
	_exit(1);
}

static void replay_one(void **state)
{
	const char *path = *state;
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long len;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);	/* + 1: an empty file is an input too */
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	replay_current = path;
	signal(SIGALRM, replay_hang);
	alarm(REPLAY_TIMEOUT_S);
	assert_int_equal(LLVMFuzzerTestOneInput(buf, (size_t)len), 0);
	alarm(0);
	free(buf);
}

static int replay_cmp(const void *a, const void *b)
{
	return strcmp(((const struct CMUnitTest *)a)->name, ((const struct CMUnitTest *)b)->name);
}

/* Add a test per regular file of FUZZ_DIR/KIND/FUZZ_TARGET; how many. */
static size_t replay_collect(const char *kind, struct CMUnitTest *t, size_t n, size_t max)
{
	char dir[4096];
	struct dirent *d;
	DIR *dp;
	size_t start = n;

	snprintf(dir, sizeof(dir), "%s/%s/%s", FUZZ_DIR, kind, FUZZ_TARGET);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp)) && n < max) {
		char *path, *name;

		if (d->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, d->d_name) < 0 ||
		    asprintf(&name, "%s/%s", kind, d->d_name) < 0)
			abort();
		memset(&t[n], 0, sizeof(t[n]));
		t[n].name = name;
		t[n].test_func = replay_one;
		t[n].initial_state = path;
		n++;
	}
	closedir(dp);
	return n - start;
}

int main(void)
{
	static struct CMUnitTest tests[REPLAY_MAX];
	size_t n;

	n = replay_collect("corpus", tests, 0, REPLAY_MAX);
	n += replay_collect("regress", tests, n, REPLAY_MAX);
	if (!n) {
		fprintf(stderr, "no inputs in %s/{corpus,regress}/%s\n", FUZZ_DIR, FUZZ_TARGET);
		return 1;
	}
	qsort(tests, n, sizeof(tests[0]), replay_cmp);
	return _cmocka_run_group_tests("fuzz_" FUZZ_TARGET, tests, n, NULL, NULL);
}
