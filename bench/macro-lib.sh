# bench/macro-lib.sh - what the wrk benchmarks of "make bench" share
# (bench/run-macro, bench/run-estate-macro): httpd configurations for
# edges in front of one TLS backend, starting and stopping them, one
# wrk run, the order of the rounds, CPU of an edge from /proc and the
# median.  Sourced, not run.
#
# The sourcing script sets ME (its name, for messages) and B (its
# directory under build/bench/) and calls macro_init, which checks what
# is needed and prepares $B.  BENCH_CONNS sets wrk's connections (32).

CONNS=${BENCH_CONNS:-32}
TOP=$(pwd)
MODS=/usr/lib/apache2/modules
HTTPD=/usr/sbin/apache2
BACKEND_PORT=${BACKEND_PORT:-9443}

macro_init() {
    for f in "$TOP/build/mod_migate.so" "$TOP/build/pki/mi.crt"; do
        [ -f "$f" ] || { echo "$ME: $f missing (make module pki)" >&2;
                         exit 1; }
    done
    for c in wrk curl "$HTTPD"; do
        command -v "$c" >/dev/null 2>&1 || { echo "$ME: no $c" >&2;
                                             exit 1; }
    done
    rm -rf "$B"
    mkdir -p "$B/logs" "$B/www"
    printf '{"status":"ok","service":"bench","items":[1,2,3,4,5,6,7,8]}\n' \
        >"$B/www/index.json"
    chmod -R a+rX "$B/www"
    user=""
    if [ "$(id -u)" = 0 ]; then
        user="User www-data
Group www-data"
        chown www-data "$B/logs" 2>/dev/null || true
    fi
}

# The part every httpd shares: same MPM settings, no access log.
common() {
    cat <<EOC
ServerRoot "$B"
ServerName localhost
PidFile "$B/logs/$1.pid"
ErrorLog "$B/logs/$1_error.log"
LogLevel warn
DefaultRuntimeDir "$B/logs"
Mutex file:$B/logs
$user
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
StartServers 2
ServerLimit 4
ThreadsPerChild 32
MinSpareThreads 32
MaxSpareThreads 128
MaxRequestWorkers 128
KeepAlive On
MaxKeepAliveRequests 0
TraceEnable off
EOC
}

# An edge: proxy to the backend over verified TLS.
edge_head() {
    common "$1"
    cat <<EOC
Listen 127.0.0.1:$2
LoadModule socache_shmcb_module $MODS/mod_socache_shmcb.so
LoadModule ssl_module $MODS/mod_ssl.so
LoadModule proxy_module $MODS/mod_proxy.so
LoadModule proxy_http_module $MODS/mod_proxy_http.so
SSLProxyEngine on
SSLProxyCACertificateFile "$TOP/build/pki/ca.crt"
SSLProxyVerify require
SSLProxyCheckPeerName on
ProxyPass / https://localhost:$BACKEND_PORT/
EOC
}

# The backend: httpd + mod_ssl serving one static file.  The stand-in
# MI of the tests (mod_lua) would be the bottleneck and hide the edges'
# differences.
gen_backend() {
    common backend
    cat <<EOC
Listen 127.0.0.1:$BACKEND_PORT
LoadModule socache_shmcb_module $MODS/mod_socache_shmcb.so
LoadModule ssl_module $MODS/mod_ssl.so
LoadModule alias_module $MODS/mod_alias.so
SSLEngine on
SSLProtocol -all +TLSv1.2 +TLSv1.3
SSLCertificateFile "$TOP/build/pki/mi.crt"
SSLCertificateKeyFile "$TOP/build/pki/mi.key"
SSLSessionCache shmcb:$B/logs/ssl_scache(512000)
AliasMatch "^/" "$B/www/index.json"
<Directory "$B/www">
    Require all granted
</Directory>
EOC
}

stop_all() {
    for c in "$B"/*.conf; do
        [ -f "$c" ] || continue
        "$HTTPD" -f "$c" -k stop >/dev/null 2>&1 || true
    done
    # wait for the parents to be gone, so that ports are free again
    i=0
    while [ $i -lt 50 ] && ls "$B"/logs/*.pid >/dev/null 2>&1; do
        sleep 0.2
        i=$((i + 1))
    done
}

# Start every httpd of $B/*.conf; stop them all on exit.
start_all() {
    trap stop_all EXIT INT TERM
    for c in "$B"/*.conf; do
        if ! "$HTTPD" -f "$c" -k start; then
            echo "$ME: $c does not start:" >&2
            tail -5 "$B/logs/$(basename "$c" .conf)_error.log" >&2 || true
            exit 1
        fi
    done
}

# wait_status NAME PORT PATH CODE [TRIES]: wait (bounded: TRIES x 0.2 s,
# 100) until the edge answers PATH with CODE; fail the run if it never
# does.
wait_status() {
    i=0
    code=000
    while [ $i -lt "${5:-100}" ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' \
               "http://127.0.0.1:$2$3" || true)
        [ "$code" = "$4" ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    echo "$ME: $1 answers $code for $3" >&2
    exit 1
}

# One wrk run: "name rps p99_ms non2xx requests".
run_wrk() {
    out=$(wrk -t1 -c"$CONNS" -d"$3"s --latency "http://127.0.0.1:$2$4" \
          2>&1) || true
    echo "$out" | awk -v name="$1" '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /s$/)  return v * 1000
            return v
        }
        /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        / requests in / { n = $1 }
        END { printf "%s %s %s %s %s\n", name, rps + 0, p99 + 0, bad + 0, n + 0 }'
}

# rotate R WORD...: the words starting at the R-th (1-based, cyclic), so
# that no edge always runs first or last.
rotate() {
    r=$1
    shift
    shift $(( (r - 1) % $# ))
    echo "$*"
}

# The rotated list of round R over the words of LIST.
round_order() {
    # shellcheck disable=SC2086  # $2 is a list of words
    order=$(rotate "$1" $2)
    for e in $2; do
        case " $order " in *" $e "*) ;; *) order="$order $e" ;; esac
    done
    echo "$order"
}

# edge_cpu NAME: clock ticks of CPU the edge NAME has used so far, user
# and system, of its parent, its live children and the children it has
# reaped (which the parent's cutime/cstime hold).
edge_cpu() {
    pid=$(cat "$B/logs/$1.pid")
    {
        cat "/proc/$pid/stat"
        for c in $(ps -o pid= --ppid "$pid"); do
            cat "/proc/$c/stat" 2>/dev/null || true
        done
    } | awk -v parent="$pid" '{
        # field 2 (comm) may hold spaces: count from after its ")"
        s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
        # f[1] is field 3 (state): utime is field 14, stime 15, cutime
        # 16, cstime 17
        t += f[12] + f[13]
        if ($1 == parent) t += f[14] + f[15]
    } END { print t + 0 }'
}

# An awk function: the median of arr[1..n] (sorts arr).
# shellcheck disable=SC2034  # read by the sourcing scripts
AWK_MEDIAN='
    function median(arr, n,   i, j, t) {
        for (i = 1; i <= n; i++)
            for (j = i + 1; j <= n; j++)
                if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
        return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
    }'
