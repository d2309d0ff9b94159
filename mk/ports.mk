# mk/ports.mk - see Makefile.am
