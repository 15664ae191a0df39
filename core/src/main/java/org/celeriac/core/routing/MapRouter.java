package org.celeriac.core.routing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Celery's {@code MapRoute}: exact task names first, then patterns in order. A key containing {@code *} is a
 * glob ({@code 'tasks.*'}; {@code *} matches anything, dots included); a key written {@code re:<regex>} is a
 * regular expression matched at the start of the name, as Python's {@code re.match} (this is what
 * {@code re.compile(r'...')} becomes when a {@code celeryconfig.py} is read; write it so in YAML and
 * properties files). Immutable and thread-safe.
 */
public final class MapRouter implements Router {
    /** The prefix that marks a regular-expression key. */
    public static final String REGEX_PREFIX = "re:";

    private final Map<String, Route> exact = new LinkedHashMap<>();
    private final Map<Pattern, Route> patterns = new LinkedHashMap<>();

    /**
     * @param map task name, glob or {@code re:} key to a route (a queue name or a dict)
     * @param where the setting, for messages
     * @throws IllegalArgumentException for a malformed route or regular expression, naming {@code where}
     */
    public MapRouter(Map<?, ?> map, String where) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = String.valueOf(e.getKey());
            String w = where + "['" + key + "']";
            Route r = Route.of(w, e.getValue());
            if (key.startsWith(REGEX_PREFIX)) {
                try {
                    patterns.put(Pattern.compile(key.substring(REGEX_PREFIX.length())), r);
                } catch (PatternSyntaxException ex) {
                    throw new IllegalArgumentException(w + ": not a valid regular expression: "
                            + ex.getDescription() + "; write regular expressions as 're:<regex>'", ex);
                }
            } else if (key.contains("*")) {
                patterns.put(Pattern.compile(globToRegex(key)), r);
            } else {
                exact.put(key, r);
            }
        }
    }

    /** Celery's {@code glob_to_re}: the text quoted, each {@code *} matching any characters. */
    static String globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        String[] parts = glob.split("\\*", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                sb.append(".*?");
            }
            if (!parts[i].isEmpty()) {
                sb.append(Pattern.quote(parts[i]));
            }
        }
        return sb.toString();
    }

    @Override
    public Route route(String taskName, List<Object> args, Map<String, Object> kwargs) {
        Route r = exact.get(taskName);
        if (r != null) {
            return r;
        }
        for (Map.Entry<Pattern, Route> e : patterns.entrySet()) {
            if (e.getKey().matcher(taskName).lookingAt()) {
                return e.getValue();
            }
        }
        return null;
    }
}
