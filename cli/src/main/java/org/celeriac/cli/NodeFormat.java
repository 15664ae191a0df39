package org.celeriac.cli;

import java.util.HashMap;
import java.util.Map;
import org.celeriac.core.internal.NodeNames;

/**
 * Celery's {@code %x} abbreviations in {@code --pidfile} and {@code --logfile} ({@code celery/utils/nodenames.py
 * node_format}/{@code host_format} and {@code celery/apps/multi.py build_expander}). Stateless.
 */
final class NodeFormat {
    private NodeFormat() {
    }

    /**
     * The worker's expansion ({@code node_format(s, nodename)}): {@code %p} the node name ({@code w1@host.example}),
     * {@code %n} and {@code %N} its short name ({@code w1}), {@code %h} its host ({@code host.example}), {@code %d}
     * the host's domain ({@code example}), {@code %i} the pool process index ({@code 0}: Celeriac's pool is
     * threads in the main process) and {@code %I} the same with a dash prefix, empty for the main process.
     *
     * @param s the pattern, e.g. {@code /var/log/celeriac/%n%I.log}; null stays null
     * @param nodeName a full node name ({@code name@host}), or a host only (then the short name is {@code celery})
     * @throws IllegalArgumentException for an unknown {@code %x}, naming it
     */
    static String worker(String s, String nodeName) {
        if (s == null) {
            return null;
        }
        String[] split = split(nodeName);
        String host = split[1];
        int dot = host.indexOf('.');
        Map<Character, String> keys = new HashMap<>();
        keys.put('p', split[0] + "@" + host);
        keys.put('n', split[0]);
        keys.put('N', split[0]);
        keys.put('h', host);
        keys.put('d', dot < 0 ? "" : host.substring(dot + 1));
        keys.put('i', "0");
        keys.put('I', "");
        return format(s, keys);
    }

    /**
     * {@code celery multi}'s expansion ({@code build_expander}): {@code %n}/{@code %N} the short name, {@code %h}
     * and {@code %p} the full node name, {@code %d} the host after {@code @}; {@code %i}/{@code %I} are kept for
     * the worker to expand.
     *
     * @throws IllegalArgumentException for an unknown {@code %x}
     */
    static String multi(String s, String nodeName) {
        if (s == null) {
            return null;
        }
        String[] split = split(nodeName);
        Map<Character, String> keys = new HashMap<>();
        keys.put('p', split[0] + "@" + split[1]);
        keys.put('h', split[0] + "@" + split[1]);
        keys.put('n', split[0]);
        keys.put('N', split[0]);
        keys.put('d', split[1]);
        keys.put('i', "%i");
        keys.put('I', "%I");
        return format(s, keys);
    }

    /** {@code name@host} split in two; no {@code @}: {@code celery} and the given host (blank: this host). */
    static String[] split(String nodeName) {
        String n = nodeName == null || nodeName.isBlank() ? "celery@" + NodeNames.hostname() : nodeName;
        int at = n.indexOf('@');
        if (at < 0) {
            return new String[] {"celery", n};
        }
        return new String[] {n.substring(0, at).isEmpty() ? "celery" : n.substring(0, at), n.substring(at + 1)};
    }

    private static String format(String s, Map<Character, String> keys) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '%' || i + 1 >= s.length()) {
                sb.append(c);
                continue;
            }
            char k = s.charAt(++i);
            if (k == '%') {
                sb.append('%');
            } else if (keys.containsKey(k)) {
                sb.append(keys.get(k));
            } else {
                throw new IllegalArgumentException("unknown format key %" + k + " in '" + s + "'; use %n (node short "
                        + "name), %N, %h (host), %d (domain), %p (node name), %i or %I (process index), %% (a percent sign)");
            }
        }
        return sb.toString();
    }
}
