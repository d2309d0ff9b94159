"""test_package.py - installs and runs like a Debian network daemon (issue 21).

- `make install` lays the files out as Debian does: daemons in sbin/,
  vsctl in bin/, the CNI plugin in lib/cni/, units, the default file,
  every man page and the generated bash completion.
- `systemd-analyze verify` accepts every unit (made from the templates
  with this build's paths, so the binaries they start exist).
- vswitchd tells systemd READY=1 only once its control socket answers,
  and STOPPING=1 when it stops.
- The completion offers the running switch's networks and containers.
- debian/ builds vswitch_*.deb from a clean copy of the tree with
  `dpkg-buildpackage -us -uc -b`, lintian finds no error or warning, and
  the package's files, unpacked into a throw-away root, are where Debian
  puts them and run.  This one builds the whole tree again (about a
  minute on two cores); it runs in tools/test.sh like every other test.
"""
import os
import shutil
import socket
import subprocess

import pytest
from topo import find_binary
from vsutil import uniq, vsctl_ok, wait_for

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def builddir():
    """The build tree of the binaries under test."""
    d = os.environ.get("abs_top_builddir")
    if d:
        return d
    b = find_binary("vswitchd")
    if not b:
        pytest.skip("vswitchd not built")
    return os.path.dirname(os.path.dirname(b))


def need(tool, package):
    path = shutil.which(tool)
    if not path:
        pytest.fail(f"{tool} missing: apt-get install {package} (tools/install-deps.sh)")
    return path


# make check's own settings (jobserver, overrides) must not leak into the
# builds these tests start.
MAKE_ENV = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DESTDIR")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in MAKE_ENV}
    env.update(extra)
    return env


def run(*cmd, **kw):
    kw.setdefault("env", clean_env())
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 600)
    return subprocess.run(list(cmd), **kw)


def man_dir(tmp_path):
    """A MANPATH holding doc/*.8, for the units' Documentation= check."""
    d = tmp_path / "man" / "man8"
    d.mkdir(parents=True)
    for f in os.listdir(os.path.join(TOP, "doc")):
        if f.endswith(".8"):
            os.symlink(os.path.join(TOP, "doc", f), d / f)
    return str(tmp_path / "man")


def test_units_verify(tmp_path):
    need("systemd-analyze", "systemd")
    src = os.path.join(builddir(), "src")
    subst = {"@sbindir@": src, "@bindir@": src, "@vswitchddir@": src,
             "@sysconfdir@": str(tmp_path)}
    units = {"vswitchd.service": "vswitchd.service.in",
             "vswitch-docker-plugin.service": "vswitch-docker-plugin.service.in",
             "user/vswitchd.service": "vswitchd-user.service.in"}
    for dst, tmpl in units.items():
        text = open(os.path.join(TOP, "tools", "systemd", tmpl)).read()
        for k, v in subst.items():
            text = text.replace(k, v)
        assert "@" not in text.replace("%h", "")
        os.makedirs(tmp_path / os.path.dirname(dst), exist_ok=True)
        (tmp_path / dst).write_text(text)
    env = clean_env(MANPATH=man_dir(tmp_path), XDG_RUNTIME_DIR=str(tmp_path / "run"))
    os.makedirs(tmp_path / "run")
    r = run("systemd-analyze", "verify", "vswitchd.service",
            "vswitch-docker-plugin.service", cwd=tmp_path, env=env)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    r = run("systemd-analyze", "--user", "verify", "user/vswitchd.service",
            cwd=tmp_path, env=env)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    unit = (tmp_path / "vswitchd.service").read_text()
    for line in ("Type=notify", "RuntimeDirectory=vswitch", "StateDirectory=vswitch",
                 "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID",
                 "--ctl-group vswitch"):
        assert line in unit, line
    plugin = (tmp_path / "vswitch-docker-plugin.service").read_text()
    assert "Before=docker.service" in plugin and "After=vswitchd.service" in plugin


def test_make_install_layout(tmp_path):
    dest = tmp_path / "root"
    r = run("make", "-C", builddir(), "install", f"DESTDIR={dest}")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    prefixes = [p for p in ("usr/local", "usr") if (dest / p / "sbin" / "vswitchd").exists()]
    assert prefixes, sorted(str(p) for p in dest.rglob("*"))
    p = dest / prefixes[0]
    for f in ("sbin/vswitchd", "sbin/vswitch-docker-plugin", "bin/vsctl", "lib/cni/vswitch"):
        assert os.access(p / f, os.X_OK), f
    assert not (p / "bin" / "vswitchd").exists()
    for m in ("vswitchd", "vsctl", "vswitch-cni", "vswitch-docker-plugin"):
        assert (p / "share/man/man8" / f"{m}.8").exists(), m
    for u in ("lib/systemd/system/vswitchd.service",
              "lib/systemd/system/vswitch-docker-plugin.service",
              "lib/systemd/user/vswitchd.service"):
        text = (p / u).read_text()
        assert f"/{prefixes[0]}/sbin/" in text and "@" not in text.replace("%h", ""), u
    comp = (p / "share/bash-completion/completions/vsctl").read_text()
    assert comp == run(str(p / "bin/vsctl"), "--bash-completion").stdout
    defaults = list(dest.rglob("default/vswitchd"))
    assert len(defaults) == 1 and "VSWITCHD_OPTS=" in defaults[0].read_text()


def test_ready_only_once_the_socket_answers(topo, tmp_path):
    """sd_notify: READY=1 arrives when vsctl already gets answers."""
    vswitchd, vsctl = find_binary("vswitchd"), find_binary("vsctl")
    ns = topo.container("sd")
    notify = tmp_path / "notify"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(notify))
    s.settimeout(60)
    sock = tmp_path / "vs.sock"
    p = subprocess.Popen(["ip", "netns", "exec", ns, vswitchd, "--state-dir",
                          str(tmp_path / "state"), "--socket", str(sock)],
                         env=dict(os.environ, NOTIFY_SOCKET=str(notify)),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert s.recv(4096) == b"READY=1"
        # no retry: the first request after READY=1 is answered
        r = run(vsctl, "--socket", str(sock), "network", "ls")
        assert r.returncode == 0 and "bridge" in r.stdout, r.stderr
        p.terminate()
        assert s.recv(4096) == b"STOPPING=1"
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        s.close()


def test_completion_offers_the_switch_names(vswitchd, topo):
    net, ctr = uniq("cn"), uniq("cc")
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.95.0.0/24", net)
    vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container(ctr), net, ctr)
    script = vsctl_ok(vswitchd, "--bash-completion").stdout

    def comp(*words):
        r = run("bash", "-c", script + '\nCOMP_WORDS=("$@"); '
                'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _vsctl; '
                'printf "%s\\n" "${COMPREPLY[@]}"', "_", *words)
        assert r.returncode == 0, r.stderr
        return set(r.stdout.split())
    vsctl = vswitchd.vsctl_argv[0]
    assert {net, "bridge"} <= comp(vsctl, "--socket", vswitchd.sock, "network", "inspect", "")
    assert comp(vsctl, "--socket", vswitchd.sock, "port", "ls", "") == {ctr}
    assert comp(vsctl, "--socket", vswitchd.sock, "network", "connect", net[:3]) >= {net}
    assert ctr in comp(vsctl, "--socket", vswitchd.sock, "network", "disconnect", net, "")


def clean_copy(dst):
    """The tree as a fresh checkout has it: tracked files only (their
    working-tree content), else everything but build products."""
    r = run("git", "-C", TOP, "ls-files", "-z")
    if r.returncode == 0 and r.stdout:
        for f in r.stdout.split("\0"):
            if not f or not os.path.lexists(os.path.join(TOP, f)):
                continue
            os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
            shutil.copy2(os.path.join(TOP, f), os.path.join(dst, f), follow_symlinks=False)
        return
    made = {"autom4te.cache", ".git", "configure", "aclocal.m4", "Makefile.in", "build-aux",
            "m4", "config.status", "config.log", ".pytest_cache", "__pycache__"}

    def ignore(d, names):
        top = os.path.samefile(d, TOP)
        return [n for n in names if n in made or n.endswith("~") or
                (top and n.startswith("build"))]
    shutil.copytree(TOP, dst, ignore=ignore, symlinks=True)


def test_deb_builds_lintian_clean_and_installs(tmp_path):
    need("dpkg-buildpackage", "dpkg-dev")
    need("dh", "debhelper")
    need("lintian", "lintian")
    src = tmp_path / "vswitch"
    clean_copy(str(src))
    env = clean_env(DEB_BUILD_OPTIONS="nocheck parallel=2")
    r = run("dpkg-buildpackage", "-us", "-uc", "-b", cwd=src, env=env, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    debs = [f for f in os.listdir(tmp_path) if f.startswith("vswitch_") and f.endswith(".deb")]
    assert len(debs) == 1, os.listdir(tmp_path)
    deb = str(tmp_path / debs[0])
    r = run("lintian", "--fail-on", "error,warning", deb)
    tags = [l for l in r.stdout.splitlines() if l[:2] in ("E:", "W:")]
    assert r.returncode == 0 and not tags, r.stdout + r.stderr

    root = tmp_path / "root"
    assert run("dpkg-deb", "-x", deb, str(root)).returncode == 0
    for f in ("usr/sbin/vswitchd", "usr/sbin/vswitch-docker-plugin", "usr/bin/vsctl",
              "usr/lib/cni/vswitch"):
        assert os.access(root / f, os.X_OK), f
    for f in ("lib/systemd/system/vswitchd.service",
              "lib/systemd/system/vswitch-docker-plugin.service",
              "usr/lib/systemd/user/vswitchd.service", "etc/default/vswitchd",
              "usr/share/bash-completion/completions/vsctl",
              "usr/share/man/man8/vswitchd.8.gz", "usr/share/man/man8/vsctl.8.gz",
              "usr/share/man/man8/vswitch-cni.8.gz",
              "usr/share/man/man8/vswitch-docker-plugin.8.gz",
              "usr/share/doc/vswitch/copyright", "usr/lib/sysusers.d/vswitch.conf"):
        assert (root / f).exists(), f
    assert not (root / "opt").exists()
    assert "/usr/sbin/vswitchd" in (root / "lib/systemd/system/vswitchd.service").read_text()
    info = run("dpkg-deb", "-I", deb).stdout
    assert "Package: vswitch" in info and "Depends:" in info
    # vswitchd dlopen()s libcurl for --cluster, which dh_shlibdeps cannot see
    depends = next(l for l in info.splitlines() if l.strip().startswith("Depends:"))
    assert "libcurl4" in depends, depends
    # the default file is a conffile: an admin's edits survive upgrades
    assert "/etc/default/vswitchd" in run("dpkg-deb", "-I", deb, "conffiles").stdout
    # the unpacked programs run
    for prog in ("usr/sbin/vswitchd", "usr/bin/vsctl"):
        r = run(str(root / prog), "--version")
        assert r.returncode == 0 and "0.1.0" in r.stdout, (prog, r.stderr)
