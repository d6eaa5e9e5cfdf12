#!/bin/sh
# Writes ckan.ini from the environment, applies migrations (web only), then runs the given role.
set -eu
SRC=/srv/app/src/ckanext-cityopendata
ckan generate config "$CKAN_INI" >/dev/null
# The same plugins and options as the development portal: the fragments in scripts/ini.d
# (test-only fragments left out); the environment below overrides them.
opts=$(mktemp)
echo "[app:main]" > "$opts"
for fragment in "$SRC"/scripts/ini.d/*.ini; do
  case "$fragment" in *.test.ini) continue ;; esac
  grep -v '^\[app:main\]' "$fragment" >> "$opts"
done
ckan config-tool "$CKAN_INI" -f "$opts" >/dev/null
rm -f "$opts"
CKAN_PLUGINS="${CKAN_PLUGINS:-$(cat "$SRC"/scripts/ini.d/*.plugins | grep -v '^#' | tr '\n' ' ')}"
ckan config-tool "$CKAN_INI" \
  "sqlalchemy.url=$CKAN_SQLALCHEMY_URL" \
  "ckan.datastore.write_url=$CKAN_DATASTORE_WRITE_URL" \
  "ckan.datastore.read_url=$CKAN_DATASTORE_READ_URL" \
  "solr_url=$CKAN_SOLR_URL" \
  "ckan.redis.url=$CKAN_REDIS_URL" \
  "ckan.site_url=$CKAN_SITE_URL" \
  "ckan.site_id=${CKAN_SITE_ID:-cityopendata}" \
  "ckan.storage_path=$CKAN_STORAGE_PATH" \
  "ckan.plugins=${CKAN_PLUGINS}" \
  "ckan.locale_default=vi" "ckan.locale_order=vi en" "ckan.locales_offered=vi en" \
  "ckan.harvest.mq.type=redis" "ckan.harvest.mq.hostname=redis" \
  "ckanext.xloader.api_token=${CKANEXT_XLOADER_API_TOKEN:-unset}" \
  "ckanext.xloader.jobs_db.uri=$CKAN_SQLALCHEMY_URL" \
  "ckanext.cityopendata.city_name=${CITY_NAME:-Đà Nẵng}" \
  "ckanext.cityopendata.city_name_en=${CITY_NAME_EN:-Da Nang}" \
  "ckanext.cityopendata.portal.api_rate_limit=${API_RATE_LIMIT:-60/minute}" \
  "ckanext.cityopendata.portal.api_rate_limit_exempt=${API_RATE_LIMIT_EXEMPT:-}" \
  "ckanext.cityopendata.portal.trusted_proxies=${TRUSTED_PROXIES:-}" \
  "SECRET_KEY=$CKAN_SECRET_KEY" >/dev/null

case "${1:-web}" in
  web)
    ckan db upgrade
    ckan db upgrade -p harvest
    ckan db pending-migrations --apply
    exec gunicorn --bind 0.0.0.0:5000 --workers "${WEB_WORKERS:-4}" --timeout 120 wsgi:application ;;
  worker) exec ckan jobs worker default ;;
  harvest-gather) exec ckan harvester gather-consumer ;;
  harvest-fetch) exec ckan harvester fetch-consumer ;;
  harvest-run) exec sh -c 'while true; do ckan harvester run; sleep 300; done' ;;
  *) exec "$@" ;;
esac
