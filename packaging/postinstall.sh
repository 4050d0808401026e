#!/bin/sh
# The service's user: a system account without a shell or home, in adm and
# systemd-journal to read the logs (the unit adds those groups as well).
# The service is not enabled or started: the user chooses when.
set -e
if ! getent passwd banscope >/dev/null; then
	if command -v adduser >/dev/null 2>&1 && adduser --help 2>&1 | grep -q -- --system; then
		adduser --system --group --no-create-home --home /var/lib/banscope --shell /usr/sbin/nologin --quiet banscope
	else
		groupadd --system banscope 2>/dev/null || true
		useradd --system --gid banscope --no-create-home --home-dir /var/lib/banscope --shell /usr/sbin/nologin banscope
	fi
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
