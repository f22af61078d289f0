-- Half of each site_state page is left free (85% full before).
--
-- 00002 meant leasing to update rows in place (HOT): it changes no
-- indexed column. But a lease updates a whole batch at once, and sites
-- due together sit together (an import writes them in order), so at 85%
-- a page had room for the new versions of only a few of its rows: 29% of
-- a first cycle's lease updates were HOT, the rest wrote four index
-- entries each. At 50% it was 92%, and the lease statement took 84 ms
-- instead of 364 ms of PostgreSQL's time for 10,000 sites (24,000 WAL
-- records instead of 50,000). The state update after a check changes
-- next_check_at, so it is never HOT, but it too finds room on the row's
-- own page. The table takes about twice the disk.
--
-- fillfactor applies to pages written from now on; VACUUM FULL site_state
-- (it locks the table) applies it at once.

-- +goose Up
ALTER TABLE site_state SET (fillfactor = 50);

-- +goose Down
ALTER TABLE site_state SET (fillfactor = 85);
