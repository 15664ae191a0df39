package org.celeriac.spi.backend;

import java.time.Instant;
import java.util.List;

/**
 * A saved group result ({@code GroupResult.save()}): the group id and its members' task ids in order.
 * Immutable.
 *
 * @param groupId the group id
 * @param taskIds the member task ids, in group order
 * @param dateDone when it was saved (UTC); nullable
 */
public record GroupMeta(String groupId, List<String> taskIds, Instant dateDone) {
    public GroupMeta {
        taskIds = List.copyOf(taskIds);
    }
}
