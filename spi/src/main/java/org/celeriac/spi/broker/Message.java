package org.celeriac.spi.broker;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

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

    public Message {
        headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        if (properties == null) {
            properties = MessageProperties.builder().build();
        }
        if (body == null) {
            body = new byte[0];
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
