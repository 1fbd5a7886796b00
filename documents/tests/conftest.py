"""A real clamd for the scanning tests: started once per session, stopped at the end.

Virus definitions cannot be downloaded here, so the signature database holds
one signature, made by ``sigtool`` from the EICAR test file. clamd comes from
Debian's clamav-daemon (CI installs it); when it is missing the tests that
need it fail with a message saying so: they are never skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from .factories import EICAR


@pytest.fixture(scope="session")
def clamd_url(tmp_path_factory):
    clamd_bin, sigtool = shutil.which("clamd") or "/usr/sbin/clamd", shutil.which("sigtool")
    if not (shutil.which(clamd_bin) and sigtool):
        pytest.fail("clamd and sigtool are required for the scanning tests: apt-get install clamav-daemon", pytrace=False)
    root = tmp_path_factory.mktemp("clamd")
    db = root / "db"
    db.mkdir()
    (root / "eicar.com").write_bytes(EICAR)
    signature = subprocess.run([sigtool, "--md5", str(root / "eicar.com")], capture_output=True, check=True, text=True)
    (db / "eicar.hdb").write_text(signature.stdout)
    socket = root / "clamd.sock"
    conf = root / "clamd.conf"
    conf.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"LocalSocket {socket}",
                f"DatabaseDirectory {db}",
                f"LogFile {root / 'clamd.log'}",
                "StreamMaxLength 1M",
                "",
            ]
        )
    )
    process = subprocess.Popen([clamd_bin, "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"unix://{socket}"
    import clamd

    deadline = time.monotonic() + 60
    while True:
        try:
            if clamd.ClamdUnixSocket(path=str(socket), timeout=2).ping() == "PONG":
                break
        except Exception:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"clamd did not start: {output[-2000:]}", pytrace=False)
        time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def scanning(settings, clamd_url):
    """ClamAV configured for this test (the real clamd above), with a 1 MiB scan limit."""
    settings.CLAMAV_URL = clamd_url
    settings.CLAMAV_MAX_BYTES = 1024 * 1024
    return clamd_url
