-- One small committed insert per transaction: the worst case for per-commit capture costs.
\set v random(1, 1000000)
INSERT INTO bench (v, note) VALUES (:v, 'pgbench row');
