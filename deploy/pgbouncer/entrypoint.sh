#!/bin/sh
# Writes the auth file from the environment (never baked into the image), then runs
# PgBouncer in the foreground, logging to stderr.
set -eu
: "${DB_USER:?set DB_USER}" "${DB_PASSWORD:?set DB_PASSWORD}"
umask 077
mkdir -p /tmp/pgbouncer
printf '"%s" "%s"\n' "$DB_USER" "$DB_PASSWORD" > /tmp/pgbouncer/userlist.txt
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
