#!/bin/bash
# /usr/local/sbin/boot-test-diag (scripts/test-boot puts it into the test's image only; never in a package): the
# boot test's channel into the box. It reads one command a line from the second serial port (ttyS1, a socket of
# QEMU's on the host), "<id> <base64 of a shell command>", runs it as root and answers with one line,
# "DIAG-REPLY <id> <exit status> <base64 of its gzipped output>". It announces itself with
# "DIAG-READY <boot id>" each time it starts, so that the test knows which boot it talks to.
set -u
port=/dev/ttyS1
stty -F "$port" raw -echo 115200 2>/dev/null || true
exec 3<>"$port"
printf 'DIAG-READY %s\n' "$(cat /proc/sys/kernel/random/boot_id)" >&3
while IFS= read -r line <&3; do
  line=${line%$'\r'}
  id=${line%% *}
  encoded=${line#* }
  [ -n "$id" ] && [ "$id" != "$line" ] || continue
  if ! command=$(printf '%s' "$encoded" | base64 -d 2>/dev/null); then
    printf 'DIAG-REPLY %s 125 \n' "$id" >&3
    continue
  fi
  output=$(timeout 300 bash -c "$command" 2>&1 </dev/null | gzip -c | base64 -w0; exit "${PIPESTATUS[0]}")
  status=$?
  printf 'DIAG-REPLY %s %s %s\n' "$id" "$status" "$output" >&3
done
