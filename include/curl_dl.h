/* curl_dl.h - libcurl, loaded with dlopen() only by a vswitchd that
 * runs with --cluster (issue 19).
 *
 * Only the etcd client (src/etcd.c) uses libcurl, and only with
 * --cluster; linked at build time, libcurl and what it pulls in (TLS,
 * Kerberos, LDAP, SSH, HTTP/2, IDN...) were mapped and relocated in every
 * vswitchd, about 1.1 MB of its idle RSS.  So vswitchd does not link it:
 * curl_dl_open() loads "libcurl.so.4" once, before the seccomp sandbox
 * (which forbids the open and mmap a later load would need), and fills
 * one table with the functions etcd.c calls.
 *
 * etcd.c includes this instead of <curl/curl.h> and keeps libcurl's own
 * names: the macros at the end send each call through the table.  The
 * table's entries take their types from curl.h's prototypes (typeof), so
 * a call through them is checked as a direct call would be.  curl.h's
 * option type checks (typecheck-gcc.h) are macros named like the
 * functions, so they are off here (CURL_DISABLE_TYPECHECK); `make check`
 * compiles etcd.c once more with them and CURL_DL_TYPECHECK, which leaves
 * the macros out (mk/cluster.mk), so that an option given a value of the
 * wrong type is still caught.
 */
#ifndef VS_CURL_DL_H
#define VS_CURL_DL_H

#include <stddef.h>
#ifndef CURL_DL_TYPECHECK
#define CURL_DISABLE_TYPECHECK
#endif
#include <curl/curl.h>

#define CURL_DL_SONAME "libcurl.so.4"

/* One entry per libcurl function the etcd client calls, named as the
 * function without its "curl_" (curl_dl.c resolves "curl_" #name). */
struct curl_dl {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_assign) *multi_assign;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_setopt) *multi_setopt;
	__typeof__(curl_multi_socket_action) *multi_socket_action;
};

extern struct curl_dl curl_dl;

int curl_dl_open(char *err, size_t errlen);

#ifndef CURL_DL_TYPECHECK
/* curl.h makes setopt and getinfo function-like macros (to count their
 * arguments): those go first. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init(...) curl_dl.global_init(__VA_ARGS__)
#define curl_easy_init(...) curl_dl.easy_init(__VA_ARGS__)
#define curl_easy_cleanup(...) curl_dl.easy_cleanup(__VA_ARGS__)
#define curl_easy_setopt(...) curl_dl.easy_setopt(__VA_ARGS__)
#define curl_easy_getinfo(...) curl_dl.easy_getinfo(__VA_ARGS__)
#define curl_easy_strerror(...) curl_dl.easy_strerror(__VA_ARGS__)
#define curl_multi_init(...) curl_dl.multi_init(__VA_ARGS__)
#define curl_multi_cleanup(...) curl_dl.multi_cleanup(__VA_ARGS__)
#define curl_multi_add_handle(...) curl_dl.multi_add_handle(__VA_ARGS__)
#define curl_multi_remove_handle(...) curl_dl.multi_remove_handle(__VA_ARGS__)
#define curl_multi_assign(...) curl_dl.multi_assign(__VA_ARGS__)
#define curl_multi_info_read(...) curl_dl.multi_info_read(__VA_ARGS__)
#define curl_multi_setopt(...) curl_dl.multi_setopt(__VA_ARGS__)
#define curl_multi_socket_action(...) curl_dl.multi_socket_action(__VA_ARGS__)
#endif

#endif
