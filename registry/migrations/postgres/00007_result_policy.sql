-- Each check records the policy it was judged under (checker.Policy.Name:
-- "builtin", or a policy file's name and short hash), so a verdict can be
-- read against the rules that made it. Older rows were judged by the rule
-- before policies existed: they say "legacy".
-- (00006 is the holiday calendar's; the numbers need not be contiguous.)

-- +goose Up
ALTER TABLE check_results ADD COLUMN policy TEXT NOT NULL DEFAULT 'legacy';

-- +goose Down
ALTER TABLE check_results DROP COLUMN policy;
