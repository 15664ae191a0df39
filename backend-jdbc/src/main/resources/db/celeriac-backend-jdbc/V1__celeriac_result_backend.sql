-- Celeriac's own result-backend tables (NOT Celery's celery_taskmeta / celery_tasksetmeta).
-- Portable SQL: the only vendor differences are the column types, given as Flyway placeholders
-- by org.celeriac.backend.jdbc.Vendor:  ${bytes} (encoded values), ${text} (tracebacks),
-- ${timestamp} (UTC date-times, microseconds).
-- No IF NOT EXISTS: these tables share a schema with transport-sql's (the embedded H2 file), so a
-- name clash must fail loudly instead of silently reusing a table of another shape.

CREATE TABLE celeriac_taskmeta (
    task_id      VARCHAR(255) NOT NULL PRIMARY KEY,
    status       VARCHAR(255) NOT NULL,
    result       ${bytes},
    traceback    ${text},
    children     ${bytes},
    date_done    ${timestamp},
    name         VARCHAR(255),
    args         ${bytes},
    kwargs       ${bytes},
    worker       VARCHAR(255),
    retries      INTEGER,
    queue        VARCHAR(255),
    group_id     VARCHAR(255),
    parent_id    VARCHAR(255),
    content_type VARCHAR(128) NOT NULL,
    expires_at   ${timestamp}
);
CREATE INDEX celeriac_taskmeta_expires_at ON celeriac_taskmeta (expires_at);

CREATE TABLE celeriac_groupmeta (
    group_id     VARCHAR(255) NOT NULL PRIMARY KEY,
    result       ${bytes},
    content_type VARCHAR(128) NOT NULL,
    date_done    ${timestamp},
    expires_at   ${timestamp}
);
CREATE INDEX celeriac_groupmeta_expires_at ON celeriac_groupmeta (expires_at);

CREATE TABLE celeriac_chord (
    group_id     VARCHAR(255) NOT NULL PRIMARY KEY,
    counter      BIGINT NOT NULL,
    expires_at   ${timestamp}
);

-- Coordination: leases (owner + expires_at), counters (num_value) and key/value (kv_value) with TTL.
CREATE TABLE celeriac_backend_kv (
    kv_key       VARCHAR(255) NOT NULL PRIMARY KEY,
    kv_value     ${bytes},
    num_value    BIGINT,
    owner        VARCHAR(255),
    expires_at   ${timestamp}
);
