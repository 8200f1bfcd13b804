-- Reserved for the agent protocol (issue 5): node tokens, job logs and metric points.
SELECT 1;
