package org.celeriac.core.memory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.celeriac.spi.backend.TaskMeta;

/** Defensive deep copies of the value model (maps, lists, arrays), so stored results cannot change. */
final class Values {
    private Values() {
    }

    static Object copy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, copy(x)));
            return Collections.unmodifiableMap(out);
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            c.forEach(x -> out.add(copy(x)));
            return Collections.unmodifiableList(out);
        }
        if (v instanceof byte[] b) {
            return b.clone();
        }
        if (v instanceof Object[] a) {
            List<Object> out = new ArrayList<>(a.length);
            for (Object x : a) {
                out.add(copy(x));
            }
            return Collections.unmodifiableList(out);
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    static TaskMeta copy(TaskMeta m) {
        TaskMeta.Extended x = m.extended();
        TaskMeta.Extended xc = x == null ? null : new TaskMeta.Extended(x.name(),
                x.args() == null ? null : (List<Object>) copy(x.args()),
                x.kwargs() == null ? null : (Map<String, Object>) copy(x.kwargs()), x.worker(), x.retries(), x.queue());
        return new TaskMeta(m.taskId(), m.state(), copy(m.result()), m.traceback(), (List<Object>) copy(m.children()),
                m.dateDone(), m.groupId(), m.parentId(), xc);
    }
}
