-- A read-only login for Grafana's PostgreSQL data source (the dashboard's
-- failing-sites table). It may read the sites, their domains and their
-- current state, and nothing else: operators, contacts and check history
-- hold personal data and evidence that a dashboard has no need of.
--
-- Run after the registry is migrated (the tables must exist), as the owner
-- of the tables, with the password as a psql variable:
--
--   psql -v ON_ERROR_STOP=1 -v grafana_password=… -f grafana.sql "$DSN"
--
-- Safe to run again: the role is created once, the password and the grants
-- are set each time.
SELECT 'CREATE ROLE grafana LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana')
\gexec
ALTER ROLE grafana LOGIN PASSWORD :'grafana_password';
-- Long or runaway dashboard queries must not hold the registry's workers up.
ALTER ROLE grafana SET statement_timeout = '10s';
ALTER ROLE grafana SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA public TO grafana;
GRANT SELECT ON sites, domains, site_state TO grafana;
