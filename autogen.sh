#!/bin/sh
# autogen.sh - generate ./configure from configure.ac (run once after clone).
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi
