# mk/capture.mk - see Makefile.am
