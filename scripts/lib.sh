# Shared by scripts/portal and scripts/test: install and start what the portal needs, idempotently.
# Services bind to 127.0.0.1 only. Sourced, not run.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$REPO/.state"                                  # this checkout's inis, logs, pids, uploads
SHARED="${CITYOPENDATA_HOME:-$HOME/.cityopendata}"    # services shared by checkouts (Solr, Redis)
VENV="$REPO/.venv"
PY="${PYTHON:-python3}"
CKAN="$VENV/bin/ckan"
CHECKOUT_ID=$(printf %s "$REPO" | sha1sum | cut -c1-8)
PG_VERSION=15
PG_HOST=127.0.0.1
PG_PORT="${CITYOPENDATA_PG_PORT:-5432}"
PG_USER=ckan
PG_PASS=ckan
REDIS_PORT="${CITYOPENDATA_REDIS_PORT:-6379}"
SOLR_PORT="${CITYOPENDATA_SOLR_PORT:-8983}"
SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr"
LOGS="$STATE/logs"
mkdir -p "$STATE" "$LOGS" "$SHARED"

STEP_NO=0
STEP_TOTAL="${STEP_TOTAL:-?}"
STEP_LOG=""

# step NAME FUNCTION [ARGS...]: run one step with its output in a log; on failure print one line
# naming the step, the log's tail, and exit non-zero.
step() {
    local name=$1; shift
    STEP_NO=$((STEP_NO + 1))
    STEP_LOG="$LOGS/step-$(printf %02d $STEP_NO)-$(echo "$1" | tr '_' '-').log"
    local started=$SECONDS
    printf '[%s/%s] %s ... ' "$STEP_NO" "$STEP_TOTAL" "$name"
    local rc=0
    set +e
    ( set -e; "$@" ) >"$STEP_LOG" 2>&1
    rc=$?
    set -e
    if [ $rc -eq 0 ]; then
        printf 'ok (%ss)\n' $((SECONDS - started))
    else
        printf 'FAILED\n'
        tail -n 15 "$STEP_LOG" | sed 's/^/    /' >&2
        echo "cityopendata: step '$name' failed; full log: $STEP_LOG" >&2
        exit 1
    fi
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

install_system_packages() {
    local missing=()
    [ -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ] || missing+=("postgresql-$PG_VERSION")
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || missing+=(maven)
    ldconfig -p | grep -q libmagic.so.1 || missing+=(libmagic1)
    command -v curl >/dev/null || missing+=(curl)
    command -v npm >/dev/null || missing+=(npm); command -v chromium >/dev/null || missing+=(chromium)
    [ ${#missing[@]} -eq 0 ] && { echo "all present"; return 0; }
    echo "installing: ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
}

python_env() {
    local stamp="$VENV/.cityopendata-stamp"
    local want
    want=$(cat "$REPO/scripts/requirements.txt" "$REPO/scripts/constraints.txt" "$REPO/setup.py" | sha1sum | cut -c1-16)
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        echo "up to date"; return 0
    fi
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip "setuptools==84.2.1" wheel
    "$VENV/bin/pip" install -r "$REPO/scripts/requirements.txt" -c "$REPO/scripts/constraints.txt"
    "$VENV/bin/pip" install --no-deps -e "$REPO"
    echo "$want" > "$stamp"
}

# Chart.js and the compiled translations of the portal pages (scripts/portal-assets).
portal_assets() { "$REPO/scripts/portal-assets"; }

start_postgres() {
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -q "^$PG_VERSION main$"; then
        as_root pg_createcluster "$PG_VERSION" main -p "$PG_PORT"
    fi
    if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
        as_root pg_ctlcluster "$PG_VERSION" main start
    fi
    for _ in $(seq 30); do pg_isready -h "$PG_HOST" -p "$PG_PORT" -q && break; sleep 1; done
    pg_isready -h "$PG_HOST" -p "$PG_PORT"
    as_postgres psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qAt <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASS' CREATEDB;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'datastore_ro') THEN
    CREATE ROLE datastore_ro LOGIN PASSWORD 'datastore_ro';
  END IF;
END \$\$;
SQL
}

# ensure_database NAME: create it (owned by ckan) if missing. A DataStore database gets its
# permissions from `ckan datastore set-permissions` once CKAN is configured.
ensure_database() {
    local name=$1
    if ! as_postgres psql -p "$PG_PORT" -qAtc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
        as_postgres createdb -p "$PG_PORT" -O "$PG_USER" -E UTF-8 -T template0 "$name"
    fi
}

start_redis() {
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then echo "running"; return 0; fi
    mkdir -p "$SHARED/redis"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$SHARED/redis" \
        --pidfile "$SHARED/redis/redis.pid" --logfile "$SHARED/redis/redis.log" --save "" --appendonly no
    for _ in $(seq 20); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.5; done
    return 1
}

build_solr() {
    local src="$REPO/scripts/solr" want
    want=$(cat "$src/pom.xml" "$src"/src/main/java/vn/cityopendata/solr/*.java | sha1sum | cut -c1-16)
    local dest="$SHARED/solr/dist-$want"
    if [ -f "$dest/.built" ]; then echo "already built: $dest"; else
        mvn -q -B -f "$src/pom.xml" package dependency:copy-dependencies -DincludeScope=runtime
        rm -rf "$dest"; mkdir -p "$dest"
        cp -r "$src/target/classes" "$dest/classes"
        cp -r "$src/target/dependency" "$dest/lib"
        touch "$dest/.built"
    fi
    ln -sfn "$dest" "$SHARED/solr/dist"
}

solr_up() { curl -fsS "$SOLR_URL/admin/info/system?wt=json" >/dev/null 2>&1; }

start_solr() {
    local home="$SHARED/solr/home"
    mkdir -p "$home"
    [ -f "$home/solr.xml" ] || echo '<solr></solr>' > "$home/solr.xml"
    if solr_up; then echo "running"; return 0; fi
    nohup java -Xmx768m -Dsolr.log.dir="$SHARED/solr" -Dlog4j2.formatMsgNoLookups=true \
        -cp "$SHARED/solr/dist/classes:$SHARED/solr/dist/lib/*" vn.cityopendata.solr.SolrMain \
        "$home" "$SOLR_PORT" >"$SHARED/solr/solr.out" 2>&1 &
    echo $! > "$SHARED/solr/solr.pid"
    for _ in $(seq 90); do solr_up && { echo "started"; return 0; }; sleep 1; done
    tail -20 "$SHARED/solr/solr.out"; return 1
}

# ensure_solr_core NAME: a core with CKAN's own schema.xml (from the installed CKAN).
ensure_solr_core() {
    local name=$1 dir="$SHARED/solr/home/$1"
    if curl -fsS "$SOLR_URL/admin/cores?action=STATUS&core=$name&wt=json" | grep -q '"instanceDir"'; then
        echo "core $name exists"; return 0
    fi
    mkdir -p "$dir/conf"
    cp "$("$VENV/bin/python" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config/solr/schema.xml"))')" "$dir/conf/schema.xml"
    cp "$REPO/scripts/solr/solrconfig.xml" "$dir/conf/solrconfig.xml"
    touch "$dir/conf/synonyms.txt" "$dir/conf/stopwords.txt" "$dir/conf/protwords.txt"
    rm -f "$dir/core.properties"
    curl -fsS "$SOLR_URL/admin/cores?action=CREATE&name=$name&instanceDir=$dir&wt=json"
}

# pid_alive FILE: the process in the pid file runs.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() {
    local file=$1
    if pid_alive "$file"; then
        kill "$(cat "$file")" 2>/dev/null || true
        for _ in $(seq 20); do pid_alive "$file" || break; sleep 0.5; done
        pid_alive "$file" && kill -9 "$(cat "$file")" 2>/dev/null || true
    fi
    rm -f "$file"
}

# Plugins and options come from scripts/ini.d, one pair of fragments per feature, merged in name
# order: NN-feature.plugins (plugin names), NN-feature.ini (options for the portal and the tests),
# NN-feature.test.ini (options for the tests only).
INI_D="$REPO/scripts/ini.d"
plugins_from_fragments() { cat "$INI_D"/*.plugins | grep -v '^#' | tr '\n' ' ' | tr -s ' '; }

# write_ini FILE DB CORE REDIS_DB SITE_URL [test]: a CKAN ini made by `ckan generate config`, then
# the computed options, the fragments and any "key = value" lines on stdin merged in with
# `ckan config-tool`. $PLUGINS, when set, replaces the fragments' plugin list and options.
write_ini() {
    local file=$1 db=$2 core=$3 redis_db=$4 site_url=$5 kind=${6:-portal}
    local opts plugins fragment
    opts=$(mktemp)
    plugins=${PLUGINS:-$(plugins_from_fragments)}
    [ -f "$file" ] || "$CKAN" generate config "$file" >/dev/null
    mkdir -p "$STATE/storage"
    {
        cat <<INI
[app:main]
sqlalchemy.url = postgresql://$PG_USER:$PG_PASS@$PG_HOST:$PG_PORT/$db
ckan.datastore.write_url = postgresql://$PG_USER:$PG_PASS@$PG_HOST:$PG_PORT/${db}_datastore
ckan.datastore.read_url = postgresql://datastore_ro:datastore_ro@$PG_HOST:$PG_PORT/${db}_datastore
solr_url = $SOLR_URL/$core
ckan.redis.url = redis://127.0.0.1:$REDIS_PORT/$redis_db
ckan.site_url = $site_url
ckan.site_id = $core
ckan.plugins = $plugins
ckan.storage_path = $STATE/storage/$core
ckan.harvest.mq.type = redis
ckan.harvest.mq.hostname = 127.0.0.1
ckan.harvest.mq.port = $REDIS_PORT
ckan.harvest.mq.redis_db = $redis_db
ckanext.xloader.jobs_db.uri = postgresql://$PG_USER:$PG_PASS@$PG_HOST:$PG_PORT/$db
INI
        if [ -z "${PLUGINS:-}" ]; then
            for fragment in "$INI_D"/*.ini; do
                case "$fragment" in *.test.ini) [ "$kind" = test ] || continue ;; esac
                grep -v '^\[app:main\]' "$fragment"; echo
            done
        fi
        cat
    } > "$opts"
    sed -i '1!{/^\[app:main\]/d}' "$opts"
    "$CKAN" config-tool "$file" -f "$opts"
    rm -f "$opts"
}

# migrations_stamp: changes whenever something that could bring a migration changes.
migrations_stamp() {
    { cat "$REPO/scripts/constraints.txt" "$INI_D"/*.plugins
      find "$REPO/ckanext-cityopendata" "$REPO/harvesters" -path '*migration*versions*' -name '*.py' | sort | xargs -r cat
    } | sha1sum | cut -c1-16
}

# migrate_once INI DB COMMANDS...: run the migration function unless this database is already at
# the current stamp (each `ckan` start costs seconds).
migrate_once() {
    local db=$1; shift
    local file="$STATE/migrated-$db" want
    want=$(migrations_stamp)
    if [ "$(cat "$file" 2>/dev/null)" = "$want" ]; then echo "up to date"; return 0; fi
    "$@"
    echo "$want" > "$file"
}
