#!/bin/sh
# Stops at once, naming the Debian packages to install, when a system
# requirement of `make start` / `make test` is missing. Prints PostgreSQL's
# bin directory on success. Usage: check-system.sh [--browser]
set -u
missing=""

bindir=""
for dir in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null)" \
    $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then
        bindir="$dir"
        break
    fi
done
if [ -z "$bindir" ]; then
    missing="$missing postgresql"
else
    major=$("$bindir/initdb" --version | sed -n 's/.* \([0-9][0-9]*\).*/\1/p')
    if [ "${major:-0}" -lt 13 ]; then
        echo "PostgreSQL $major found in $bindir; version 13 or newer is needed." >&2
        missing="$missing postgresql"
    fi
fi

# psycopg2 is built from source against libpq.
includedir=$(pg_config --includedir 2>/dev/null)
if [ -z "$includedir" ] || [ ! -f "$includedir/libpq-fe.h" ]; then
    missing="$missing libpq-dev"
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
    missing="$missing chromium"
fi

if [ -n "$missing" ]; then
    echo "Missing system packages:$missing" >&2
    echo "Install them first, e.g. (Debian/Ubuntu): sudo apt-get install$missing" >&2
    exit 1
fi
echo "$bindir"
