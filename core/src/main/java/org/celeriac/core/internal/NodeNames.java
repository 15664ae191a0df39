package org.celeriac.core.internal;

import java.net.InetAddress;

/**
 * Node names as Celery builds them ({@code celery/utils/nodenames.py}): {@code celery@<hostname>} for
 * workers, {@code gen<pid>@<hostname>} for clients, and the {@code %h}/{@code %n}/{@code %d}/{@code %i}
 * /{@code %%} expansion of {@code -n}. Stateless.
 */
public final class NodeNames {
    private NodeNames() {
    }

    /** The full host name, as Python's {@code socket.gethostname()}. */
    public static String hostname() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }

    /** {@code gen<pid>@<host>}: the origin header of messages sent by a client. */
    public static String clientOrigin() {
        return "gen" + ProcessHandle.current().pid() + "@" + hostname();
    }

    /**
     * Expands a worker node name. No {@code @} means {@code celery@} is prefixed, as Celery does.
     * {@code %h} full host name, {@code %n} host name without domain, {@code %d} domain, {@code %i}
     * the process id, {@code %%} a percent sign.
     */
    public static String expand(String pattern) {
        String host = hostname();
        int dot = host.indexOf('.');
        String shortName = dot < 0 ? host : host.substring(0, dot);
        String domain = dot < 0 ? "" : host.substring(dot + 1);
        String p = pattern == null || pattern.isBlank() ? "celery@%h" : pattern;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '%' && i + 1 < p.length()) {
                char k = p.charAt(++i);
                switch (Character.toLowerCase(k)) {
                    case 'h' -> sb.append(host);
                    case 'n' -> sb.append(shortName);
                    case 'd' -> sb.append(domain);
                    case 'i', 'p' -> sb.append(ProcessHandle.current().pid());
                    case '%' -> sb.append('%');
                    default -> sb.append('%').append(k);
                }
            } else {
                sb.append(c);
            }
        }
        String name = sb.toString();
        return name.contains("@") ? name : "celery@" + name;
    }
}
