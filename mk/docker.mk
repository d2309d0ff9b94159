# mk/docker.mk - vswitch-docker-plugin, Docker's remote network driver
# (see Makefile.am).  A program of its own: it speaks HTTP to dockerd and
# the control protocol to vswitchd, so it links neither libvswitch.a nor
# libev, only libmicrohttpd (its server), libcurl (its questions to
# Docker's API) and json-c.
sbin_PROGRAMS += src/vswitch-docker-plugin
src_vswitch_docker_plugin_SOURCES = src/docker_plugin.c src/docker_plugin_net.c \
	src/docker_plugin_ctl.c src/docker_plugin_names.c src/docker_plugin_ipam.c \
	src/ctl_client.c
src_vswitch_docker_plugin_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(CURL_CFLAGS)
src_vswitch_docker_plugin_LDADD = $(MHD_LIBS) $(CURL_LIBS) $(JSONC_LIBS)
noinst_HEADERS += include/docker_plugin.h include/ctl_client.h
man_MANS += doc/vswitch-docker-plugin.8

# Its systemd unit is installed with the others (mk/install.mk).
