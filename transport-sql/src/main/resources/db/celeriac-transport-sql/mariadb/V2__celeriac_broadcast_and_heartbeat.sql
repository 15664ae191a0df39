-- Broadcast (remote control, events): one row per published message, read by every subscriber from
-- the last id it saw; rows older than the broadcast TTL are deleted lazily by publishers.
CREATE TABLE IF NOT EXISTS celeriac_broadcast (
    id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    exchange     VARCHAR(255) NOT NULL,
    routing_key  VARCHAR(255) NOT NULL,
    published_at BIGINT       NOT NULL,
    headers      LONGBLOB NOT NULL,
    properties   LONGBLOB NOT NULL,
    body         LONGBLOB NOT NULL
) ENGINE=InnoDB;

CREATE INDEX IF NOT EXISTS celeriac_broadcast_published_at ON celeriac_broadcast (published_at);

-- Consumer heartbeats: a claimed message names its consumer (celeriac_message.claimed_by); the consumer
-- renews its row here once per interval, and the rows of a consumer whose heartbeat expired are released.
CREATE TABLE IF NOT EXISTS celeriac_heartbeat (
    owner      VARCHAR(64)  NOT NULL PRIMARY KEY,
    expires_at BIGINT       NOT NULL
) ENGINE=InnoDB;
