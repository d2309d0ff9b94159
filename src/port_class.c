/* port_class.c - the port-type registry: a type name to its class.
 *
 * Code that makes ports (endpoint.c for containers, uplink.c for the
 * uplink) names a type and gets a port; it never calls a type's own open
 * function, so a new type (a VXLAN tunnel, a hand-off port, a rootless
 * uplink) is one more file that fills a struct port_class, and one line
 * here, without touching the callers.  OVS does the same with
 * netdev_register_provider() and netdev_open() by type name.
 *
 * The built-in classes are registered on first use, in a fixed order, so
 * that no caller depends on an init call and a lookup costs a short walk
 * over a handful of names (control path only: ports are opened by
 * commands and at start-up, never per packet).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "port.h"

static const struct port_class *port_classes[PORT_MAX_CLASSES];
static unsigned int port_n_classes;

/* port_class_builtin() - Register the types compiled in, once. */
static void port_class_builtin(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	port_class_register(&port_tap_class);
	port_class_register(&port_afpacket_class);
	port_class_register(&port_pasta_class);
}

/**
 * port_class_register() - Make a port type known by its name
 * @cls:	the class; must outlive the process (a static const)
 *
 * Return: 0, or -1 with errno EEXIST (name taken) or ENOSPC (table full)
 */
int port_class_register(const struct port_class *cls)
{
	unsigned int i;

	for (i = 0; i < port_n_classes; i++)
		if (!strcmp(port_classes[i]->type, cls->type)) {
			errno = EEXIST;
			return -1;
		}
	if (port_n_classes == PORT_MAX_CLASSES) {
		errno = ENOSPC;
		return -1;
	}
	port_classes[port_n_classes++] = cls;
	return 0;
}

/* port_class_find() - The class registered as TYPE, or NULL. */
const struct port_class *port_class_find(const char *type)
{
	unsigned int i;

	port_class_builtin();
	for (i = 0; type && i < port_n_classes; i++)
		if (!strcmp(port_classes[i]->type, type))
			return port_classes[i];
	return NULL;
}

/**
 * port_open() - Open a port of a type named at run time
 * @type:	registered type name ("tap", "afpacket")
 * @args:	what the type needs (see struct port_args)
 *
 * Return: the port, or NULL with errno set (EPROTONOSUPPORT: no such type)
 */
struct port *port_open(const char *type, const struct port_args *args)
{
	const struct port_class *cls = port_class_find(type);

	if (!cls) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	return cls->open(args);
}

/* port_class_names() - "tap, afpacket": the known types, for errors. */
static void port_class_names(char *buf, size_t len)
{
	unsigned int i;
	size_t off = 0;

	buf[0] = '\0';
	port_class_builtin();
	for (i = 0; i < port_n_classes && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					port_classes[i]->type);
}

/**
 * port_spec_parse() - Split "TYPE:IFNAME" and find TYPE's class
 * @spec:	as the user gave it (--uplink afpacket:eth1)
 * @cls:	set to the class
 * @ifname:	set to the interface name (at most 15 bytes)
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1
 */
int port_spec_parse(const char *spec, const struct port_class **cls,
		    char ifname[16], char *err, size_t errlen)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	char type[32], known[128];

	port_class_names(known, sizeof(known));
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(type)) {
		snprintf(err, errlen, "bad port spec \"%s\": want TYPE:IFNAME (TYPE one of %s)",
			 spec ? spec : "", known);
		return -1;
	}
	memcpy(type, spec, (size_t)(colon - spec));
	type[colon - spec] = '\0';
	*cls = port_class_find(type);
	if (!*cls) {
		snprintf(err, errlen, "bad port spec \"%s\": unknown port type \"%s\" (known: %s)",
			 spec, type, known);
		return -1;
	}
	if (!colon[1] || strlen(colon + 1) >= 16) {
		snprintf(err, errlen, "bad port spec \"%s\": interface name empty or over 15 bytes",
			 spec);
		return -1;
	}
	snprintf(ifname, 16, "%s", colon + 1);
	return 0;
}
