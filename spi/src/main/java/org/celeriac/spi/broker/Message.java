package org.celeriac.spi.broker;

import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A message as kombu sees it: application headers, properties and the body bytes. For a Celery
 * task message the headers are protocol v2's ({@code task}, {@code id}, {@code eta}, …) and the body
 * is the serialized {@code [args, kwargs, embed]}. Immutable and thread-safe; the body array is not
 * copied, so do not modify it after construction.
 *
 * @param headers application headers (values: the value model of {@link org.celeriac.spi.serializer.Serializer}); unmodifiable
 * @param properties message properties
 * @param body the body bytes, already serialized (and compressed, if a {@code compression} header says so)
 */
public record Message(Map<String, Object> headers, MessageProperties properties, byte[] body) {

    /**
     * Copies {@code headers} (insertion order kept) unless they are another message's headers, which are immutable
     * already and shared as they are.
     */
    public Message {
        headers = headers == null ? Map.of() : headers instanceof Headers ? headers : new Headers(new LinkedHashMap<>(headers));
        if (properties == null) {
            properties = MessageProperties.builder().build();
        }
        if (body == null) {
            body = new byte[0];
        }
    }

    /**
     * A message built around {@code headers} without copying them: the transport's hot path, which has just built
     * that map for this message alone. The caller hands the map over and must not keep, modify or share it; the
     * message is then as immutable and thread-safe as one built with the constructor. Never throws.
     *
     * @param headers a fresh map the caller gives up; null means none
     * @param properties message properties; null means none
     * @param body the body bytes (not copied)
     * @return the message, whose {@link #headers()} are an unmodifiable view of {@code headers}
     */
    public static Message adopting(Map<String, Object> headers, MessageProperties properties, byte[] body) {
        return new Message(headers == null ? null : new Headers(headers), properties, body);
    }

    /** Unmodifiable headers; the marker that lets a message share another message's headers without a copy. */
    private static final class Headers extends AbstractMap<String, Object> {
        private final Map<String, Object> view;

        Headers(Map<String, Object> map) {
            this.view = Collections.unmodifiableMap(map);
        }

        @Override
        public Object get(Object key) {
            return view.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return view.containsKey(key);
        }

        @Override
        public int size() {
            return view.size();
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return view.entrySet();
        }

        @Override
        public Set<String> keySet() {
            return view.keySet();
        }

        @Override
        public void forEach(java.util.function.BiConsumer<? super String, ? super Object> action) {
            view.forEach(action);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && headers.equals(m.headers) && properties.equals(m.properties)
                && Arrays.equals(body, m.body);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * headers.hashCode() + properties.hashCode()) + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "Message[headers=" + headers.keySet() + ", properties=" + properties + ", body=" + body.length + " bytes]";
    }
}
