package org.celeriac.transport.redis;

import java.util.ArrayList;
import java.util.List;

/**
 * kombu's Redis key and channel names, with {@code global_keyprefix} applied. Immutable and thread-safe.
 */
final class KombuKeys {
    private final RedisTransportOptions options;
    private final int db;
    final String unacked;
    final String unackedIndex;
    final String unackedMutex;
    /** Celeriac's in-flight registry: hash in-flight list → the list its messages came from. */
    final String inFlight;
    /** Celeriac's in-flight index: zset in-flight list → when its consumer last renewed it (Unix seconds). */
    final String inFlightIndex;

    KombuKeys(RedisTransportOptions options, int db) {
        this.options = options;
        this.db = db;
        this.unacked = options.keyPrefix() + options.unackedKey();
        this.unackedIndex = options.keyPrefix() + options.unackedIndexKey();
        this.unackedMutex = options.keyPrefix() + options.unackedMutexKey();
        this.inFlight = options.keyPrefix() + "_celeriac.inflight";
        this.inFlightIndex = options.keyPrefix() + "_celeriac.inflight_index";
    }

    /** kombu's {@code _q_for_pri}: the list of a queue for a priority step (step 0: the queue's own name). */
    String list(String queue, int step) {
        return options.keyPrefix() + (step == 0 ? queue : queue + options.sep() + step);
    }

    /** The list a message of {@code priority} goes to. */
    String listFor(String queue, Integer priority) {
        return list(queue, options.step(priority));
    }

    /** All lists of a queue, highest priority (step 0) first. */
    List<String> lists(String queue) {
        List<String> out = new ArrayList<>();
        for (int step : options.prioritySteps()) {
            out.add(list(queue, step));
        }
        return out;
    }

    /**
     * kombu's consuming order ({@code _brpop_start}): every queue's step-0 list, then every queue's next step, …
     */
    List<String> consumeOrder(List<String> queues) {
        List<String> out = new ArrayList<>();
        for (int step : options.prioritySteps()) {
            for (String q : queues) {
                out.add(list(q, step));
            }
        }
        return out;
    }

    /** The in-flight list of one consumer's wake-up connection: {@code _celeriac.inflight.<consumer>.<n>}. */
    String inFlightList(String consumer, int n) {
        return inFlight + "." + consumer + "." + n;
    }

    /** The binding set of an exchange: {@code _kombu.binding.<exchange>}. */
    String bindings(String exchange) {
        return options.keyPrefix() + "_kombu.binding." + exchange;
    }

    /** A binding set member: {@code routing_key SEP pattern SEP queue}. */
    String bindingMember(String routingKey, String pattern, String queue) {
        return routingKey + options.sep() + pattern + options.sep() + queue;
    }

    /** Splits a binding member into routing key, pattern and queue; null when malformed. */
    String[] parseBinding(String member) {
        String sep = options.sep();
        int a = member.indexOf(sep);
        int b = a < 0 ? -1 : member.indexOf(sep, a + sep.length());
        if (a < 0 || b < 0) {
            return null;
        }
        return new String[] {member.substring(0, a), member.substring(a + sep.length(), b),
                member.substring(b + sep.length())};
    }

    /**
     * The fanout channel of an exchange ({@code /{db}.exchange} by default), kombu's {@code _get_publish_topic}
     * with {@code keyprefix_fanout.format(db=...)}.
     */
    String fanoutChannel(String exchange) {
        return options.keyPrefix() + options.fanoutPrefix().replace("{db}", Integer.toString(db)) + exchange;
    }

    /** The channel a broadcast goes to: the exchange's channel, plus {@code /routing_key} when patterns are on. */
    String fanoutChannel(String exchange, String routingKey) {
        String base = fanoutChannel(exchange);
        return options.fanoutPatterns() && routingKey != null && !routingKey.isEmpty() ? base + "/" + routingKey : base;
    }

    /** Escapes glob characters for PSUBSCRIBE. */
    static String globEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }
}
