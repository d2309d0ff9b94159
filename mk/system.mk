# mk/system.mk - see Makefile.am
