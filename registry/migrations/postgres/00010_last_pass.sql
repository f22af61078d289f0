-- When each site last passed, kept in its state as every check passes,
-- so that the export and `sites show` answer "when did it last pass" for
-- any number of sites without reading their history. Filled for existing
-- sites from the history (the latest pass entry's last-seen time).

-- +goose Up
ALTER TABLE site_state ADD COLUMN last_pass_at TIMESTAMPTZ;
UPDATE site_state st SET last_pass_at = r.at
FROM (SELECT site_id, MAX(COALESCE(last_seen_at, checked_at)) AS at FROM check_results
      WHERE verdict = 'pass' GROUP BY site_id) r
WHERE r.site_id = st.site_id;

-- +goose Down
ALTER TABLE site_state DROP COLUMN last_pass_at;
