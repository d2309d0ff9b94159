/* curl_dl.c - load libcurl at run time, for the etcd client only.
 *
 * Why (issue 19, include/curl_dl.h): libcurl and the dozen libraries it
 * needs were about 1.1 MB of an idle vswitchd's RSS, although only
 * --cluster uses them.  vswitchd calls curl_dl_open() right after
 * reading its options when --cluster is given, so that a host without
 * libcurl is told at once (and before the seccomp sandbox, which would
 * forbid the load); etcd_new() calls it too and finds it done.
 *
 * RTLD_NOW: a libcurl that lacks a function, or a library it needs, fails
 * here with dlerror()'s reason rather than later inside the loop.
 * RTLD_LOCAL: its symbols (and OpenSSL's, GnuTLS's...) stay out of the
 * global namespace, so they cannot take the place of another library's.
 * The library is never closed: the table is used until exit.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "curl_dl.h"

struct curl_dl curl_dl;

#define CURL_DL_SYM(name) { "curl_" #name, offsetof(struct curl_dl, name) }

static const struct {
	const char *name;
	size_t off;
} curl_dl_syms[] = {
	CURL_DL_SYM(global_init),
	CURL_DL_SYM(easy_init),
	CURL_DL_SYM(easy_cleanup),
	CURL_DL_SYM(easy_setopt),
	CURL_DL_SYM(easy_getinfo),
	CURL_DL_SYM(easy_strerror),
	CURL_DL_SYM(multi_init),
	CURL_DL_SYM(multi_cleanup),
	CURL_DL_SYM(multi_add_handle),
	CURL_DL_SYM(multi_remove_handle),
	CURL_DL_SYM(multi_assign),
	CURL_DL_SYM(multi_info_read),
	CURL_DL_SYM(multi_setopt),
	CURL_DL_SYM(multi_socket_action),
};
_Static_assert(sizeof(curl_dl_syms) / sizeof(curl_dl_syms[0]) * sizeof(void *) ==
	       sizeof(struct curl_dl), "every entry of struct curl_dl is resolved");

/* dlerror()'s text; it is never NULL right after a failure, but if it were
 * the message must still say something. */
static const char *curl_dl_error(void)
{
	const char *why = dlerror();

	return why ? why : "unknown dlopen() error";
}

/* Every entry of the table, or -1 with ERR; the table is left untouched
 * (all NULL) unless all of them are found. */
static int curl_dl_resolve(void *lib, char *err, size_t errlen)
{
	void *fn[sizeof(curl_dl_syms) / sizeof(curl_dl_syms[0])];
	struct curl_dl table;
	size_t i;

	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++) {
		dlerror();
		fn[i] = dlsym(lib, curl_dl_syms[i].name);
		if (!fn[i]) {
			snprintf(err, errlen, "%s", curl_dl_error());
			return -1;
		}
	}
	/* POSIX makes a function pointer and void * the same size and
	 * representation: dlsym() relies on it. */
	memset(&table, 0, sizeof(table));
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++)
		memcpy((char *)&table + curl_dl_syms[i].off, &fn[i], sizeof(fn[i]));
	curl_dl = table;
	return 0;
}

/**
 * curl_dl_open() - Load libcurl and fill the table curl_dl (once)
 * @err:	why not: "--cluster needs libcurl (libcurl.so.4): <dlerror()>"
 * @errlen:	size of ERR
 *
 * Return: 0 (also when already loaded), or -1 with ERR
 */
int curl_dl_open(char *err, size_t errlen)
{
	char why[512];
	void *lib;

	if (curl_dl.global_init)
		return 0;
	lib = dlopen(CURL_DL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		snprintf(why, sizeof(why), "%s", curl_dl_error());
	else if (!curl_dl_resolve(lib, why, sizeof(why)))
		return 0;
	else
		dlclose(lib);
	snprintf(err, errlen, "--cluster needs libcurl (%s): %s", CURL_DL_SONAME, why);
	return -1;
}
