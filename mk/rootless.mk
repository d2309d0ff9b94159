# mk/rootless.mk - rootless operation (issue 17): the user and switch
# namespaces and their keeper (rootless.c, in libvswitch.a: vsctl's
# `netns` commands use it too), and vsctl's `netns` commands.
src_libvswitch_a_SOURCES += src/rootless.c src/rootless_uplink.c src/port_pasta.c
noinst_HEADERS += include/rootless.h
VSCTL_SOURCES += src/vsctl_netns.c
