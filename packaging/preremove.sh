#!/bin/sh
# Stop and disable the service before its files go (on removal, not on an
# upgrade: dpkg passes "upgrade", rpm a count of 1).
set -e
case "$1" in
upgrade | 1) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl disable --now banscope.service >/dev/null 2>&1 || true
fi
exit 0
