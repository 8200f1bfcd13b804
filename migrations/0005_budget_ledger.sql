-- Reserved for the budget ledger (issue 6): filled by the ledger change.
SELECT 1;
