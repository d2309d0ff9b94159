# mk/dns.mk - see Makefile.am
