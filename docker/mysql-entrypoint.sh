#!/bin/sh
# MariaDB or MySQL with the official images' contract: MARIADB_* variables with
# MYSQL_* as fallback (MYSQL_* only for MySQL), /docker-entrypoint-initdb.d,
# and a temporary socket-only server during initialisation, so that
# ": ready for connections" appears twice, as testcontainers expects.
set -eu
ROOT_PASSWORD=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
DATABASE=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
USER_NAME=${MARIADB_USER:-${MYSQL_USER:-}}
USER_PASSWORD=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
[ -n "$ROOT_PASSWORD" ] || { echo "MARIADB_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD must be set" >&2; exit 1; }
if command -v mariadbd >/dev/null 2>&1; then
  SERVER="mariadbd" CLIENT="mariadb"
else
  SERVER="mysqld" CLIENT="mysql"
fi
DATADIR=/var/lib/mysql SOCKET=/run/mysqld/init.sock
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld

if [ ! -d "$DATADIR/mysql" ]; then
  if [ "$CLIENT" = mariadb ]; then
    mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db \
      --auth-root-authentication-method=normal >/dev/null
  else
    mysqld --initialize-insecure --user=mysql --datadir="$DATADIR"
  fi
  $SERVER --user=mysql --datadir="$DATADIR" --skip-networking --socket="$SOCKET" &
  pid=$!
  for _ in $(seq 120); do
    $CLIENT -uroot --socket="$SOCKET" -e "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.5
  done
  {
    # Anonymous users (MariaDB's install creates them) would shadow root@'%'.
    echo "DROP USER IF EXISTS ''@'localhost', ''@'$(hostname)';"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY '$ROOT_PASSWORD';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$ROOT_PASSWORD';"
    [ -z "$DATABASE" ] || echo "CREATE DATABASE IF NOT EXISTS \`$DATABASE\`;"
    if [ -n "$USER_NAME" ] && [ "$USER_NAME" != root ]; then
      echo "CREATE USER '$USER_NAME'@'%' IDENTIFIED BY '$USER_PASSWORD';"
      [ -z "$DATABASE" ] || echo "GRANT ALL ON \`$DATABASE\`.* TO '$USER_NAME'@'%';"
    fi
    echo "FLUSH PRIVILEGES;"
  } | $CLIENT -uroot --socket="$SOCKET"
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) $CLIENT -uroot -p"$ROOT_PASSWORD" --socket="$SOCKET" ${DATABASE:+"$DATABASE"} <"$f" ;;
      *.sh) . "$f" ;;
    esac
  done
  kill "$pid" && wait "$pid" || true
fi
exec $SERVER --user=mysql --datadir="$DATADIR"
