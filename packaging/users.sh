# The maintainer scripts' function that makes a package's system user and folders; scripts/package puts this
# file in place of the line `#PACKAGING_USERS#` (see functions.sh). POSIX sh.

# The package's system user and folders, from its /usr/lib/sysusers.d and /usr/lib/tmpfiles.d file (both named
# NAME.conf): with systemd-sysusers and systemd-tmpfiles when they are there, else with adduser and the `d`
# lines of the tmpfiles.d file. The user is never removed again (Debian's practice for system users: files
# it owned must not pass to a later user that gets the same uid).
make_user_and_folders() {
	name=$1
	gecos=$2
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers "$name.conf"
	elif ! getent passwd "$name" >/dev/null; then
		adduser --quiet --system --group --home "/var/lib/$name" --no-create-home \
			--shell /usr/sbin/nologin --gecos "$gecos" "$name"
	fi
	if command -v systemd-tmpfiles >/dev/null 2>&1; then
		systemd-tmpfiles --create "$name.conf"
	else
		grep '^d ' "/usr/lib/tmpfiles.d/$name.conf" | while read -r _ path mode user group _; do
			mkdir -p "$path"
			chown "$user:$group" "$path"
			chmod "$mode" "$path"
		done
	fi
}
