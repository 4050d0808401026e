#!/bin/sh
# On purge (dpkg) or erase (rpm): the state (/var/lib/banscope, the
# service's StateDirectory) and the service's user go too.
set -e
case "$1" in
purge | 0)
	rm -rf /var/lib/banscope
	if getent passwd banscope >/dev/null; then
		userdel banscope >/dev/null 2>&1 || true
	fi
	if getent group banscope >/dev/null; then
		groupdel banscope >/dev/null 2>&1 || true
	fi
	;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
