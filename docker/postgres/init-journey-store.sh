#!/bin/sh
# Runs once, when the postgres service initialises an empty data volume (/docker-entrypoint-initdb.d):
# a role and a database of their own for the post-visit journey store, next to n8n's database. The queue-mode
# test runs it against its throwaway cluster (PGHOST/PGPORT set) and keeps the store there.
set -eu
: "${POST_VISIT_DB_PASSWORD:?set POST_VISIT_DB_PASSWORD}"
role="${POST_VISIT_DB_USER:-post_visit}"
database="${POST_VISIT_DB_NAME:-post_visit}"

psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
	-v role="$role" -v database="$database" -v password="$POST_VISIT_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
-- Each database is reachable by its own role only (plus the superuser).
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SQL
echo "post-visit: journey store database \"$database\" owned by role \"$role\" created"
