package org.celeriac.transport.redis;

/** The transport's Lua scripts. Each runs atomically on the Redis server. */
final class Scripts {
    private Scripts() {
    }

    /**
     * Lua shared by {@link #CLAIM} and {@link #ADOPT}. {@code collect(raw, time, zs, hs)} adds what recording an
     * envelope that has a delivery tag takes to {@code zs} (score/member pairs for {@code unacked_index}, KEYS[2]) and
     * {@code hs} (field/value pairs for {@code unacked}, KEYS[1]); {@code flush(zs, hs)} writes them with one ZADD and
     * one HSET; {@code record(raw, time)} does both for one envelope. As kombu's {@code QoS.append}: the hash value
     * embeds the raw envelope verbatim, {@code [<envelope>, "<exchange>", "<routing_key>"]}; garbage (no envelope, no
     * tag) is not recorded.
     */
    private static final String RECORD_FUNCTION = """
            local function j(v)
              if type(v) == 'string' then return cjson.encode(v) end
              return 'null'
            end
            local function collect(raw, time, zs, hs)
              -- kombu's own layout (Python's json.dumps, and ours byte for byte): the tag, a uuid, is the only
              -- "delivery_tag" key, inside "properties", next to "delivery_info": found with string scans instead
              -- of decoding the whole envelope; anything else is decoded
              local tag, entry
              local p = string.find(raw, '"properties": {', 1, true)
              if p then
                local t = string.find(raw, '"delivery_tag": "', 1, true)
                if t and t > p and not string.find(raw, '"delivery_tag": "', t + 1, true) then
                  local ex, rk = string.match(raw,
                      '"delivery_info": {"exchange": "([^"\\\\%c]*)", "routing_key": "([^"\\\\%c]*)"}', p)
                  tag = ex and string.match(raw, '^"delivery_tag": "([%x%-]+)"', t)
                  if tag then
                    entry = '[' .. raw .. ', "' .. ex .. '", "' .. rk .. '"]'
                  end
                end
              end
              if not tag then
                local ok, m = pcall(cjson.decode, raw)
                if ok and type(m) == 'table' and type(m.properties) == 'table'
                    and type(m.properties.delivery_tag) == 'string' then
                  local pr = m.properties
                  local ex, rk = nil, nil
                  if type(pr.delivery_info) == 'table' then
                    ex = pr.delivery_info.exchange
                    rk = pr.delivery_info.routing_key
                  end
                  tag = pr.delivery_tag
                  entry = '[' .. raw .. ', ' .. j(ex) .. ', ' .. j(rk) .. ']'
                end
              end
              if tag then
                zs[#zs + 1] = time
                zs[#zs + 1] = tag
                hs[#hs + 1] = tag
                hs[#hs + 1] = entry
              end
            end
            local function flush(zs, hs)
              if #zs > 0 then
                redis.call('ZADD', KEYS[2], unpack(zs))
                redis.call('HSET', KEYS[1], unpack(hs))
              end
            end
            local function record(raw, time)
              local zs, hs = {}, {}
              collect(raw, time, zs, hs)
              flush(zs, hs)
            end
            """;

    /**
     * The atomic claim. KEYS: unacked, unacked_index, then the lists in kombu's consuming order. ARGV: the
     * maximum count (at most {@link RedisConsumer#MAX_BATCH}: one ZADD and one HSET take all), the delivery time
     * (Unix seconds). Pops (RPOP with a count, the oldest first) up to that many messages, taking each list until it is
     * empty before the next, and records every message that has a delivery tag in {@code unacked}/{@code
     * unacked_index} as kombu's {@code QoS.append} does — in the same script, so no crash can lose a popped message.
     * The hash value embeds the raw envelope verbatim: {@code [<envelope>, "<exchange>", "<routing_key>"]}. Returns
     * {@code [listIndex, envelope, ...]} (1-based list index); messages without a tag (garbage) are returned but not
     * recorded.
     */
    static final LuaScript CLAIM = new LuaScript(RECORD_FUNCTION + """
            local n = tonumber(ARGV[1])
            local out = {}
            local zs, hs = {}, {}
            local got = 0
            for i = 3, #KEYS do
              if got >= n then break end
              local popped = redis.call('RPOP', KEYS[i], n - got)
              if popped then
                for _, raw in ipairs(popped) do
                  collect(raw, ARGV[2], zs, hs)
                  got = got + 1
                  out[#out + 1] = i - 2
                  out[#out + 1] = raw
                end
              end
            end
            flush(zs, hs)
            return out
            """);

    /**
     * Records a message that a consumer's blocking {@code BLMOVE <list> <in-flight list> RIGHT LEFT} moved into its
     * in-flight list: removes it from that list and, with ARGV[3] {@code record} and a delivery tag in it, records it
     * in {@code unacked}/{@code unacked_index} exactly as {@link #CLAIM} does ({@code remove}: only removes it — the
     * consumer settled it meanwhile). KEYS: unacked, unacked_index, the in-flight list. ARGV: the delivery time (Unix
     * seconds), the envelope, the mode. Records nothing when the message is no longer in the in-flight list (given
     * back meanwhile). Returns the number removed (0 or 1).
     */
    static final LuaScript ADOPT = new LuaScript(RECORD_FUNCTION + """
            local n = redis.call('LREM', KEYS[3], -1, ARGV[2])
            if n > 0 and ARGV[3] == 'record' then
              record(ARGV[2], ARGV[1])
            end
            return n
            """);

    /**
     * Gives back what in-flight lists hold (messages a blocking claim moved there and nobody recorded yet) to the
     * head of the lists they came from, oldest first at the head. KEYS: the in-flight registry hash (in-flight list
     * to source list), the in-flight index (in-flight list to the time its consumer last renewed it). ARGV[1]:
     * {@code dead} — every in-flight list whose score is at most ARGV[2] (its consumer stopped renewing: it died),
     * unregistered afterwards; {@code close} — the lists in ARGV[2..], unregistered afterwards; {@code reset} — the
     * lists in ARGV[2..], which stay registered. Returns the number of messages given back.
     */
    static final LuaScript RETURN_IN_FLIGHT = new LuaScript("""
            local lists
            if ARGV[1] == 'dead' then
              lists = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
            else
              lists = {}
              for i = 2, #ARGV do lists[#lists + 1] = ARGV[i] end
            end
            local n = 0
            for _, k in ipairs(lists) do
              local src = redis.call('HGET', KEYS[1], k)
              if src then
                while redis.call('LMOVE', k, src, 'LEFT', 'RIGHT') do n = n + 1 end
                if ARGV[1] ~= 'reset' then
                  redis.call('HDEL', KEYS[1], k)
                  redis.call('ZREM', KEYS[2], k)
                end
              elseif ARGV[1] ~= 'reset' and redis.call('LLEN', k) == 0 then
                redis.call('ZREM', KEYS[2], k)
              end
            end
            return n
            """);

    /**
     * Gives one unacknowledged message back. KEYS: unacked, unacked_index, then the target lists. ARGV: the
     * tag, the highest index score still restorable ({@code +inf} for requeue and close), the expected
     * {@code unacked} value or {@code ""} for any, the envelope to push, {@code L} (LPUSH, the tail: consumed
     * last — kombu's reject with requeue) or {@code R} (RPUSH, the head: consumed next — kombu's restore).
     * Does nothing (returns 0) when the tag was acked, restored or renewed meanwhile.
     */
    static final LuaScript RESTORE = new LuaScript("""
            local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
            if ARGV[2] ~= '+inf' and (not s or tonumber(s) > tonumber(ARGV[2])) then return 0 end
            local p = redis.call('HGET', KEYS[1], ARGV[1])
            if not p then
              redis.call('ZREM', KEYS[2], ARGV[1])
              return 0
            end
            if ARGV[3] ~= '' and p ~= ARGV[3] then return 0 end
            redis.call('ZREM', KEYS[2], ARGV[1])
            redis.call('HDEL', KEYS[1], ARGV[1])
            for i = 3, #KEYS do
              if ARGV[5] == 'L' then redis.call('LPUSH', KEYS[i], ARGV[4]) else redis.call('RPUSH', KEYS[i], ARGV[4]) end
            end
            return 1
            """);

    /** Acks (or drops) a batch: KEYS unacked, unacked_index; ARGV the tags. ZREM + HDEL atomically. */
    static final LuaScript ACK = new LuaScript("""
            for i = 1, #ARGV, 1000 do
              local last = math.min(i + 999, #ARGV)
              redis.call('ZREM', KEYS[2], unpack(ARGV, i, last))
              redis.call('HDEL', KEYS[1], unpack(ARGV, i, last))
            end
            return #ARGV
            """);

    /** Purge: KEYS the lists of a queue; returns the number of messages removed. */
    static final LuaScript PURGE = new LuaScript("""
            local n = 0
            for i = 1, #KEYS do
              n = n + redis.call('LLEN', KEYS[i])
              redis.call('DEL', KEYS[i])
            end
            return n
            """);

    /**
     * Takes a lock as redis-py's {@code Lock.acquire(blocking=False)} does ({@code SET key token NX PX ms}), or
     * renews it when it holds {@code token} already: KEYS the lock; ARGV the token, the expiry (ms). Returns 1
     * when the lock is held with {@code token}, 0 when someone else holds it. Re-entrant for one token, so a lock
     * whose reply was lost — lettuce sends a command again after a reconnect, and a restarted server may have
     * kept it in its AOF — is not left to expire (kombu's {@code unacked_mutex_expire}, 300 s) while restore waits.
     */
    static final LuaScript LOCK = new LuaScript("""
            local v = redis.call('GET', KEYS[1])
            if v == ARGV[1] then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return 1
            end
            if v then return 0 end
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1
            """);

    /** Releases a lock held with {@code SET key token NX PX} (redis-py {@code Lock.release}). */
    static final LuaScript UNLOCK = new LuaScript("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);
}
