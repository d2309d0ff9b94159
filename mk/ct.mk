# mk/ct.mk - see Makefile.am
