/**
 * The MongoDB result backend ({@code mongodb://}, {@code mongodb+srv://}) in Celery's layout: {@code celery_taskmeta}
 * documents keyed by task id, {@code celery_groupmeta} for groups, expiry by a periodic delete. See the module
 * README. Non-null unless documented.
 */
package org.celeriac.backend.mongodb;
