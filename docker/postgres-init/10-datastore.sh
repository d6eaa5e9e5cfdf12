#!/bin/sh
# Creates the DataStore database and its read-only role on the first start of PostgreSQL.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE datastore_ro LOGIN PASSWORD '${DATASTORE_READONLY_PASSWORD}';
CREATE DATABASE datastore OWNER ${POSTGRES_USER} ENCODING 'UTF-8';
SQL
