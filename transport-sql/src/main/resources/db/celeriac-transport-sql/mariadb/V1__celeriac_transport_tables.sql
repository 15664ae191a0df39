-- Celeriac's own SQL transport (celeriac-transport-sql) on MariaDB (10.6+, for SKIP LOCKED) and MySQL 8,
-- not kombu's SQL transport. InnoDB for row locks. Times are epoch milliseconds (BIGINT) from the
-- clients' clocks; 0 means "none". The (exchange, routing_key, queue) key fits InnoDB's 3072-byte
-- index limit in utf8mb4 (3 x 255 x 4 = 3060).

CREATE TABLE IF NOT EXISTS celeriac_message (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    queue          VARCHAR(255) NOT NULL,
    exchange       VARCHAR(255) NOT NULL,
    routing_key    VARCHAR(255) NOT NULL,
    priority       INTEGER      DEFAULT 0 NOT NULL,
    not_before     BIGINT       DEFAULT 0 NOT NULL,
    lease_until    BIGINT       DEFAULT 0 NOT NULL,
    claimed_by     VARCHAR(64),
    delivery_count INTEGER      DEFAULT 0 NOT NULL,
    published_at   BIGINT       NOT NULL,
    headers        LONGBLOB     NOT NULL,
    properties     LONGBLOB     NOT NULL,
    body           LONGBLOB     NOT NULL,
    INDEX celeriac_message_claim (queue, priority DESC, id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS celeriac_binding (
    exchange    VARCHAR(255) NOT NULL,
    routing_key VARCHAR(255) NOT NULL,
    queue       VARCHAR(255) NOT NULL,
    PRIMARY KEY (exchange, routing_key, queue)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS celeriac_dead_letter (
    id               BIGINT       NOT NULL PRIMARY KEY,
    queue            VARCHAR(255) NOT NULL,
    exchange         VARCHAR(255) NOT NULL,
    routing_key      VARCHAR(255) NOT NULL,
    priority         INTEGER      NOT NULL,
    delivery_count   INTEGER      NOT NULL,
    published_at     BIGINT       NOT NULL,
    dead_lettered_at BIGINT       NOT NULL,
    headers          LONGBLOB     NOT NULL,
    properties       LONGBLOB     NOT NULL,
    body             LONGBLOB     NOT NULL,
    INDEX celeriac_dead_letter_queue (queue, id)
) ENGINE=InnoDB;

-- Coordination (leases, counters, key/value with TTL) offered by Broker.coordination().
CREATE TABLE IF NOT EXISTS celeriac_kv (
    k          VARCHAR(255) NOT NULL PRIMARY KEY,
    owner      VARCHAR(255),
    n          BIGINT       DEFAULT 0 NOT NULL,
    v          LONGBLOB,
    expires_at BIGINT       DEFAULT 0 NOT NULL
) ENGINE=InnoDB;
