#!/bin/sh
# run-no-io-uring.sh - `make check`'s second pass over part of the system
# tests, with every vswitchd started with --no-io-uring (VS_NO_IO_URING,
# conftest.py): the write()-per-frame path must stay as good as the
# batched one.  test_io_uring.py checks the fallback itself; test_offload.py
# sends GSO frames and partial checksums (the vnet header) through it.
# The whole suite runs this way with
#   VS_NO_IO_URING=1 tests/system/run-pytest.sh
VS_NO_IO_URING=1
VS_PYTEST_PATHS="tests/system/test_io_uring.py tests/system/test_offload.py"
export VS_NO_IO_URING VS_PYTEST_PATHS
exec "${srcdir:-$(dirname "$0")/../..}/tests/system/run-pytest.sh" "$@"
