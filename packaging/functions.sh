# Shell functions for the maintainer scripts of the tipskiosk packages, about systemd units. scripts/package puts
# this file in place of the line `#PACKAGING_FUNCTIONS#` of each script in packaging/*/ (and users.sh in place of
# `#PACKAGING_USERS#`), the way debhelper fills in its snippets: one copy here, none in the scripts. POSIX sh:
# maintainer scripts run under /bin/sh.

# Is systemd the running init (not a chroot, not a container without it)? Units are started and stopped
# only then; in a chroot the kernel settings, the console and the services are the host's.
systemd_running() {
	[ -d /run/systemd/system ]
}

# Enables a unit on the first installation, and keeps what the administrator chose on an upgrade (what
# debhelper's dh_installsystemd writes).
enable_unit() {
	deb-systemd-helper unmask "$1" >/dev/null || true
	if deb-systemd-helper --quiet was-enabled "$1"; then
		deb-systemd-helper enable "$1" >/dev/null || true
	else
		deb-systemd-helper update-state "$1" >/dev/null || true
	fi
}

# A unit this package ships but does not enable: only its state is kept, so that purge can clean it up.
track_unit() {
	if deb-systemd-helper debian-installed "$1" && deb-systemd-helper --quiet was-enabled "$1"; then
		deb-systemd-helper enable "$1" >/dev/null || true
	fi
	deb-systemd-helper update-state "$1" >/dev/null || true
}

# Starts units after an installation, restarts them after an upgrade ($1 of postinst is the old version).
start_units() {
	old_version=$1
	shift
	systemd_running || return 0
	systemctl --system daemon-reload >/dev/null || true
	if [ -n "$old_version" ]; then action=restart; else action=start; fi
	deb-systemd-invoke "$action" "$@" >/dev/null || true
}

stop_units() {
	systemd_running || return 0
	deb-systemd-invoke stop "$@" >/dev/null || true
}

# On purge: every link and state file deb-systemd-helper keeps for these units.
purge_units() {
	for unit in "$@"; do
		deb-systemd-helper purge "$unit" >/dev/null || true
		deb-systemd-helper unmask "$unit" >/dev/null || true
	done
}
