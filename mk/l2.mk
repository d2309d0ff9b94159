# mk/l2.mk - see Makefile.am
