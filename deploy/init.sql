-- Runs once, when the `postgres` service of docker-compose.yml starts on an empty data volume
-- (files in /docker-entrypoint-initdb.d run as POSTGRES_USER in POSTGRES_DB).
-- `tidings migrate` installs its capture trigger on every table deploy/tidings.yaml names and
-- fails when one is missing, so the demo table must exist before it runs.
CREATE TABLE IF NOT EXISTS public.todos (
    id bigserial PRIMARY KEY,
    title text NOT NULL,
    done boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
