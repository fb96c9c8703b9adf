"""The README's promises checked against the code: the settings table is complete, and the nginx block is a
configuration nginx accepts, with the app's upload limit."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_read_from_the_environment_is_in_the_settings_table():
    config = (ROOT / "marketplace" / "config.py").read_text()
    read = set(re.findall(r'env(?:\.get\(|, )"([A-Z0-9_]+)"', config))
    documented = set(re.findall(r"`([A-Z0-9_]+)[`=]", README))
    assert {"SECRET_KEY", "LOG_FORMAT", "METRICS_ALLOW", "ARGON2_MEMORY_KIB"} <= read
    assert not read - documented


def _nginx_block():
    return re.search(r"```nginx\n(.*?)```", README, re.DOTALL).group(1)


def test_nginx_block_allows_the_apps_upload_limit(app):
    block = _nginx_block()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", block).group(1))
    assert megabytes * 1024 * 1024 == app.config["MAX_CONTENT_LENGTH"]
    for line in ("proxy_set_header X-Forwarded-Host $host;", "proxy_set_header X-Forwarded-For $remote_addr;",
                 "proxy_set_header X-Request-ID $request_id;", "gzip on;", "location /media/", "location /static/"):
        assert line in block


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_block(tmp_path):
    """`nginx -t` on the README's block, with a throw-away certificate in place of Let's Encrypt's."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=pasardesa.example", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    block = (_nginx_block()
             .replace("/etc/letsencrypt/live/pasardesa.example/fullchain.pem", str(tmp_path / "cert.pem"))
             .replace("/etc/letsencrypt/live/pasardesa.example/privkey.pem", str(tmp_path / "key.pem")))
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
                    f"http {{\naccess_log off;\n{block}\n}}\n")
    checked = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr
