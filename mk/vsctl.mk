# mk/vsctl.mk - see Makefile.am
