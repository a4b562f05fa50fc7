#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, on 127.0.0.1 only, in a directory of its own.
#   scripts/postgres.sh start DIR   starts it and prints the base URL to give the tests
#                                   as SAFEKEEP_TEST_POSTGRES (postgres://postgres@127.0.0.1:PORT);
#                                   with openssl installed it also offers TLS, under a
#                                   throwaway authority in DIR/tls/ca.pem (give it to the
#                                   tests as SAFEKEEP_TEST_POSTGRES_CA)
#   scripts/postgres.sh stop DIR    stops it and removes DIR
# DIR is a new directory (mktemp -d) the postgres user can reach when run as root.
# Needs Debian's postgresql package (or initdb and pg_ctl on PATH). PostgreSQL refuses
# to run as root; as root the server runs as the `postgres` user the package creates.
set -euo pipefail

command=${1:-}
dir=${2:-}
[[ -n $command && -n $dir ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $dir == /* ]] || dir="$PWD/$dir"

bin=""
if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    bin="$(dirname "$(command -v pg_ctl)")"
else
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [[ -x $candidate/initdb ]] && { bin=$candidate; break; }
    done
fi
[[ -n $bin ]] || { echo "PostgreSQL (initdb, pg_ctl) is not installed" >&2; exit 3; }

as_owner=()
if [[ $(id -u) == 0 ]]; then
    id postgres >/dev/null 2>&1 || { echo "running as root needs a postgres user" >&2; exit 3; }
    as_owner=(runuser -u postgres --)
fi

case $command in
start)
    mkdir -p "$dir"
    [[ ${#as_owner[@]} == 0 ]] || chown postgres "$dir"
    # initdb and pg_ctl return to the current directory, which the postgres user may
    # not be allowed to enter (a checkout under /root): work from DIR.
    cd "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Test data only: no fsync (SAFEKEEP_PG_DURABLE=1 keeps it, for benchmarks),
    # sockets in DIR, TCP on loopback only.
    durability="-c fsync=off -c synchronous_commit=off"
    [[ ${SAFEKEEP_PG_DURABLE:-0} == 1 ]] && durability=""
    # TLS for the tests of `sslmode=require`: a throwaway authority and a certificate
    # for 127.0.0.1 signed by it, valid for two days.
    tls=""
    if command -v openssl >/dev/null; then
        mkdir -p tls
        (
            cd tls
            ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
            openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=Safekeep test CA" \
                -keyout ca.key -out ca.pem
            openssl req "${ec[@]}" -subj "/CN=localhost" -keyout server.key -out server.csr
            printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
                "basicConstraints=critical,CA:FALSE" "extendedKeyUsage=serverAuth" >server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                -days 2 -extfile server.ext -out server.pem
            chmod 600 server.key
        ) >"$dir/tls.log" 2>&1 || { cat "$dir/tls.log" >&2; exit 1; }
        [[ ${#as_owner[@]} == 0 ]] || chown -R postgres tls
        tls="-c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key"
    fi
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $dir $durability $tls -c max_connections=300" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port"
    ;;
stop)
    cd /
    if [[ -f $dir/data/postmaster.pid ]]; then
        "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
